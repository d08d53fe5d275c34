import type { PeerId } from '@ymesh/protocol'
import type { SimClock } from './sim-clock.js'
import type { SimRng } from './sim-rng.js'
import type { SimLink } from './sim-link.js'
import { formatFingerprint } from './sdp.js'

/**
 * One incarnation of a simulated peer. A crash ends the incarnation; restart() makes a new
 * SimNode under the same id, with a fresh clock, certificate and links.
 */
export class SimNode {
  alive = true
  /** Links of this incarnation that are not closed. */
  readonly links = new Set<SimLink>()
  /** The node's DTLS certificate fingerprint, as it appears in its SDP. */
  readonly fingerprint: string

  constructor (
    readonly id: PeerId,
    readonly incarnation: number,
    /** Index of the node in creation order, for fake addresses. */
    readonly index: number,
    /** The node's own timers and settle(): halted when it crashes. */
    readonly clock: SimClock,
    /** Randomness for the code running on this node. */
    readonly rng: SimRng,
    /** Randomness the simulated network stack uses for this node (tokens, certificate). */
    readonly netRng: SimRng
  ) {
    this.fingerprint = formatFingerprint(netRng.bytes(32))
  }
}
