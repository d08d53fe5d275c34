/**
 * Issue 7's time-to-connected scenario on the simulator, shared by
 * test/sim/hybrid-join-time.test.ts (one seed per run) and bench/hybrid-join-time.bench.ts
 * (quantiles pooled over many seeds): 10 members, then 20 joiners 300 ms apart; 1.5 s in, 2 of
 * the 10 members (all relays) crash. A join's time is the virtual time from its joinRoom to its
 * degree reaching `low`.
 */
import type { MeshPeer } from '@ymesh/core'
import { createMesh } from '../../packages/core/test/helpers/sim-mesh.js'

export const POOL = { degree: { low: 3, target: 4, high: 6 }, redundancy: 2 }
export const MEMBERS = 10
export const JOINERS = 20
/** A join not at `low` within this counts as failed. */
const DEADLINE_MS = 60_000

/** `times`: the joins that reached `low`, ms, sorted; `failed`: those that did not. */
export interface JoinRun { times: number[], failed: number }

/** One run of the scenario with hybrid signaling (its defaults) or the server-only addressed path. */
export async function joinRun (seed: number, hybrid: boolean): Promise<JoinRun> {
  const m = await createMesh(seed)
  try {
    const sim = m.net.sim
    const members: MeshPeer[] = []
    for (let i = 0; i < MEMBERS; i++) {
      const p = await m.add(`m${i}`, { pool: POOL, hybridSignaling: hybrid })
      await p.joinRoom('room')
      members.push(p)
      await sim.advance(800)
    }
    await sim.runUntil(() => members.every((p) => p.connections.length >= POOL.degree.low), { maxEvents: 5_000_000 })
    await sim.advance(5_000)
    const joined = new Map<MeshPeer, { at: number, connected: number | null }>()
    const watch = (p: MeshPeer): void => {
      const record = { at: sim.clock.now(), connected: null as number | null }
      joined.set(p, record)
      p.on('connection-open', () => {
        if (record.connected === null && p.connections.length >= POOL.degree.low) record.connected = sim.clock.now() - record.at
      })
    }
    const crashAt = sim.clock.now() + 1_500
    let crashed = false
    for (let i = 0; i < JOINERS; i++) {
      if (!crashed && sim.clock.now() >= crashAt) {
        // 20 % of the members, all of which relay, crash while newcomers are signaling through them.
        for (const p of members.slice(0, MEMBERS / 5)) m.crash(p)
        crashed = true
      }
      const p = await m.add(`j${i}`, { pool: POOL, hybridSignaling: hybrid })
      watch(p)
      await p.joinRoom('room')
      await sim.advance(300)
    }
    const deadline = sim.clock.now() + DEADLINE_MS
    await sim.runUntil(() => [...joined.values()].every((r) => r.connected !== null) || sim.clock.now() >= deadline, { maxEvents: 20_000_000 })
    const times = [...joined.values()].flatMap((r) => (r.connected === null ? [] : [r.connected])).sort((a, b) => a - b)
    return { times, failed: JOINERS - times.length }
  } finally {
    await m.close()
  }
}

/** Nearest-rank quantile of sorted samples (Infinity when there are none). */
export const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Infinity
