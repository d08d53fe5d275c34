import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '@ymesh/core'
import type { PeerId } from '@ymesh/protocol'
import type { SimNetwork } from '@ymesh/sim'
import { testSeed } from '../helpers/seed.js'
import { buildMesh, Gossip, randomGraph, type GossipTuning, type MeshNode } from './gossip-net.js'

const N = 40
const TOPIC = 'room'

interface Peer { readonly node: MeshNode, readonly gossip: Gossip, readonly seen: Map<string, number> }

let cleanup: (() => Promise<void>) | null = null
afterEach(async () => { await cleanup?.(); cleanup = null })

/**
 * Two peers whose crash leaves the rest of the graph connected (no protocol can reach a peer
 * whose only neighbours crashed), taken in order from a seeded shuffle.
 */
function crashableSurvivorsConnected (edges: readonly (readonly [number, number])[], n: number, seed: number): [number, number] {
  const connectedWithout = (gone: ReadonlySet<number>): boolean => {
    const adjacency = Array.from({ length: n }, () => [] as number[])
    for (const [a, b] of edges) if (!gone.has(a) && !gone.has(b)) { adjacency[a]!.push(b); adjacency[b]!.push(a) }
    const start = [...Array(n).keys()].find((i) => !gone.has(i))!
    const reached = new Set([start])
    const stack = [start]
    while (stack.length > 0) for (const next of adjacency[stack.pop()!]!) if (!reached.has(next)) { reached.add(next); stack.push(next) }
    return reached.size === n - gone.size
  }
  const order = [...Array(n).keys()].sort((a, b) => ((a * 2654435761 + seed) >>> 0) % 997 - ((b * 2654435761 + seed) >>> 0) % 997 || a - b)
  for (const a of order) {
    for (const b of order) {
      if (b !== a && connectedWithout(new Set([a, b]))) return [a, b]
    }
  }
  throw new Error('no pair of peers can crash without cutting the graph')
}

async function room (seed: number, tuning: GossipTuning, unreliable: boolean): Promise<{ net: SimNetwork, peers: Peer[], edges: readonly (readonly [number, number])[] }> {
  const link = unreliable
    ? { latencyMs: 20, jitterMs: 5, loss: 0.05, mode: 'unreliable' as const }
    : { latencyMs: 20, jitterMs: 5 }
  // Pings over a lossy path must not end connections: only crashes should.
  const { net, nodes, edges } = await buildMesh(seed, N, (rng) => randomGraph(rng, N, 8, 4), {}, { deadPeerTimeoutMs: 60_000 })
  net.setDefaultLink(link)
  const peers = nodes.map((node) => {
    const gossip = new Gossip({
      neighbours: node.neighbours, dispatcher: node.dispatcher, clock: node.transport.clock, rng: node.transport.rng,
      metrics: node.metrics, logger: silentLogger, identity: node.identity, options: tuning
    })
    const seen = new Map<string, number>()
    gossip.start()
    gossip.subscribe(TOPIC, (message) => {
      const key = Buffer.from(message.id).toString('hex')
      seen.set(key, (seen.get(key) ?? 0) + 1)
    })
    return { node, gossip, seen }
  })
  cleanup = async () => {
    for (const p of peers) p.gossip.stop()
    for (const node of nodes) for (const c of [...node.neighbours.all()]) c.close()
    await net.sim.advance(5_000)
  }
  await net.sim.advance(200)
  return { net, peers, edges }
}

/** Publishes `count` messages from random live peers, `gapMs` apart; returns their ids and authors. */
async function publishSome (net: SimNetwork, peers: Peer[], count: number, gapMs: number, live: (p: Peer) => boolean): Promise<Map<string, PeerId>> {
  const ids = new Map<string, PeerId>()
  const rng = net.sim.rng.fork(`publish:${net.sim.now}`)
  for (let i = 0; i < count; i++) {
    const candidates = peers.filter(live)
    const author = candidates[rng.int(candidates.length)]!
    void author.gossip.publish(TOPIC, 100, new Uint8Array(64).fill(i)).then((id) => { ids.set(Buffer.from(id).toString('hex'), author.node.identity.peerId) })
    await net.sim.advance(gapMs)
  }
  return ids
}

const missingCount = (peers: Peer[], ids: Map<string, PeerId>, live: (p: Peer) => boolean): number => {
  let missing = 0
  for (const p of peers.filter(live)) for (const [id, author] of ids) if (author !== p.node.identity.peerId && !p.seen.has(id)) missing++
  return missing
}

describe('gossip delivery on the simulator', () => {
  it('every subscriber gets every message exactly once (duplicates suppressed), in both Plumtree and flooding mode', async () => {
    for (const tuning of [{}, { eagerPruning: false, lazyRepair: false }]) {
      const seed = testSeed()
      const { net, peers } = await room(seed, tuning, false)
      const ids = await publishSome(net, peers, 20, 100, () => true)
      await net.sim.advance(3_000)
      expect(missingCount(peers, ids, () => true)).toBe(0)
      for (const p of peers) for (const times of p.seen.values()) expect(times).toBe(1)
      const duplicates = peers.reduce((s, p) => s + p.gossip.gossipMetrics.messages.get({ kind: 'duplicate' }), 0)
      expect(duplicates).toBeGreaterThan(0) // copies did arrive more than once; the handler saw each once
      await cleanup?.(); cleanup = null
    }
  })

  it('lazy repair delivers every message to every live subscriber despite 5% loss, a healed partition and crashed peers', async () => {
    const seed = testSeed()
    const { net, peers, edges } = await room(seed, { trustLinkDelivery: false }, true)
    const [x, y] = crashableSurvivorsConnected(edges, N, seed)
    const crashed = new Set([peers[x]!, peers[y]!])
    const live = (p: Peer): boolean => !crashed.has(p)
    const before = await publishSome(net, peers, 10, 100, live)
    for (const p of crashed) net.crash(p.node.identity.peerId)
    const half = peers.slice(0, N / 2).map((p) => p.node.identity.peerId)
    const rest = peers.slice(N / 2).map((p) => p.node.identity.peerId)
    const partition = net.partition(half, rest)
    const during = await publishSome(net, peers, 10, 100, live)
    await net.sim.advance(3_000)
    net.heal(partition)
    const after = await publishSome(net, peers, 10, 100, live)
    await net.sim.advance(30_000)
    const all = new Map([...before, ...during, ...after])
    expect(all.size).toBe(30)
    expect(missingCount(peers, all, live)).toBe(0)
    for (const p of peers) for (const times of p.seen.values()) expect(times).toBe(1)
    const pulled = peers.reduce((s, p) => s + p.gossip.gossipMetrics.sent.get({ kind: 'pulled' }), 0)
    expect(pulled).toBeGreaterThan(0)
  })

  it('without lazy repair (plain flooding) the same faults lose messages: the negative control', async () => {
    const seed = testSeed()
    const { net, peers } = await room(seed, { eagerPruning: false, lazyRepair: false }, true)
    const half = peers.slice(0, N / 2).map((p) => p.node.identity.peerId)
    const rest = peers.slice(N / 2).map((p) => p.node.identity.peerId)
    const partition = net.partition(half, rest)
    const during = await publishSome(net, peers, 10, 100, () => true)
    await net.sim.advance(3_000)
    net.heal(partition)
    await net.sim.advance(30_000)
    expect(missingCount(peers, during, () => true)).toBeGreaterThan(0)
  })
})
