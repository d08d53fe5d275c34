/**
 * MeshProvider dissemination and signing cost.
 *
 * 1. On the simulator (fixed 30 ms links, no jitter, no loss), a 200-peer room whose pool
 *    keeps degree ≤ 8 and a 30-peer full mesh: MeshProvider's Plumtree gossip against eager
 *    flooding (`gossip: false`: every peer sends every new update to all its neighbours, as
 *    y-webrtc does) on the same graph (same seed; the edge sets are compared). Per update:
 *    payload copies received by all peers together, and the time until every peer has it.
 *    Targets (issue 5): copies ≤ 1.3 × (N − 1); p99 time-to-all ≤ 1.5 × flooding's.
 * 2. Real time, one core: signed updates per second through one engine to a second one
 *    (sign, send, verify, apply), and the latency signing adds against plain Yjs updates over
 *    the same 30 ms timer link. Targets: ≥ 2,000 updates/s per peer; added latency ≤ the
 *    batching window + 1 ms.
 *
 * The simulated peers run @ymesh/core's plain path (server-only signaling, no multi-hop
 * routing, no core gossip or capability records): MeshProvider's dissemination uses none of
 * them, links here have no bandwidth to compete for, and with them on most of a 200-peer
 * run's time goes into forming the room (peer-relayed signaling seals and signs every signal
 * through the mesh; capability records and route tables are signed and flooded to everyone).
 */
import * as Y from 'yjs'
import type { PeerId } from '@ymesh/protocol'
import { generateIdentity } from '@ymesh/crypto'
import { createSystemClock, createSystemRng } from '@ymesh/core'
import { AuthenticatedDoc, DEFAULT_BATCH_WINDOW_MS } from '@ymesh/sync'
import { createSimWorld, type SimProvider } from '../packages/ymesh/test/helpers/sim-providers.js'

const SEED = 5151
const UPDATES = Number(process.env.PROVIDER_BENCH_UPDATES ?? 40)
const GAP_MS = 250
/** Core features MeshProvider's dissemination does not use, off (see the header). */
const PEER_OPTIONS = { routing: false, gossip: false, capabilities: false, hybridSignaling: false } as const
/** The edge set must hold this long before measuring: longer than the pool's 10 s connect timeout, after which peers short of neighbours try again. */
const STABLE_MS = 12_000
const SETUP_LIMIT_MS = 120_000
const log = (s: string): void => { process.stderr.write(`${s}\n`) }
const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
}

interface SpreadResult { grafts: number, prunes: number, copiesPerUpdate: number, p50: number, p99: number, complete: number, edges: string, degreeMin: number, degreeMax: number, degreeAvg: number, setupMs: number, wallMs: number }

const edgesOf = (ps: SimProvider[]): { key: string, min: number, max: number, avg: number } => {
  const edges = new Set<string>()
  let min = Infinity
  let max = 0
  let sum = 0
  for (const p of ps) {
    const conns = p.peer.connectionsIn('room')
    min = Math.min(min, conns.length)
    max = Math.max(max, conns.length)
    sum += conns.length
    for (const c of conns) {
      const a = p.peer.peerId as string
      const b = c.remotePeer as string
      edges.add(a < b ? `${a}-${b}` : `${b}-${a}`)
    }
  }
  return { key: [...edges].sort().join(','), min, max, avg: sum / ps.length }
}

async function spread (n: number, fullMesh: boolean, gossip: boolean): Promise<SpreadResult> {
  const t0 = performance.now()
  const world = createSimWorld(SEED, { link: { latencyMs: 30, jitterMs: 0, bandwidth: Infinity } })
  const sim = world.net.sim
  const pool = fullMesh
    ? { degree: { low: n - 1, target: n - 1, high: n - 1 }, redundancy: 3, maxConnections: n + 8 }
    : { degree: { low: 4, target: 6, high: 8 }, redundancy: 3 }
  for (let i = 0; i < n; i++) {
    await world.add(`p${i}`, 'room', { pool, gossip, batchWindowMs: 16, antiEntropyIntervalMs: 60_000, maxConns: fullMesh ? n - 1 : 8, peerOptions: PEER_OPTIONS })
  }
  const ps = world.providers
  const low = fullMesh ? n - 1 : 4
  const status = (): string => {
    const e = edgesOf(ps)
    return `t=${(sim.now / 1000).toFixed(1)} s, degree ${e.min}..${e.max}, wall ${((performance.now() - t0) / 1000).toFixed(0)} s`
  }
  // Stepped rather than runUntil(predicate): a predicate over every peer after every event costs O(N) per event.
  while (sim.now < SETUP_LIMIT_MS && !ps.every((p) => p.peer.connectionsIn('room').length >= low)) {
    await sim.advance(250, { maxEvents: 50_000_000 })
  }
  log(`  connected: ${status()}`)
  // The pool settles (surplus links pruned, stragglers retry after the connect timeout) and the first awareness floods die out.
  let key = edgesOf(ps).key
  let stableSince = sim.now
  while (sim.now - stableSince < STABLE_MS && sim.now < SETUP_LIMIT_MS) {
    await sim.advance(1_000, { maxEvents: 50_000_000 })
    const next = edgesOf(ps).key
    if (next !== key) { key = next; stableSince = sim.now }
    if (Math.floor(sim.now / 5_000) !== Math.floor((sim.now - 1_000) / 5_000)) log(`  settling: ${status()}`)
  }
  log(`  settled: ${status()}`)
  const setupMs = sim.now
  const before = edgesOf(ps)
  const arrivals = new Map<string, number[]>()
  for (const p of ps) {
    p.doc.getMap('m').observe((event) => {
      for (const key of event.keysChanged) {
        let times = arrivals.get(key)
        if (times === undefined) arrivals.set(key, times = [])
        times.push(sim.now)
      }
    })
  }
  const received0 = ps.reduce((s, p) => s + p.provider.gossipStats.updatesReceived, 0)
  const grafts0 = ps.reduce((s, p) => s + p.provider.gossipStats.grafts, 0)
  const prunes0 = ps.reduce((s, p) => s + p.provider.gossipStats.prunes, 0)
  const pick = sim.rng.fork('sources')
  const madeAt = new Map<string, number>()
  for (let u = 0; u < UPDATES; u++) {
    const source = ps[pick.int(n)] as SimProvider
    const key = `u${u}`
    madeAt.set(key, sim.now)
    source.doc.getMap('m').set(key, u)
    await sim.advance(GAP_MS, { maxEvents: 50_000_000 })
  }
  await sim.advance(5_000, { maxEvents: 50_000_000 })
  const after = edgesOf(ps)
  const copies = ps.reduce((s, p) => s + p.provider.gossipStats.updatesReceived, 0) - received0
  const grafts = ps.reduce((s, p) => s + p.provider.gossipStats.grafts, 0) - grafts0
  const prunes = ps.reduce((s, p) => s + p.provider.gossipStats.prunes, 0) - prunes0
  const spans: number[] = []
  let complete = 0
  for (const [key, at] of madeAt) {
    const times = arrivals.get(key) ?? []
    if (times.length === n) complete++ // the source's own observer counts too
    spans.push(Math.max(...times) - at)
  }
  await world.close()
  return {
    grafts,
    prunes,
    copiesPerUpdate: copies / UPDATES,
    p50: quantile(spans, 0.5),
    p99: quantile(spans, 0.99),
    complete,
    edges: before.key === after.key ? before.key : `changed:${before.key}`,
    degreeMin: before.min,
    degreeMax: before.max,
    degreeAvg: before.avg,
    setupMs,
    wallMs: performance.now() - t0
  }
}

/** Signed updates through engine A to engine B, as fast as A's transactions come. */
async function signedRate (count: number): Promise<{ perSecond: number, signatures: number }> {
  const clock = createSystemClock()
  const [ia, ib] = await Promise.all([generateIdentity(), generateIdentity()])
  const da = new Y.Doc()
  const db = new Y.Doc()
  const a = new AuthenticatedDoc({ doc: da, docId: 'bench', identity: ia, clock, rng: createSystemRng() })
  const b = new AuthenticatedDoc({ doc: db, docId: 'bench', identity: ib, clock, rng: createSystemRng() })
  await a.start()
  await b.start()
  a.on('message', ({ message }) => { void b.receive(message, { from: ia.peerId }) })
  const t = da.getText('t')
  const t0 = performance.now()
  for (let i = 0; i < count; i++) {
    t.insert(t.length, 'x') // one transaction: one y-webrtc update
    if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve))
  }
  await a.flush()
  while (db.getText('t').length < count) await new Promise((resolve) => setTimeout(resolve, 1))
  const ms = performance.now() - t0
  const signatures = a.stats.signed
  await a.stop()
  await b.stop()
  return { perSecond: count / ms * 1000, signatures }
}

/** Edit → remote doc has it, over a 30 ms timer link: signed engine path vs plain Yjs updates. */
async function addedLatency (samples: number): Promise<{ signedP50: number, plainP50: number, signedP99: number, plainP99: number }> {
  const clock = createSystemClock()
  const LINK_MS = 30
  const measure = async (signed: boolean): Promise<number[]> => {
    const da = new Y.Doc()
    const db = new Y.Doc()
    let a: AuthenticatedDoc | null = null
    let b: AuthenticatedDoc | null = null
    if (signed) {
      const [ia, ib] = await Promise.all([generateIdentity(), generateIdentity()])
      a = new AuthenticatedDoc({ doc: da, docId: 'lat', identity: ia, clock, rng: createSystemRng() })
      b = new AuthenticatedDoc({ doc: db, docId: 'lat', identity: ib, clock, rng: createSystemRng() })
      await a.start()
      await b.start()
      const engineB = b
      a.on('message', ({ message }) => { setTimeout(() => { void engineB.receive(message, { from: ia.peerId as PeerId }) }, LINK_MS) })
    } else {
      da.on('update', (update: Uint8Array) => { setTimeout(() => { Y.applyUpdate(db, update) }, LINK_MS) })
    }
    const out: number[] = []
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now()
      const arrived = new Promise<void>((resolve) => { db.getMap('m').observe(function once () { db.getMap('m').unobserve(once); resolve() }) })
      da.getMap('m').set(`k${i}`, i)
      await arrived
      out.push(performance.now() - t0)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await a?.stop()
    await b?.stop()
    return out
  }
  const plain = await measure(false)
  const signed = await measure(true)
  return { signedP50: quantile(signed, 0.5), plainP50: quantile(plain, 0.5), signedP99: quantile(signed, 0.99), plainP99: quantile(plain, 0.99) }
}

const yes = (met: boolean): string => met ? '**met**' : '**not met**'
const rows: string[] = []
let sameGraphs = true
const BIG = Number(process.env.PROVIDER_BENCH_PEERS ?? 200)
for (const [label, n, full] of [[`${BIG} peers, degree ≤ 8`, BIG, false], ['30 peers, full mesh', 30, true]] as const) {
  log(`${label}: flooding`)
  const flood = await spread(n, full, false)
  log(`  ${JSON.stringify({ ...flood, edges: undefined })}`)
  log(`${label}: gossip`)
  const tree = await spread(n, full, true)
  log(`  ${JSON.stringify({ ...tree, edges: undefined })}`)
  const same = flood.edges === tree.edges && !flood.edges.startsWith('changed:')
  sameGraphs &&= same
  const copiesTarget = 1.3 * (n - 1)
  rows.push(`| ${label} (degree ${tree.degreeMin}–${tree.degreeMax}, mean ${tree.degreeAvg.toFixed(1)}; measured from t = ${(tree.setupMs / 1000).toFixed(0)} s) | flooding | ${flood.copiesPerUpdate.toFixed(0)} | ${flood.p50.toFixed(0)} | ${flood.p99.toFixed(0)} | ${flood.complete}/${UPDATES} | |`)
  rows.push(`| | gossip | ${tree.copiesPerUpdate.toFixed(0)} (${(tree.copiesPerUpdate / (n - 1)).toFixed(2)} × (N − 1)) | ${tree.p50.toFixed(0)} | ${tree.p99.toFixed(0)} (${(tree.p99 / flood.p99).toFixed(2)} ×) | ${tree.complete}/${UPDATES} | copies ≤ ${copiesTarget.toFixed(0)}: ${yes(tree.copiesPerUpdate <= copiesTarget)}; p99 ≤ ${(1.5 * flood.p99).toFixed(0)} ms: ${yes(tree.p99 <= 1.5 * flood.p99)}${same ? '' : ' (graphs differed)'} |`)
}
log('signed update rate')
const rate = await signedRate(20_000)
log(`  ${JSON.stringify(rate)}`)
log('added latency')
const lat = await addedLatency(100)
log(`  ${JSON.stringify(lat)}`)
const added = lat.signedP50 - lat.plainP50
const addedTarget = DEFAULT_BATCH_WINDOW_MS + 1

console.log(`## MeshProvider: gossip dissemination and signing (bench/provider.bench.ts)

Simulator, fixed 30 ms links, no loss; ${UPDATES} updates from random peers, ${GAP_MS} ms apart; the
same seed builds the same graph for both strategies (${sameGraphs ? 'edge sets checked equal' : 'edge sets DIFFERED'}).
Baseline: eager flooding on the same graph (\`gossip: false\`: every peer sends every new update to
all its neighbours except the one it came from — y-webrtc's strategy, which also echoes to the sender).
"Copies" are signed-update payloads received by all peers together, per update; "time to all" runs
from the edit (signing included: an edit with nothing signed in the last ${DEFAULT_BATCH_WINDOW_MS} ms is signed at once,
later ones wait for that window) until the last peer has it. Measuring starts once every peer has its
low degree (4; full mesh: N − 1) and the edge set has held for ${STABLE_MS / 1000} s. The peers run @ymesh/core's
plain path (server-only signaling; no multi-hop routing, core gossip or capability records): MeshProvider's
dissemination uses none of them, and they would only make forming the room slower.

| room | strategy | copies per update | time to all p50 (ms) | p99 (ms) | reached all | targets |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Signing, real time on this machine (one process): ${rate.perSecond.toFixed(0)} transactions/s per peer through
sign → send → verify → apply (${rate.signatures} signatures for 20,000 transactions: batching) —
target ≥ 2,000/s: ${yes(rate.perSecond >= 2000)}. Edit → remote document over a 30 ms timer link, p50:
signed ${lat.signedP50.toFixed(1)} ms vs plain Yjs ${lat.plainP50.toFixed(1)} ms (p99 ${lat.signedP99.toFixed(1)} vs ${lat.plainP99.toFixed(1)}):
added ${added.toFixed(1)} ms (p99 ${(lat.signedP99 - lat.plainP99).toFixed(1)} ms) — target ≤ batch window + 1 ms = ${addedTarget} ms: ${yes(added <= addedTarget)}.
Edits here are 20 ms apart, so each is signed at once rather than at the end of a window.
`)
