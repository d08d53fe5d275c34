// Issue 7's benchmark on the real thing: what a staggered join of N peers costs one
// @ymesh/signaling-server (messages and bytes both ways, from its /metrics), for stock y-webrtc,
// ymesh with server-only addressed signaling, and ymesh with hybrid signaling, in one run on one
// server, over real WebRTC. Also connection success, time to connected, and the server
// connections still held once the room formed. Progress on stderr, the markdown on stdout.
//
//   npm run bench -- hybrid-signaling
//   HYBRID_BENCH_PEERS=20 HYBRID_BENCH_STAGGER_MS=500 HYBRID_BENCH_HOSTS=5 npm run bench -- hybrid-signaling
import { createSignalingServer, silentLogger } from '@ymesh/signaling-server'
import { renderReport } from './hybrid/report.js'
import { runSetup, type SetupResult, type SetupSpec } from './hybrid/run-setup.js'

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name])
  return Number.isFinite(v) && v > 0 ? v : fallback
}
const PEERS = num('HYBRID_BENCH_PEERS', 50)
const STAGGER_MS = num('HYBRID_BENCH_STAGGER_MS', 1000)
const HOSTS = num('HYBRID_BENCH_HOSTS', 5)
const STOCK_MAX_CONNS = num('HYBRID_BENCH_STOCK_MAXCONNS', 8)
const LOW = 4

const server = createSignalingServer({
  port: 0,
  logger: silentLogger,
  // Every peer connects from 127.0.0.1: the per-IP limits would refuse most of them.
  limits: { maxConnectionsPerIp: 10_000, connectionsPerSecondPerIp: 10_000, connectionBurstPerIp: 10_000 }
})
await server.start()
process.stderr.write(`[hybrid-signaling bench] server on ${server.url}; ${PEERS} peers, one every ${STAGGER_MS} ms\n`)

const base: Omit<SetupSpec, 'label' | 'kind' | 'hybrid' | 'maxConns'> = {
  peers: PEERS,
  hosts: HOSTS,
  staggerMs: STAGGER_MS,
  low: LOW,
  formDeadlineMs: 30_000,
  settleMs: 10_000
}
const run = `${Date.now().toString(36)}`
let results: SetupResult[]
try {
  results = [
    await runSetup(server, { ...base, label: 'stock y-webrtc', kind: 'stock', hybrid: false, maxConns: STOCK_MAX_CONNS }, `hybrid-bench-stock-${run}`),
    await runSetup(server, { ...base, label: 'ymesh server-only', kind: 'mesh', hybrid: false, maxConns: 8 }, `hybrid-bench-server-${run}`),
    await runSetup(server, { ...base, label: 'ymesh hybrid', kind: 'mesh', hybrid: true, maxConns: 8 }, `hybrid-bench-hybrid-${run}`)
  ]
} finally {
  await server.stop()
}
const [stock, serverOnly, hybrid] = results as [SetupResult, SetupResult, SetupResult]
for (const r of results) process.stderr.write(`[hybrid-signaling bench] ${r.spec.label} by type: ${JSON.stringify(r.counters.byType)}\n`)
process.stdout.write(renderReport({ stock, serverOnly, hybrid, peers: PEERS, staggerMs: STAGGER_MS, hosts: HOSTS, stockMaxConns: STOCK_MAX_CONNS }))
