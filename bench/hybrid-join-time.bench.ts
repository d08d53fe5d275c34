// Issue 7's time-to-connected target on the simulator, pooled over many seeds: the scenario of
// test/sim/hybrid-join-time.test.ts (20 joiners, 2 of 10 relaying members crash mid-join), run
// with hybrid signaling and with the server-only addressed path for each seed; the quantiles of
// all joins together, hybrid against server-only, and the seeds whose slowest join is over
// 1.2 ×. Virtual time, so the figures do not depend on the machine (the wall time does: ~7 s a
// seed). Progress on stderr, the markdown on stdout.
//
//   npm run bench -- hybrid-join-time
//   JOIN_SEEDS=100 npm run bench -- hybrid-join-time     (seeds 1..N; default 40)
import { joinRun, quantile, JOINERS, MEMBERS } from '../test/sim/join-time-run.js'

const SEEDS = Math.max(1, Number(process.env.JOIN_SEEDS ?? '') || 40)
const TARGET = 1.2

const hybrid: number[] = []
const serverOnly: number[] = []
const over: Array<{ seed: number, slowest: number, joins: number }> = []
let failed = 0
for (let seed = 1; seed <= SEEDS; seed++) {
  const s = await joinRun(seed, false)
  const h = await joinRun(seed, true)
  failed += s.failed + h.failed
  hybrid.push(...h.times)
  serverOnly.push(...s.times)
  const slowest = quantile(h.times, 1) / quantile(s.times, 1)
  if (slowest > TARGET) over.push({ seed, slowest, joins: h.times.filter((t) => t > TARGET * quantile(s.times, 1)).length })
  if (seed % 5 === 0 || seed === SEEDS) console.error(`[hybrid-join-time] ${seed}/${SEEDS} seeds, ${hybrid.length} hybrid joins, ${over.length} seeds with a join over ${TARGET}×`)
}
hybrid.sort((a, b) => a - b)
serverOnly.sort((a, b) => a - b)

const row = (label: string, q: number): string => {
  const h = quantile(hybrid, q)
  const s = quantile(serverOnly, q)
  return `| ${label} | ${h.toFixed(0)} | ${s.toFixed(0)} | ${(h / s).toFixed(3)}× |`
}
const met = (q: number): boolean => quantile(hybrid, q) / quantile(serverOnly, q) <= TARGET
const joinsOver = hybrid.filter((t) => t > TARGET * quantile(serverOnly, 0.99)).length

console.log(`## Hybrid signaling: time to connected on the simulator, ${SEEDS} seeds pooled

Scenario of test/sim/hybrid-join-time.test.ts, seeds 1–${SEEDS}: ${MEMBERS} members, ${JOINERS} joiners 300 ms apart, 2 of the
${MEMBERS} members (relays) crash 1.5 s in. Virtual ms from a join to degree \`low\`, all joins of all seeds together.

| quantile | hybrid ms | server-only ms | ratio |
|---|---|---|---|
${row('p50', 0.5)}
${row('p90', 0.9)}
${row('p99', 0.99)}
${row('p99.5', 0.995)}
${row('p99.9', 0.999)}

- Joins: ${hybrid.length} hybrid, ${serverOnly.length} server-only; ${failed} did not reach \`low\` within 60 s.
- Target p50 and p99 ≤ ${TARGET}× server-only: p50 ${met(0.5) ? 'met' : '**not met**'}, p99 ${met(0.99) ? 'met' : '**not met**'}.
- Hybrid joins slower than ${TARGET}× the server-only p99: ${joinsOver} of ${hybrid.length}.
- Seeds whose slowest hybrid join is over ${TARGET}× the slowest server-only one: ${over.length === 0 ? 'none' : over.map((o) => `${o.seed} (${o.slowest.toFixed(2)}×, ${o.joins} joins)`).join(', ')}.`)
