/**
 * A mesh of authenticated sim Connections for the gossip and capability scenarios and the
 * gossip bench: seeded identities, one transport per peer, links wired directly (as a
 * signaling server would) and opened with the real handshake, each peer's connections in a
 * NeighbourSet.
 */
import { generateIdentity, type Identity } from '@ymesh/crypto'
import type { Link, Rng } from '@ymesh/protocol'
import { SimNetwork, type NetworkOptions, type SimTransport } from '@ymesh/sim'
import {
  createCoreMetrics, FrameDispatcher, NeighbourSet, openConnection, silentLogger, type Connection, type ConnectionTuning, type CoreMetrics
} from '@ymesh/core'

export interface MeshNode {
  readonly index: number
  readonly identity: Identity
  readonly transport: SimTransport
  readonly metrics: CoreMetrics
  readonly dispatcher: FrameDispatcher
  readonly neighbours: NeighbourSet
}

export type Edge = readonly [number, number]

/**
 * A connected random graph with every degree ≤ maxDegree: a random tree first (each node
 * joins a random earlier node with room), then random extra edges up to `targetDegree` on average.
 */
export function randomGraph (rng: Rng, n: number, maxDegree: number, targetDegree: number): Edge[] {
  const degree = new Array<number>(n).fill(0)
  const edges: Edge[] = []
  const has = new Set<string>()
  const add = (a: number, b: number): boolean => {
    const key = a < b ? `${a}:${b}` : `${b}:${a}`
    if (a === b || has.has(key) || degree[a]! >= maxDegree || degree[b]! >= maxDegree) return false
    has.add(key)
    edges.push([a, b])
    degree[a]!++
    degree[b]!++
    return true
  }
  for (let i = 1; i < n; i++) {
    for (;;) if (add(i, rng.int(i))) break
  }
  const wanted = Math.floor(n * targetDegree / 2)
  for (let tries = 0; edges.length < wanted && tries < wanted * 50; tries++) add(rng.int(n), rng.int(n))
  return edges
}

export function fullMesh (n: number): Edge[] {
  const edges: Edge[] = []
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) edges.push([a, b])
  return edges
}

export async function createNodes (net: SimNetwork, n: number): Promise<MeshNode[]> {
  const nodes: MeshNode[] = []
  for (let index = 0; index < n; index++) {
    const identity = await generateIdentity({ seed: net.sim.rng.fork(`identity:${index}`).bytes(32) })
    const metrics = createCoreMetrics()
    nodes.push({
      index,
      identity,
      transport: net.createTransport(identity.peerId),
      metrics,
      dispatcher: new FrameDispatcher(metrics, silentLogger),
      neighbours: new NeighbourSet()
    })
  }
  return nodes
}

/** Opens an authenticated Connection for every edge and adds it to both NeighbourSets. */
export async function connectEdges (net: SimNetwork, nodes: readonly MeshNode[], edges: readonly Edge[], tuning: ConnectionTuning = {}): Promise<void> {
  let pending = 0
  let failed: unknown = null
  const open = (node: MeshNode, link: Link): void => {
    pending++
    openConnection({
      identity: node.identity,
      link,
      remoteIsYmesh: true,
      room: null,
      clock: node.transport.clock,
      rng: node.transport.rng,
      dispatcher: node.dispatcher,
      metrics: node.metrics,
      logger: silentLogger,
      connection: tuning
    }).then((connection: Connection) => { node.neighbours.add(connection) }, (error: unknown) => { failed = error }).finally(() => { pending-- })
  }
  for (const [a, b] of edges) {
    const x = nodes[a]!
    const y = nodes[b]!
    let lb: Link | null = null
    const early: Parameters<Link['signal']>[0][] = []
    const la = x.transport.createLink({
      remotePeer: y.identity.peerId,
      initiator: true,
      onSignal: (s) => { if (lb === null) early.push(s); else lb.signal(s) }
    })
    lb = y.transport.createLink({ remotePeer: x.identity.peerId, initiator: false, onSignal: (s) => { la.signal(s) } })
    for (const s of early) lb.signal(s)
    open(x, la)
    open(y, lb)
  }
  await net.sim.runUntil(() => pending === 0 || failed !== null, { maxEvents: 50_000_000 })
  if (failed !== null) throw failed instanceof Error ? failed : new Error(String(failed))
}

export async function buildMesh (seed: number, n: number, edges: (rng: Rng) => Edge[], options: NetworkOptions = {}, tuning: ConnectionTuning = {}): Promise<{ net: SimNetwork, nodes: MeshNode[], edges: Edge[] }> {
  const net = new SimNetwork({ seed, ...options })
  const nodes = await createNodes(net, n)
  const graph = edges(net.sim.rng.fork('graph'))
  await connectEdges(net, nodes, graph, tuning)
  return { net, nodes, edges: graph }
}

export { Gossip, PeerCapabilityManager, CapabilityAdvertiser, CAPABILITY_TOPIC } from '@ymesh/core'
export type { GossipMessage, GossipTuning, CapabilityFields } from '@ymesh/core'
