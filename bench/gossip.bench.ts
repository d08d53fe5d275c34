/**
 * Gossip dissemination cost and latency on the simulator (fixed 30 ms links, no loss):
 * Plumtree with one tree per source (eager push + lazy IHAVE/IWANT repair) against eager
 * flooding (every peer re-sends each new message to all its subscribed neighbours) on the
 * same graph and the same messages. Two workloads: a Yjs room's (a few active writers, each
 * sending many updates) — the one the targets are for — and every message from a random peer
 * (the worst case for per-source trees: each source's first message floods its tree).
 * Targets (from the Yjs issue): payload copies received per message ≤ 1.3 × (N − 1);
 * p99 time until every peer has a message ≤ 1.5 × flooding's.
 */
import { silentLogger } from '@ymesh/core'
import type { Rng } from '@ymesh/protocol'
import { buildMesh, fullMesh, Gossip, randomGraph, type Edge, type GossipTuning } from '../test/sim/gossip-net.js'

const SEED = 4242
const MESSAGES = Number(process.env.GOSSIP_BENCH_MESSAGES ?? 100)
const GAP_MS = 200
/** Active writers in the Yjs-room workload. */
const WRITERS = 5
/** Extra Plumtree tuning to try, as JSON (e.g. '{"graftTimeoutMs":60}'). */
const TUNING = JSON.parse(process.env.GOSSIP_BENCH_TUNING ?? '{}') as GossipTuning
const fmt = (ms: number): string => ms.toFixed(0)

interface Result { copiesPerMessage: number, p50: number, p99: number, complete: number, wallMs: number }

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
}

async function run (n: number, graph: (rng: Rng) => Edge[], tuning: GossipTuning, writers: number): Promise<Result> {
  const t0 = performance.now()
  const { net, nodes } = await buildMesh(SEED, n, graph, { link: { latencyMs: 30, jitterMs: 0 } })
  const firstAt = new Map<string, number[]>() // id → arrival time per peer
  const publishedAt = new Map<string, number>()
  const gossips = nodes.map((node) => {
    const gossip = new Gossip({
      neighbours: node.neighbours, dispatcher: node.dispatcher, clock: node.transport.clock, rng: node.transport.rng,
      metrics: node.metrics, logger: silentLogger, identity: node.identity, options: tuning
    })
    gossip.start()
    gossip.subscribe('room', (message) => {
      const key = Buffer.from(message.id).toString('hex')
      let times = firstAt.get(key)
      if (times === undefined) firstAt.set(key, times = [])
      times.push(net.sim.now)
    })
    return gossip
  })
  await net.sim.advance(500)
  const pick = net.sim.rng.fork('sources')
  const active = Array.from({ length: writers }, () => pick.int(n))
  for (let m = 0; m < MESSAGES; m++) {
    const source = gossips[writers > 0 ? active[pick.int(writers)]! : pick.int(n)]!
    const at = net.sim.now
    void source.publish('room', 100, new Uint8Array(200)).then((id) => { publishedAt.set(Buffer.from(id).toString('hex'), at) })
    await net.sim.advance(GAP_MS)
  }
  await net.sim.advance(5_000)
  const copies = gossips.reduce((sum, g) => sum + g.gossipMetrics.messages.total(), 0)
  const spans: number[] = []
  let complete = 0
  for (const [key, at] of publishedAt) {
    const times = firstAt.get(key) ?? []
    if (times.length === n - 1) complete++
    spans.push(Math.max(...times) - at)
  }
  for (const g of gossips) g.stop()
  for (const node of nodes) for (const c of [...node.neighbours.all()]) c.close()
  await net.sim.advance(1_000)
  return { copiesPerMessage: copies / MESSAGES, p50: quantile(spans, 0.5), p99: quantile(spans, 0.99), complete, wallMs: performance.now() - t0 }
}

const rows: string[] = []
let allMet = true
for (const [label, n, graph] of [
  ['200 peers, random graph, degree ≤ 8', 200, (rng: Rng) => randomGraph(rng, 200, 8, 6)],
  ['30 peers, full mesh', 30, () => fullMesh(30)]
] as const) {
  for (const [workload, writers] of [[`${WRITERS} active writers`, WRITERS], ['every message from a random peer', 0]] as const) {
    process.stderr.write(`${label}, ${workload}: flooding...\n`)
    const flood = await run(n, graph, { eagerPruning: false, lazyRepair: false }, writers)
    process.stderr.write(`  ${JSON.stringify(flood)}\n${label}, ${workload}: plumtree...\n`)
    const tree = await run(n, graph, TUNING, writers)
    process.stderr.write(`  ${JSON.stringify(tree)}\n`)
    const copiesTarget = 1.3 * (n - 1)
    const copiesMet = tree.copiesPerMessage <= copiesTarget
    const latencyMet = tree.p99 <= 1.5 * flood.p99
    // The targets are for a Yjs room (the writers workload); the random-source rows show the worst case.
    if (writers > 0) allMet &&= copiesMet && latencyMet && tree.complete === MESSAGES
    const verdict = `copies ≤ ${copiesTarget.toFixed(0)}: ${copiesMet ? 'met' : 'NOT met'}; p99 ≤ ${(1.5 * flood.p99).toFixed(0)} ms: ${latencyMet ? 'met' : 'NOT met'}`
    rows.push(
      `| ${label} | ${workload} | flooding | ${flood.copiesPerMessage.toFixed(0)} (${(flood.copiesPerMessage / (n - 1)).toFixed(2)} × (N−1)) | ${fmt(flood.p50)} | ${fmt(flood.p99)} | ${flood.complete}/${MESSAGES} | baseline |`,
      `| ${label} | ${workload} | gossip | ${tree.copiesPerMessage.toFixed(0)} (${(tree.copiesPerMessage / (n - 1)).toFixed(2)} × (N−1)) | ${fmt(tree.p50)} | ${fmt(tree.p99)} (${(tree.p99 / flood.p99).toFixed(2)} × flooding) | ${tree.complete}/${MESSAGES} | ${writers > 0 ? verdict : `(worst case, no target) ${verdict}`} |`
    )
  }
}

console.log(`## Gossip dissemination

Simulator, fixed 30 ms links, no loss; gossip tuning ${JSON.stringify({ ...TUNING })} over the defaults (one Plumtree per source); ${MESSAGES} messages of 200 bytes, ${GAP_MS} ms apart, every peer subscribed. Workloads: a Yjs room's (each message from one of ${WRITERS} active writers, chosen at random — the case the targets are for), and the worst case for per-source trees (each message from a random peer, so most are their source's first and flood).
Copies = envelope frames received per message over all peers (each source's first message, which floods before its tree has formed, included).
Time = from publish until the last peer's subscriber has it (signature verified), virtual ms. Baseline: eager flooding on the same graph.

| network | workload | mode | payload copies per message | p50 ms | p99 ms | all peers got it | target |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Targets (active-writers workload) ${allMet ? 'met' : 'NOT all met'}.`)
