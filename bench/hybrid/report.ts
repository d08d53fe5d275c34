// The markdown section of the hybrid signaling bench: one row per setup, then the ratios
// against the targets of issue 7.
import type { SetupResult } from './run-setup.js'

const pct = (values: number[], p: number): number => {
  if (values.length === 0) return NaN
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil(s.length * p) - 1)] as number
}
const ms = (v: number): string => Number.isFinite(v) ? `${Math.round(v).toLocaleString('en-US')}` : '–'
const n = (v: number): string => v.toLocaleString('en-US')
const kb = (v: number): string => `${(v / 1024).toFixed(0)}`
const share = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(0)} %`

export interface Summary {
  messages: number
  bytes: number
  first: number[]
  low: number[]
  /** Connections formed (each counted once), from both ends' counts. */
  formed: number
  withConnection: number
  atLow: number
  synced: number
}

export const summarize = (r: SetupResult): Summary => {
  const reached = (k: 'first' | 'low'): number[] => r.peers.map((p) => p[k]).filter((v): v is number => v !== null)
  return {
    messages: r.counters.messagesIn + r.counters.messagesOut,
    bytes: r.counters.bytesIn + r.counters.bytesOut,
    first: reached('first'),
    low: reached('low'),
    formed: Math.round(r.peers.reduce((a, p) => a + p.connectionsOpened, 0) / 2),
    withConnection: r.peers.filter((p) => p.first !== null).length,
    atLow: r.peers.filter((p) => p.low !== null).length,
    synced: r.peers.filter((p) => p.synced !== null).length
  }
}

const reduction = (ours: number, base: number): number => 1 - ours / base

export const renderReport = (o: { stock: SetupResult, serverOnly: SetupResult, hybrid: SetupResult, peers: number, staggerMs: number, hosts: number, stockMaxConns: number }): string => {
  const [st, so, hy] = [summarize(o.stock), summarize(o.serverOnly), summarize(o.hybrid)]
  const row = (r: SetupResult, s: Summary): string => [
    r.spec.label,
    n(r.counters.messagesIn), n(r.counters.messagesOut), kb(r.counters.bytesIn), kb(r.counters.bytesOut),
    `${s.withConnection}/${r.peers.length}`, `${s.atLow}/${r.peers.length}`, `${s.synced}/${r.peers.length}`,
    `${ms(pct(s.first, 0.5))} / ${ms(pct(s.first, 0.99))}`, `${ms(pct(s.low, 0.5))} / ${ms(pct(s.low, 0.99))}`,
    n(r.heldConnections), n(s.formed), s.formed === 0 ? '–' : (s.messages / s.formed).toFixed(1), r.load.toFixed(1)
  ].join(' | ')
  const hyStats = o.hybrid.peers.map((p) => p.hybrid).filter((h) => h !== null)
  const sum = (k: 'relayed' | 'fallbacks' | 'serverSignals' | 'relayedForOthers' | 'declines'): number => hyStats.reduce((a, h) => a + h[k], 0)
  const reasons: Record<string, number> = {}
  for (const h of hyStats) for (const [k, v] of Object.entries(h.fallbackReasons)) reasons[k] = (reasons[k] ?? 0) + v
  const again: Record<string, number> = {}
  for (const h of hyStats) for (const [k, v] of Object.entries(h.reannounceReasons ?? {})) again[k] = (again[k] ?? 0) + v
  const srtts = hyStats.map((h) => h.srttMs).filter((v): v is number => v !== null)
  const relays = o.hybrid.peers.filter((p) => (p.hybrid?.relayedForOthers ?? 0) > 0).length
  const tally = (r: SetupResult, k: 'handshakeFailures' | 'closeReasons' | 'counters'): string => {
    const t: Record<string, number> = {}
    for (const p of r.peers) for (const [reason, v] of Object.entries(p[k] ?? {})) t[reason] = (t[reason] ?? 0) + v
    return Object.entries(t).sort(([, a], [, b]) => b - a).map(([reason, v]) => `${reason} ${v}`).join(', ') || 'none'
  }
  /** Link attempts that became connections, both ends counted alike. */
  const attempts = (r: SetupResult): string => {
    const opened = r.peers.reduce((a, p) => a + p.connectionsOpened, 0)
    const failed = r.peers.reduce((a, p) => a + Object.values(p.handshakeFailures ?? {}).reduce((x, y) => x + y, 0), 0)
    return opened + failed === 0 ? '–' : share(opened, opened + failed)
  }
  const lag = (r: SetupResult): string => {
    const d = r.peers.map((p) => p.loopDelay).filter((x) => x !== undefined)
    if (d.length === 0) return '–'
    return `p50 ${ms(Math.max(...d.map((x) => x.p50)))} ms, p99 ${ms(Math.max(...d.map((x) => x.p99)))} ms, max ${ms(Math.max(...d.map((x) => x.max)))} ms`
  }
  const check = (ok: boolean): string => ok ? 'met' : '**not met**'
  const vsStock = { m: reduction(hy.messages, st.messages), b: reduction(hy.bytes, st.bytes) }
  const vsServer = { m: reduction(hy.messages, so.messages), b: reduction(hy.bytes, so.bytes) }
  const time = (k: 'first' | 'low', p: number): number => pct(hy[k], p) / pct(so[k], p)
  const timeOk = [time('first', 0.5), time('first', 0.99), time('low', 0.5), time('low', 0.99)].every((t) => t <= 1.2)
  const success = (s: Summary, total: number): string => share(s.atLow, total)
  const hyperCount = o.hybrid.peers.length
  return `## Hybrid signaling: server load of a ${o.peers}-peer staggered join (real server, real WebRTC)

One @ymesh/signaling-server (in-process, port 0; only the per-IP connection limits raised, everything comes
from 127.0.0.1), ${o.peers} peers joining one fresh room per setup, one every ${o.staggerMs} ms, over real WebRTC
(@roamhq/wrtc, loopback host candidates). Server counters (\`ymesh_signal_{messages,bytes}_{in,out}_total\` from
/metrics) are read before the first join and after the room formed (every peer at degree low and synced, or the
deadline) plus a settle time; each setup is closed completely before the next.
- **stock y-webrtc**: y-webrtc 10.3.0 WebrtcProviders, one per process, \`maxConns: ${o.stockMaxConns}\` (≈ 200 connections at most).
- **ymesh server-only**: MeshProviders on peers with \`hybridSignaling: false\` (addressed signals through the server),
  ${o.hosts} processes; degree low/target/high 4/6/8 (MeshProvider's for \`maxConns: 8\`).
- **ymesh hybrid**: the same with hybrid signaling (the default).

"At degree low" counts peers with ≥ ${o.hybrid.spec.low} connections in the room; times are ms from the peer's join to
its first connection and to degree low (p50 / p99 over the peers that got there). "Held" is the server's open
connections once the room formed and settled. "Msgs/conn" is server messages per connection formed. "Load" is the
machine's 1-minute load average when the room formed (2 cores, shared).

| setup | msgs in | msgs out | KiB in | KiB out | ≥ 1 conn | at degree low | synced | first conn p50 / p99 ms | degree low p50 / p99 ms | held | conns formed | msgs/conn | load |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
| ${row(o.stock, st)} |
| ${row(o.serverOnly, so)} |
| ${row(o.hybrid, hy)} |

- Hybrid vs stock y-webrtc: **${(100 * vsStock.m).toFixed(1)} %** fewer messages, **${(100 * vsStock.b).toFixed(1)} %** fewer bytes — target ≥ 90 %: ${check(vsStock.m >= 0.9 && vsStock.b >= 0.9)}.
- Hybrid vs ymesh server-only: **${(100 * vsServer.m).toFixed(1)} %** fewer messages, **${(100 * vsServer.b).toFixed(1)} %** fewer bytes — target ≥ 70 %: ${check(vsServer.m >= 0.7 && vsServer.b >= 0.7)}.
- Time to connected, hybrid / server-only: first connection p50 ${time('first', 0.5).toFixed(2)}×, p99 ${time('first', 0.99).toFixed(2)}×; degree low p50 ${time('low', 0.5).toFixed(2)}×, p99 ${time('low', 0.99).toFixed(2)}× — target ≤ 1.2×: ${check(timeOk)}.
- Success (peers at degree low): stock ${success(st, o.stock.peers.length)}, server-only ${success(so, o.serverOnly.peers.length)}, hybrid ${success(hy, hyperCount)} — target ≥ 99 %: ${check(hy.atLow >= 0.99 * hyperCount)}.
- Hybrid signaling at work: ${n(sum('relayed'))} capsules delivered through the mesh (relayed by ${relays} of ${hyperCount} peers,
  ${n(sum('relayedForOthers'))} forwards), ${n(sum('fallbacks'))} timed out or were refused on every path (${Object.entries(reasons).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}; of these ${n(hyStats.reduce((a, h) => a + (h.lateAcks ?? 0), 0))} acked later through the mesh,
  and ${n(hyStats.reduce((a, h) => a + (h.withheld ?? 0), 0))} not sent to the server because the target was parked),
  ${n(sum('declines'))} declines, ${n(sum('serverSignals'))} signals through the server (bootstrap, fallback),
  ${n(Object.values(again).reduce((a, v) => a + v, 0))} repeated announces (${Object.entries(again).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}); smoothed relay round trip
  (capsule out, ack back) p50 ${ms(pct(srtts, 0.5))} ms, max ${ms(pct(srtts, 1))} ms over ${srtts.length} peers with a sample.
- Event loop delay of the peer host processes (worst host; relayed signals wait in every host they pass, server
  signals only in the two ends'): stock ${lag(o.stock)}; server-only ${lag(o.serverOnly)}; hybrid ${lag(o.hybrid)}.
- Link attempts that became connections: server-only ${attempts(o.serverOnly)}, hybrid ${attempts(o.hybrid)}.
  Failed link attempts (both ends count): server-only ${tally(o.serverOnly, 'handshakeFailures')}; hybrid ${tally(o.hybrid, 'handshakeFailures')}.
  Connections closed: server-only ${tally(o.serverOnly, 'closeReasons')}; hybrid ${tally(o.hybrid, 'closeReasons')}.
  Core counters, server-only: ${tally(o.serverOnly, 'counters')}.
  Core counters, hybrid: ${tally(o.hybrid, 'counters')}.
${st.atLow < o.stock.peers.length ? `- Stock y-webrtc: ${o.stock.peers.length - st.atLow} peers stayed below ${o.hybrid.spec.low} connections (y-webrtc dials only when it sees an announce and
  has fewer than \`maxConns\`, counting the connections it accepted; a peer announces only when it joins or loses a connection).
` : ''}`
}
