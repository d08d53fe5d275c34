/** Many peers on the simulator, signaling through a MemorySignalingHub. */
import { generateIdentity } from '@ymesh/crypto'
import type { PeerId } from '@ymesh/protocol'
import { SimNetwork, type NetworkOptions } from '@ymesh/sim'
import { createPeer, MemorySignalingHub, silentLogger, type MemorySignalingHubOptions, type MeshPeer, type PeerOptions } from '@ymesh/core'

export interface Mesh {
  readonly net: SimNetwork
  readonly hub: MemorySignalingHub
  readonly peers: MeshPeer[]
  /** Make, start and return one more peer (a restart when `label` is reused after a crash). */
  add(label: string, options?: Partial<PeerOptions>): Promise<MeshPeer>
  crash(peer: MeshPeer): void
  /** Stop every peer and drain the simulator. */
  close(): Promise<void>
}

export async function createMesh (seed: number, options: { network?: NetworkOptions, hub?: Partial<MemorySignalingHubOptions>, peer?: Partial<PeerOptions> } = {}): Promise<Mesh> {
  const net = new SimNetwork({ seed, link: { latencyMs: 20, jitterMs: 5 }, microtasks: 'every-event', ...options.network })
  const hub = new MemorySignalingHub({ clock: net.sim.clock, latencyMs: 10, ...options.hub })
  const peers: MeshPeer[] = []
  const byLabel = new Map<string, PeerId>()
  const add = async (label: string, extra: Partial<PeerOptions> = {}): Promise<MeshPeer> => {
    const identity = await generateIdentity({ seed: net.sim.rng.fork(`identity:${label}`).bytes(32) })
    const known = byLabel.get(label)
    const transport = known === undefined ? net.createTransport(identity.peerId) : net.restart(identity.peerId)
    byLabel.set(label, identity.peerId)
    const rng = transport.rng.fork('peer')
    const signaling = hub.createSource({ localPeer: identity.peerId, clock: transport.clock, rng: rng.fork('signaling') })
    const peer = createPeer({ identity, transport, signaling, clock: transport.clock, rng, logger: silentLogger, ...options.peer, ...extra })
    peers.push(peer)
    peer.start()
    return peer
  }
  return {
    net,
    hub,
    peers,
    add,
    crash (peer) {
      net.crash(peer.peerId)
      hub.drop(peer.peerId)
      peers.splice(peers.indexOf(peer), 1)
    },
    async close () {
      for (const p of peers) p.stop()
      await net.sim.advance(60_000, { maxEvents: 20_000_000 })
    }
  }
}

/** Connected components of the graph of open ymesh connections among `peers`. */
export function components (peers: readonly MeshPeer[]): number {
  const ids = new Set(peers.map((p) => p.peerId))
  const adj = new Map(peers.map((p) => [p.peerId, p.connections.filter((c) => ids.has(c.remotePeer)).map((c) => c.remotePeer)]))
  const seen = new Set<PeerId>()
  let count = 0
  for (const p of peers) {
    if (seen.has(p.peerId)) continue
    count++
    const stack = [p.peerId]
    seen.add(p.peerId)
    while (stack.length > 0) {
      for (const n of adj.get(stack.pop() as PeerId) ?? []) if (!seen.has(n)) { seen.add(n); stack.push(n) }
    }
  }
  return count
}
