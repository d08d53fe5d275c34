/** MeshProviders on the simulator: each with its own peer on a SimTransport, signaling through a MemorySignalingHub. */
import * as Y from 'yjs'
import { generateIdentity, type Identity } from '@ymesh/crypto'
import { SimNetwork, type NetworkOptions } from '@ymesh/sim'
import { createPeer, MemorySignalingHub, silentLogger, type MeshPeer, type PeerOptions, type PoolOptions } from '@ymesh/core'
import { DocRouter, MeshProvider, type MeshProviderOptions } from '../../src/index.js'

export interface SimProvider {
  readonly provider: MeshProvider
  readonly doc: Y.Doc
  readonly peer: MeshPeer
  readonly identity: Identity
}

/** One peer shared by several providers (one per room), as the demo and the anchor run it. */
export interface SimPeer {
  readonly peer: MeshPeer
  readonly identity: Identity
  readonly router: DocRouter
  /** A provider for `room` on this peer (and its router). */
  provide(room: string, options?: Partial<MeshProviderOptions>): Promise<SimProvider>
}

/** Peer options a scenario may set (the world supplies identity, transport, signaling, clock, rng, logger). */
export type SimPeerOptions = Partial<Omit<PeerOptions, 'identity' | 'transport' | 'signaling' | 'clock' | 'rng' | 'logger'>>

export interface SimWorld {
  readonly net: SimNetwork
  readonly hub: MemorySignalingHub
  readonly providers: SimProvider[]
  add(label: string, room: string, options?: Partial<MeshProviderOptions> & { pool?: PoolOptions, peerOptions?: SimPeerOptions }): Promise<SimProvider>
  addPeer(label: string, pool?: PoolOptions): Promise<SimPeer>
  close(): Promise<void>
}

export const createSimWorld = (seed: number, network: NetworkOptions = {}): SimWorld => {
  const net = new SimNetwork({ seed, link: { latencyMs: 20, jitterMs: 5 }, microtasks: 'every-event', ...network })
  const hub = new MemorySignalingHub({ clock: net.sim.clock, latencyMs: 10 })
  const providers: SimProvider[] = []
  return {
    net,
    hub,
    providers,
    async add (label, room, options = {}) {
      const identity = await generateIdentity({ seed: net.sim.rng.fork(`identity:${label}`).bytes(32) })
      const transport = net.createTransport(identity.peerId)
      const rng = transport.rng.fork('peer')
      const signaling = hub.createSource({ localPeer: identity.peerId, clock: transport.clock, rng: rng.fork('signaling') })
      const { pool, peerOptions, ...providerOptions } = options
      const peer = createPeer({ ...peerOptions, identity, transport, signaling, clock: transport.clock, rng, logger: silentLogger, ...(pool === undefined ? {} : { pool }) })
      peer.start()
      const doc = new Y.Doc()
      const provider = new MeshProvider(room, doc, {
        peer, identity, clock: transport.clock, rng: rng.fork('provider'), logger: silentLogger, broadcastChannel: false, ...providerOptions
      })
      const p = { provider, doc, peer, identity }
      providers.push(p)
      await net.sim.runUntil(() => provider.connected)
      return p
    },
    async addPeer (label, pool) {
      const identity = await generateIdentity({ seed: net.sim.rng.fork(`identity:${label}`).bytes(32) })
      const transport = net.createTransport(identity.peerId)
      const rng = transport.rng.fork('peer')
      const signaling = hub.createSource({ localPeer: identity.peerId, clock: transport.clock, rng: rng.fork('signaling') })
      const peer = createPeer({ identity, transport, signaling, clock: transport.clock, rng, logger: silentLogger, ...(pool === undefined ? {} : { pool }) })
      peer.start()
      const router = new DocRouter(peer)
      return {
        peer,
        identity,
        router,
        async provide (room, options = {}) {
          const doc = new Y.Doc()
          const provider = new MeshProvider(room, doc, {
            peer, identity, router, clock: transport.clock, rng: rng.fork(`provider:${room}`), logger: silentLogger, broadcastChannel: false, ...options
          })
          const p = { provider, doc, peer, identity }
          providers.push(p)
          await net.sim.runUntil(() => provider.connected)
          return p
        }
      }
    },
    async close () {
      for (const p of providers) {
        void p.provider.destroy()
        p.peer.stop()
      }
      await net.sim.advance(60_000, { maxEvents: 20_000_000 })
    }
  }
}

export const text = (p: SimProvider): string => p.doc.getText('t').toString()
