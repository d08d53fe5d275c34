/**
 * A mesh of routing peers on the simulator for tests and the bench: each peer has an
 * identity from the seed, a transport, a dispatcher, a NeighbourSet fed with authenticated
 * Connections (the Peer's job in production) and a MessageRouter.
 */
import { generateIdentity, type Identity } from '@ymesh/crypto'
import type { Link, PeerId } from '@ymesh/protocol'
import type { SimNetwork, SimTransport } from '@ymesh/sim'
import {
  createCoreMetrics, FrameDispatcher, openConnection, silentLogger,
  type Connection, type ConnectionTuning, type CoreMetrics
} from '@ymesh/core'
import { NeighbourSet } from '../../src/connections/neighbours.js'
import { MessageRouter } from '../../src/routing/message-router.js'
import type { RouterOptions } from '../../src/routing/options.js'

export interface MeshPeer {
  readonly label: string
  readonly identity: Identity
  readonly id: PeerId
  readonly transport: SimTransport
  readonly metrics: CoreMetrics
  readonly dispatcher: FrameDispatcher
  readonly neighbours: NeighbourSet
  readonly router: MessageRouter
}

export interface MeshOptions {
  readonly router?: RouterOptions
  readonly connection?: ConnectionTuning
}

const pairKey = (a: PeerId, b: PeerId): string => (a < b ? `${a}|${b}` : `${b}|${a}`)

export class RoutingMesh {
  readonly peers: MeshPeer[] = []
  readonly byId = new Map<PeerId, MeshPeer>()
  /** Open connections by unordered pair. */
  readonly links = new Map<string, [Connection, Connection]>()

  constructor (readonly net: SimNetwork, private readonly options: MeshOptions = {}) {}

  async addPeer (label: string, routerOptions?: RouterOptions): Promise<MeshPeer> {
    const identity = await generateIdentity({ seed: this.net.sim.rng.fork(`identity:${label}`).bytes(32) })
    return this.addPeerWith(label, identity, routerOptions)
  }

  addPeerWith (label: string, identity: Identity, routerOptions?: RouterOptions, restarted?: SimTransport): MeshPeer {
    const transport = restarted ?? this.net.createTransport(identity.peerId)
    const metrics = createCoreMetrics()
    const dispatcher = new FrameDispatcher(metrics, silentLogger)
    const neighbours = new NeighbourSet()
    const router = new MessageRouter({
      identity,
      neighbours,
      dispatcher,
      clock: transport.clock,
      rng: transport.rng,
      metrics,
      logger: silentLogger,
      options: { ...this.options.router, ...routerOptions }
    })
    const peer: MeshPeer = { label, identity, id: identity.peerId, transport, metrics, dispatcher, neighbours, router }
    const at = this.peers.findIndex((p) => p.id === peer.id)
    if (at >= 0) this.peers[at] = peer
    else this.peers.push(peer)
    this.byId.set(peer.id, peer)
    return peer
  }

  /** Crashes `peer` (if it is not already) and brings it back as a fresh process: same identity, new router state, no links. */
  restart (peer: MeshPeer, routerOptions?: RouterOptions): MeshPeer {
    peer.router.stop()
    const fresh = this.addPeerWith(peer.label, peer.identity, routerOptions, this.net.restart(peer.id))
    fresh.router.start()
    return fresh
  }

  /** Starts a handshake between a and b; the returned promise settles when the simulator ran it. */
  connect (a: MeshPeer, b: MeshPeer): Promise<void> {
    let lb: Link | null = null
    const early: Parameters<Link['signal']>[0][] = []
    const la = a.transport.createLink({
      remotePeer: b.id,
      initiator: true,
      onSignal: (s) => { if (lb === null) early.push(s); else lb.signal(s) }
    })
    lb = b.transport.createLink({ remotePeer: a.id, initiator: false, onSignal: (s) => { la.signal(s) } })
    for (const s of early) lb.signal(s)
    const open = (peer: MeshPeer, link: Link): Promise<Connection> => openConnection({
      identity: peer.identity,
      link,
      remoteIsYmesh: true,
      room: null,
      clock: peer.transport.clock,
      rng: peer.transport.rng,
      dispatcher: peer.dispatcher,
      metrics: peer.metrics,
      logger: silentLogger,
      ...(this.options.connection === undefined ? {} : { connection: this.options.connection })
    })
    return Promise.all([open(a, la), open(b, lb)]).then(([ca, cb]) => {
      a.neighbours.add(ca)
      b.neighbours.add(cb)
      const key = pairKey(a.id, b.id)
      this.links.set(key, [ca, cb])
      ca.once('close', () => { if (this.links.get(key)?.[0] === ca) this.links.delete(key) })
    })
  }

  /** Connects every pair and runs the simulator until all handshakes are done. */
  async connectAll (pairs: ReadonlyArray<readonly [MeshPeer, MeshPeer]>): Promise<void> {
    let done = 0
    let failed: unknown = null
    for (const [a, b] of pairs) {
      this.connect(a, b).then(() => { done++ }, (error: unknown) => { failed = error; done++ })
    }
    await this.net.sim.runUntil(() => done === pairs.length, { maxEvents: 50_000_000 })
    if (failed !== null) throw failed as Error
  }

  connected (a: MeshPeer, b: MeshPeer): boolean {
    return this.links.has(pairKey(a.id, b.id))
  }

  /** Closes the connection between a and b (both sides see it close). */
  disconnect (a: MeshPeer, b: MeshPeer): void {
    this.links.get(pairKey(a.id, b.id))?.[0].close()
  }

  startAll (): void {
    for (const peer of this.peers) peer.router.start()
  }

  stopAll (): void {
    for (const peer of this.peers) {
      peer.router.stop()
      peer.transport.close()
    }
  }

  /** Runs the simulator until `done` or `ms` of virtual time passed. */
  async runUntil (done: () => boolean, ms: number): Promise<boolean> {
    const deadline = this.net.sim.now + ms
    await this.net.sim.runUntil(() => done() || this.net.sim.now >= deadline, { maxEvents: 50_000_000 })
    return done()
  }

  /** Sends and drives the simulator until the promise settles (or `ms` passed). */
  async settle<T> (promise: Promise<T>, ms = 120_000): Promise<PromiseSettledResult<T>> {
    let result: PromiseSettledResult<T> | null = null
    promise.then((value) => { result = { status: 'fulfilled', value } }, (reason: unknown) => { result = { status: 'rejected', reason } })
    await this.runUntil(() => result !== null, ms)
    if (result === null) throw new Error(`did not settle within ${ms} ms of virtual time`)
    return result
  }

  /** True when every peer has a route to every other peer it is connected to in the graph. */
  fullyRouted (): boolean {
    for (const a of this.peers) {
      if (!a.router.started) continue
      for (const b of this.peers) {
        if (a === b || !b.router.started) continue
        if (a.router.nextHopTo(b.id) === null) return false
      }
    }
    return true
  }
}
