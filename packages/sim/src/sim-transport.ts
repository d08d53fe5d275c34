import type { CreateLinkOptions, PeerId, Transport } from '@ymesh/protocol'
import { TransportClosedError } from './errors.js'
import type { SimClock } from './sim-clock.js'
import type { SimLink } from './sim-link.js'
import type { SimNode } from './sim-node.js'
import type { SimRng } from './sim-rng.js'

/** What a transport needs from the network: a way to make links for its node. */
export interface LinkFactory {
  createSimLink(node: SimNode, options: CreateLinkOptions): SimLink
}

/** The in-memory Transport of one simulated node (one incarnation of it). */
export class SimTransport implements Transport {
  readonly name = 'sim'
  private closed = false

  constructor (readonly node: SimNode, private readonly factory: LinkFactory) {}

  get localPeer (): PeerId {
    return this.node.id
  }

  /** The node's clock: virtual time, halted when the node crashes. */
  get clock (): SimClock {
    return this.node.clock
  }

  /** The node's own seeded randomness. */
  get rng (): SimRng {
    return this.node.rng
  }

  /** The node's DTLS certificate fingerprint, as its descriptions announce it. */
  get fingerprint (): string {
    return this.node.fingerprint
  }

  /** Links of this transport that are not closed. */
  get links (): readonly SimLink[] {
    return [...this.node.links]
  }

  createLink (options: CreateLinkOptions): SimLink {
    if (this.closed || !this.node.alive) throw new TransportClosedError(this.node.id)
    return this.factory.createSimLink(this.node, options)
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    for (const link of [...this.node.links]) link.close()
  }
}
