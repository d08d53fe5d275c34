/**
 * MeshProvider convergence under faults: 50 peers in one room (partial mesh, degree ≤ 5),
 * seeded random edits over links with 20% loss, 10% duplication and reordering, and a
 * partition that heals. Afterwards every replica has identical content (a hash of the
 * encoded state) and nothing pending. Three fault rounds (each with its own edits, loss,
 * partition and heal) run on one seeded 50-peer room, so the room is built once; the negative
 * control switches anti-entropy off: the same faults then leave some replica behind, which
 * shows anti-entropy is what repairs it (gossip's IHAVE/GRAFT alone does not outlast a partition).
 */
import * as Y from 'yjs'
import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { testSeed } from '../helpers/seed.js'
import { createSimWorld, type SimProvider, type SimWorld } from '../../packages/ymesh/test/helpers/sim-providers.js'

let world: SimWorld | null = null
afterEach(async () => { await world?.close(); world = null })

const PEERS = 50
const pool = { degree: { low: 3, target: 3, high: 5 }, redundancy: 3 }
const hash = (p: SimProvider): string => createHash('sha256').update(Y.encodeStateAsUpdate(p.doc)).digest('hex')
const pending = (p: SimProvider): number => p.provider.authenticated?.stats.pending ?? 0

const EDITS_PER_PHASE = 25

const build = async (seed: number, antiEntropyIntervalMs: number): Promise<SimWorld> => {
  const w = world = createSimWorld(seed, { link: { latencyMs: 20, jitterMs: 5 } })
  for (let i = 0; i < PEERS; i++) await w.add(`p${i}`, 'room', { pool, antiEntropyIntervalMs, batchWindowMs: 16 })
  await w.net.sim.runUntil(() => w.providers.every((p) => p.peer.connections.length >= 3), { maxEvents: 20_000_000 })
  return w
}

const round = async (w: SimWorld, label: string, antiEntropyIntervalMs: number): Promise<{ distinct: number, pending: number }> => {
  const sim = w.net.sim
  const ps = w.providers
  // Faults on: every path drops, duplicates and reorders.
  w.net.setDefaultLink({ mode: 'unreliable', loss: 0.2, duplicate: 0.1, reorder: 0.1, reorderDelayMs: 60 })
  const rng = sim.rng.fork(`edits:${label}`)
  const edit = (): void => {
    const p = ps[rng.int(ps.length)] as SimProvider
    const t = p.doc.getText('t')
    t.insert(rng.int(t.length + 1), String.fromCharCode(97 + rng.int(26)).repeat(1 + rng.int(3)))
  }
  for (let i = 0; i < EDITS_PER_PHASE; i++) { edit(); await sim.advance(40) }
  const ids = ps.map((p) => p.peer.peerId as string)
  const partition = w.net.partitionGroups([ids.slice(0, PEERS / 2), ids.slice(PEERS / 2)])
  for (let i = 0; i < EDITS_PER_PHASE; i++) { edit(); await sim.advance(40) }
  w.net.heal(partition)
  for (let i = 0; i < EDITS_PER_PHASE; i++) { edit(); await sim.advance(40) }
  // Faults off; give the mesh time to repair what was lost.
  w.net.setDefaultLink({ mode: 'reliable', loss: 0, duplicate: 0, reorder: 0 })
  const result = (): { distinct: number, pending: number } => ({ distinct: new Set(ps.map(hash)).size, pending: ps.reduce((n, p) => n + pending(p), 0) })
  // Without anti-entropy nothing is repaired after gossip's own pulls (seconds): 10 s shows it.
  for (let waited = 0; waited < (antiEntropyIntervalMs > 0 ? 40_000 : 10_000); waited += 2_000) {
    await sim.advance(2_000, { maxEvents: 50_000_000 })
    if (antiEntropyIntervalMs > 0 && result().distinct === 1 && result().pending === 0) break
  }
  return result()
}

// Timeouts only guard against a hang: the run is deterministic, and its wall time is mostly
// the real Ed25519 signing and verification of 50 peers, which a busy 2-core machine slows.
const GUARD_MS = 240_000

describe('MeshProvider convergence on a lossy, partitioned simulator network', () => {
  it('50 peers converge with anti-entropy after each of 3 fault rounds', async () => {
    const w = await build(testSeed(), 2_000)
    for (const label of ['round 1', 'round 2', 'round 3']) {
      expect({ label, ...await round(w, label, 2_000) }).toEqual({ label, distinct: 1, pending: 0 })
    }
  }, GUARD_MS)

  it('negative control: with anti-entropy off, some replica stays behind', async () => {
    const result = await round(await build(testSeed(), 0), 'round 1', 0)
    expect(result.distinct > 1 || result.pending > 0).toBe(true)
  }, GUARD_MS)
})
