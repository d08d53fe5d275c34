/**
 * Multi-hop routing (issue 6).
 *
 * 1. Simulator: 500 peers, degree 6–8, 1% link loss. Acknowledged unicast messages between
 *    random pairs: delivery ratio, path stretch (hops used / BFS shortest), transmissions
 *    per delivered message against its shortest path (retries included), and routing
 *    overhead bytes per peer per minute (adverts, and acks separately), at steady state.
 * 2. Real WebRTC, a line A–B–C–D in one process: p50 added latency per hop, from acked round
 *    trips A→D against A→B in the same run.
 */
import { SimNetwork } from '@ymesh/sim'
import { RoutingMesh, type MeshPeer } from '../packages/core/test/routing/mesh.js'
import { bfs, randomGraph } from '../packages/core/test/routing/graphs.js'
import { closeAll, rtcLine } from '../packages/core/test/routing/webrtc-line.js'

const PEERS = Number(process.env.ROUTING_BENCH_PEERS ?? 500)
const MESSAGES = Number(process.env.ROUTING_BENCH_MESSAGES ?? 2_000)
const SEED = 606
const APP = 1000
const log = (message: string): void => { process.stderr.write(`[routing] ${message}\n`) }

const wall = performance.now()
const net = new SimNetwork({ seed: SEED, link: { latencyMs: 10, jitterMs: 3, loss: 0.01 } })
const mesh = new RoutingMesh(net)
const peers: MeshPeer[] = []
for (let i = 0; i < PEERS; i++) peers.push(await mesh.addPeer(`p${i}`))
const edges = randomGraph(PEERS, 6, 8, net.sim.rng.fork('graph'))
const degree = (2 * edges.length) / PEERS
log(`${PEERS} peers, ${edges.length} links (mean degree ${degree.toFixed(2)}); connecting`)
mesh.startAll()
await mesh.connectAll(edges.map(([a, b]) => [peers[a]!, peers[b]!] as const))
const t0 = net.sim.now
let converged = false
while (!converged && net.sim.now - t0 < 120_000) {
  await net.sim.advance(1_000)
  converged = mesh.fullyRouted()
}
const convergeMs = net.sim.now - t0
log(`routes ${converged ? 'converged' : 'NOT converged'} ${convergeMs} ms after the last handshake (wall ${((performance.now() - wall) / 1000).toFixed(1)} s)`)

// Steady-state control overhead: one quiet minute, after the bootstrap's small metric changes
// (which travel one hop per periodic dump) have died out.
await net.sim.advance(90_000)
log(`warmed up (wall ${((performance.now() - wall) / 1000).toFixed(1)} s)`)
/** Sum over all peers of the overhead counter's lines whose labels include `label` (e.g. kind="advert"). */
const overhead = (label: string): number => peers.reduce((sum, p) => sum + p.metrics.registry.render().split('\n')
  .filter((l) => l.startsWith('ymesh_routing_overhead_bytes_total{') && l.includes(label))
  .reduce((s, l) => s + Number(l.split(' ')[1]), 0), 0)
const advertBefore = overhead('kind="advert"')
const fullBefore = overhead('why="full"')
await net.sim.advance(60_000)
const advertPerPeerMinute = (overhead('kind="advert"') - advertBefore) / PEERS
const fullPerPeerMinute = (overhead('why="full"') - fullBefore) / PEERS
log(`steady adverts: ${(advertPerPeerMinute / 1024).toFixed(1)} KiB per peer per minute (${(fullPerPeerMinute / 1024).toFixed(1)} KiB periodic full tables)`)

// Traffic.
/** Envelope id → message id of every data attempt; transmissions per envelope id (its send + forwards). */
const messageOf = new Map<string, string>()
const transmissions = new Map<string, number>()
for (const p of peers) {
  p.router.on('message-sent', ({ messageId, id }) => {
    if (messageId === null) return
    messageOf.set(id, messageId)
    transmissions.set(messageId, (transmissions.get(messageId) ?? 0) + 1)
  })
  p.router.on('message-forwarded', ({ id }) => {
    const messageId = messageOf.get(id)
    if (messageId !== undefined) transmissions.set(messageId, (transmissions.get(messageId) ?? 0) + 1)
  })
}
const firstHops = new Map<string, number>()
for (const p of peers) p.router.handle(APP, (m) => { if (!firstHops.has(m.messageId)) firstHops.set(m.messageId, m.hops) })
const rng = net.sim.rng.fork('traffic')
const distCache = new Map<number, number[]>()
const shortest = (s: number, d: number): number => {
  let dist = distCache.get(s)
  if (dist === undefined) distCache.set(s, dist = bfs(PEERS, edges, s))
  return dist[d]!
}
interface Outcome { s: number, d: number, ok: boolean, messageId: string | null, attempts: number }
const outcomes: Outcome[] = []
let settledCount = 0
const ackBefore = overhead('kind="ack"')
const trafficStart = net.sim.now
for (let i = 0; i < MESSAGES; i++) {
  const s = rng.int(PEERS)
  let d = rng.int(PEERS)
  if (d === s) d = (d + 1) % PEERS
  const outcome: Outcome = { s, d, ok: false, messageId: null, attempts: 0 }
  outcomes.push(outcome)
  peers[s]!.router.send(peers[d]!.id, APP, new Uint8Array(64), { ack: true }).then((r) => {
    outcome.ok = true
    outcome.messageId = r.messageId
    outcome.attempts = r.attempts
    settledCount++
  }, () => { settledCount++ })
  if (i % 10 === 9) await net.sim.advance(100)
  if (i % 500 === 499) log(`${i + 1} messages sent (wall ${((performance.now() - wall) / 1000).toFixed(1)} s)`)
}
// Until every send succeeded or gave up (retries included).
await mesh.runUntil(() => settledCount === outcomes.length, 120_000)
const trafficMinutes = (net.sim.now - trafficStart) / 60_000
const ackPerPeerMinute = (overhead('kind="ack"') - ackBefore) / PEERS / trafficMinutes

const delivered = outcomes.filter((o) => o.ok)
const ratio = delivered.length / outcomes.length
let stretchSum = 0
let stretchN = 0
let txSum = 0
let spSum = 0
let worstTxRatio = 0
for (const o of delivered) {
  const sp = shortest(o.s, o.d)
  const hops = firstHops.get(o.messageId!)
  if (hops !== undefined) { stretchSum += hops / sp; stretchN++ }
  const tx = transmissions.get(o.messageId!) ?? 0
  txSum += tx
  spSum += sp
  worstTxRatio = Math.max(worstTxRatio, tx / sp)
}
const stretch = stretchSum / stretchN
const txRatio = txSum / spSum
const retries = delivered.reduce((n, o) => n + o.attempts - 1, 0)
const tableSize = peers.reduce((n, p) => n + p.router.routes().length, 0) / PEERS
const forwardDrops = peers.reduce((n, p) => n + p.metrics.registry.render().split('\n')
  .filter((l) => l.startsWith('ymesh_routing_drops_total')).reduce((s, l) => s + Number(l.split(' ')[1]), 0), 0)
log(`delivered ${delivered.length}/${outcomes.length}, stretch ${stretch.toFixed(3)}, tx/shortest ${txRatio.toFixed(3)} (wall ${((performance.now() - wall) / 1000).toFixed(1)} s)`)

// Failures during traffic: 1% of peers crash and 1% of links close while 1,000 more acked
// messages are in flight. Messages from or to a crashed peer are not counted.
const CHURN_MESSAGES = Math.round(MESSAGES / 2)
const churnRng = net.sim.rng.fork('failures')
const crashedAt = new Set<number>()
const failures: Array<() => void> = []
for (let i = 0; i < Math.max(1, Math.round(PEERS / 100)); i++) {
  const victim = churnRng.int(PEERS)
  failures.push(() => { if (!crashedAt.has(victim)) { crashedAt.add(victim); net.crash(peers[victim]!.id) } })
}
for (let i = 0; i < Math.max(1, Math.round(edges.length / 100)); i++) {
  const [x, y] = edges[churnRng.int(edges.length)]!
  failures.push(() => { mesh.disconnect(peers[x]!, peers[y]!) })
}
const failureAt = new Map<number, Array<() => void>>()
for (const f of failures) {
  const at = churnRng.int(CHURN_MESSAGES)
  failureAt.set(at, [...(failureAt.get(at) ?? []), f])
}
const churnOutcomes: Outcome[] = []
let churnSettled = 0
for (let i = 0; i < CHURN_MESSAGES; i++) {
  for (const f of failureAt.get(i) ?? []) f()
  const s = rng.int(PEERS)
  let d = rng.int(PEERS)
  if (d === s) d = (d + 1) % PEERS
  if (crashedAt.has(s)) { i--; continue }
  const outcome: Outcome = { s, d, ok: false, messageId: null, attempts: 0 }
  churnOutcomes.push(outcome)
  peers[s]!.router.send(peers[d]!.id, APP, new Uint8Array(64), { ack: true }).then((r) => {
    outcome.ok = true
    outcome.attempts = r.attempts
    churnSettled++
  }, () => { churnSettled++ })
  if (i % 10 === 9) await net.sim.advance(100)
}
await mesh.runUntil(() => churnSettled === churnOutcomes.length, 180_000)
const counted = churnOutcomes.filter((o) => !crashedAt.has(o.s) && !crashedAt.has(o.d))
const churnDelivered = counted.filter((o) => o.ok)
const churnRatio = churnDelivered.length / counted.length
const churnRetries = churnDelivered.reduce((n, o) => n + o.attempts - 1, 0) / churnDelivered.length
log(`with failures: delivered ${churnDelivered.length}/${counted.length}, ${churnRetries.toFixed(3)} retries per message (wall ${((performance.now() - wall) / 1000).toFixed(1)} s)`)
mesh.stopAll()

// Real WebRTC line.
log('real WebRTC line of 4')
const line = await rtcLine(4)
const [a, b, , d] = line as [typeof line[0], typeof line[0], typeof line[0], typeof line[0]]
b.router.handle(APP, () => {})
d.router.handle(APP, () => {})
const ROUNDS = 200
const direct: number[] = []
const threeHops: number[] = []
for (let i = 0; i < 20; i++) { await a.router.send(b.id, APP, new Uint8Array(64), { ack: true }); await a.router.send(d.id, APP, new Uint8Array(64), { ack: true }) }
for (let i = 0; i < ROUNDS; i++) {
  let t = performance.now()
  await a.router.send(b.id, APP, new Uint8Array(64), { ack: true })
  direct.push(performance.now() - t)
  t = performance.now()
  await a.router.send(d.id, APP, new Uint8Array(64), { ack: true })
  threeHops.push(performance.now() - t)
}
closeAll(line)
const p50 = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!
// A→D and back crosses 6 links and is forwarded 4 times; A→B and back crosses 2: 4 more link crossings.
const perHop = (p50(threeHops) - p50(direct)) / 4
log(`WebRTC: p50 A→B ${p50(direct).toFixed(2)} ms, A→D ${p50(threeHops).toFixed(2)} ms round trip`)

const yes = (ok: boolean): string => (ok ? 'yes' : '**no**')
const rows = [
  ['delivery ratio (ack + retry)', `${(ratio * 100).toFixed(2)} %`, '≥ 99.9 %', yes(ratio >= 0.999)],
  ['mean path stretch (hops / shortest)', stretch.toFixed(3), '≤ 1.2', yes(stretch <= 1.2)],
  ['transmissions per delivered message / shortest hops (Σ/Σ, retries included)', txRatio.toFixed(3), '≤ 1.3', yes(txRatio <= 1.3)],
  ['worst single message, same ratio', worstTxRatio.toFixed(2), '—', '—'],
  ['retries (per delivered message)', (retries / delivered.length).toFixed(4), '—', '—'],
  ['route-advert bytes per peer per minute, steady state', `${(advertPerPeerMinute / 1024).toFixed(1)} KiB`, 'report', '—'],
  ['… of which periodic full tables', `${(fullPerPeerMinute / 1024).toFixed(1)} KiB`, 'report', '—'],
  ['route-ack bytes per peer per minute during traffic', `${(ackPerPeerMinute / 1024).toFixed(1)} KiB`, 'report', '—'],
  [`delivery ratio while ${crashedAt.size} peers crash and ${failures.length - crashedAt.size} links close (${counted.length} messages between live peers)`, `${(churnRatio * 100).toFixed(2)} %`, '≥ 99.9 %', yes(churnRatio >= 0.999)],
  ['… retries per delivered message', churnRetries.toFixed(3), '—', '—'],
  ['routes converged after the last handshake', converged ? `${(convergeMs / 1000).toFixed(0)} s (virtual)` : 'no', 'converges', yes(converged)],
  ['mean routing table size', tableSize.toFixed(0), `${PEERS - 1}`, yes(Math.round(tableSize) === PEERS - 1)],
  ['routed drops (all reasons, all peers)', String(forwardDrops), '—', '—'],
  ['real WebRTC p50 round trip A→B (direct, baseline)', `${p50(direct).toFixed(2)} ms`, '—', '—'],
  ['real WebRTC p50 round trip A→D (3 hops)', `${p50(threeHops).toFixed(2)} ms`, '—', '—'],
  ['real WebRTC p50 added latency per hop', `${perHop.toFixed(2)} ms`, 'report', '—']
]
console.log(`## Routing (bench/routing.bench.ts)

Simulator: ${PEERS} peers, ${edges.length} links (mean degree ${degree.toFixed(2)}, 6–8), 10 ± 3 ms links with 1% loss
(reliable mode: a loss costs a retransmission timeout), seed ${SEED}; ${MESSAGES} acknowledged 64-byte messages
between random pairs, 100 per virtual second; then ${CHURN_MESSAGES} more while 1% of peers crash and 1% of links close
(messages from or to a crashed peer not counted). Baselines: shortest paths by BFS on the same graph; flooding would cost
about ${edges.length * 2} transmissions per message. Real WebRTC: @roamhq/wrtc on loopback, a line A–B–C–D in one
process, ${ROUNDS} acked round trips each way; added latency per hop = (p50 A→D − p50 A→B) / 4 (four more link
crossings and forwards on the round trip). Wall time ${((performance.now() - wall) / 1000).toFixed(0)} s.

| figure | value | target | met |
|---|---|---|---|
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}
`)
