/** MeshNodes on the simulator (@ymesh/sim network + in-memory signaling), for store tests. */
import { generateIdentity } from '@ymesh/crypto'
import { SimNetwork } from '@ymesh/sim'
import { DocRouter, MemorySignalingHub, createPeer, silentLogger, type HybridSignalingOptions } from 'ymesh'
import type { MeshNode } from '../../src/mesh/mesh-node'

export interface SimMesh {
  readonly net: SimNetwork
  /** `hybrid`: hybrid signaling options other than the defaults. */
  node: (label: string, hybrid?: HybridSignalingOptions) => Promise<MeshNode>
  /** Runs the simulator until `check` holds (virtual time; the real clock never waits). */
  until: (check: () => boolean) => Promise<void>
  close: () => Promise<void>
}

export const createSimMesh = (seed: number): SimMesh => {
  const net = new SimNetwork({ seed, link: { latencyMs: 20, jitterMs: 5 }, microtasks: 'every-event' })
  const hub = new MemorySignalingHub({ clock: net.sim.clock, latencyMs: 10 })
  const nodes: MeshNode[] = []
  return {
    net,
    async node (label, hybrid) {
      const identity = await generateIdentity({ seed: net.sim.rng.fork(`identity:${label}`).bytes(32) })
      const transport = net.createTransport(identity.peerId)
      const rng = transport.rng.fork('peer')
      const signaling = hub.createSource({ localPeer: identity.peerId, clock: transport.clock, rng: rng.fork('signaling') })
      const peer = createPeer({ identity, transport, signaling, clock: transport.clock, rng, logger: silentLogger, ...(hybrid === undefined ? {} : { hybridSignaling: hybrid }) })
      peer.start()
      const node: MeshNode = {
        identity,
        peer,
        router: new DocRouter(peer),
        storage: () => null,
        providerOptions: { clock: transport.clock, rng: rng.fork('provider'), logger: silentLogger, broadcastChannel: false },
        stop: () => { peer.stop() }
      }
      nodes.push(node)
      return node
    },
    until: async (check) => { await net.sim.runUntil(check, { maxEvents: 5_000_000 }) },
    async close () {
      for (const n of nodes) n.stop()
      await net.sim.advance(60_000, { maxEvents: 5_000_000 })
    }
  }
}
