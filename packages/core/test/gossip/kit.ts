/** Small simulated meshes of authenticated connections with a Gossip per peer, for unit tests. */
import { silentLogger, type Connection } from '@ymesh/core'
import type { SimNetwork } from '@ymesh/sim'
import { connectedPair, makeKit, network, type Kit } from '../helpers/sim-kit.js'
import { NeighbourSet } from '../../src/connections/neighbours.js'
import { Gossip } from '../../src/gossip/gossip.js'
import type { GossipTuning } from '../../src/gossip/options.js'

export interface GossipPeer extends Kit {
  readonly neighbours: NeighbourSet
  readonly gossip: Gossip
  /** connection to peer index j */
  readonly links: Map<number, Connection>
}

export async function gossipMesh (seed: number, count: number, edges: ReadonlyArray<readonly [number, number]>, tuning: GossipTuning = {}): Promise<{ net: SimNetwork, peers: GossipPeer[], close: () => Promise<void> }> {
  const net = network(seed)
  const peers: GossipPeer[] = []
  for (let i = 0; i < count; i++) {
    const kit = await makeKit(net, `peer-${i}`)
    const neighbours = new NeighbourSet()
    const gossip = new Gossip({
      neighbours, dispatcher: kit.dispatcher, clock: kit.transport.clock, rng: kit.transport.rng, metrics: kit.metrics,
      logger: silentLogger, identity: kit.identity, options: tuning
    })
    peers.push({ ...kit, neighbours, gossip, links: new Map() })
  }
  for (const [a, b] of edges) {
    const [ca, cb] = await connectedPair(net, peers[a]!, peers[b]!)
    peers[a]!.links.set(b, ca)
    peers[b]!.links.set(a, cb)
    peers[a]!.neighbours.add(ca)
    peers[b]!.neighbours.add(cb)
  }
  const close = async (): Promise<void> => {
    for (const p of peers) p.gossip.stop()
    for (const p of peers) for (const c of p.links.values()) c.close()
    await net.sim.advance(1_000)
  }
  return { net, peers, close }
}

/** Runs the simulator until `promise` settles. */
export async function settle<T> (net: SimNetwork, promise: Promise<T>): Promise<T> {
  let done = false
  const tracked = promise.finally(() => { done = true })
  await net.sim.runUntil(() => done, { maxEvents: 1_000_000 })
  return await tracked
}
