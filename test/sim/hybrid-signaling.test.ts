import { afterEach, describe, expect, it } from 'vitest'
import type { MeshPeer } from '@ymesh/core'
import { testSeed } from '../helpers/seed.js'
import { createMesh, type Mesh } from '../../packages/core/test/helpers/sim-mesh.js'

let mesh: Mesh | null = null
afterEach(async () => { await mesh?.close(); mesh = null })

const POOL = { degree: { low: 3, target: 4, high: 6 }, redundancy: 2 }
const sum = (peers: readonly MeshPeer[], f: (p: MeshPeer) => number): number => peers.reduce((n, p) => n + f(p), 0)

/** Staggered joins: each peer joins `gapMs` after the previous one. */
async function join (m: Mesh, count: number, gapMs: number, extra: Parameters<Mesh['add']>[1] = {}, from = 0): Promise<MeshPeer[]> {
  const out: MeshPeer[] = []
  for (let i = from; i < from + count; i++) {
    const p = await m.add(`p${i}`, { pool: POOL, ...extra })
    await p.joinRoom('room')
    out.push(p)
    await m.net.sim.advance(gapMs)
  }
  return out
}

describe('hybrid signaling on the simulator', () => {
  it('later joins connect through signals relayed by peers (one hop and several), not the server', async () => {
    mesh = await createMesh(testSeed())
    const peers = await join(mesh, 12, 1_500)
    await mesh.net.sim.runUntil(() => peers.every((p) => p.connections.length >= 3), { maxEvents: 5_000_000 })
    const relayed = sum(peers, (p) => p.hybrid?.stats.relayed ?? 0)
    const fallbacks = sum(peers, (p) => p.hybrid?.stats.fallbacks ?? 0)
    expect(relayed).toBeGreaterThan(10)
    expect(fallbacks).toBeLessThan(relayed)
    expect(sum(peers, (p) => p.hybrid?.relay.relayedForOthers ?? 0)).toBeGreaterThan(0)
    // Newcomers learned members through the mesh, not only from the server's few rendezvous points.
    expect(sum(peers, (p) => p.hybrid?.stats.learned ?? 0)).toBeGreaterThan(0)
    // A relay request, a relay's hand-over to a target it is connected to, acks and rosters go
    // to neighbours as relayed-signal-hop frames, without the routed envelope's seal and signature.
    const hops = sum(peers, (p) => p.metrics.framesOut.get({ tag: 'relayed-signal-hop' }))
    expect(hops).toBeGreaterThan(relayed)
    const received = sum(peers, (p) => p.metrics.framesIn.get({ tag: 'relayed-signal-hop' }))
    expect(received).toBeGreaterThan(relayed) // (some may still be in flight)
    expect(received).toBeLessThanOrEqual(hops)
    // The route's first hop is asked to relay, and relays connected to the target come first, so
    // capsules travel as hop frames nearly all the way (7-8 per capsule on seeds 1-3; 4 when the
    // sender routed an envelope to every target it had a route to).
    expect(hops).toBeGreaterThan(5.5 * relayed)
  })

  it('most members leave the server topic; the rendezvous points stay, and are replaced when they leave', async () => {
    mesh = await createMesh(testSeed())
    const peers = await join(mesh, 10, 1_000)
    await mesh.net.sim.advance(30_000)
    const subscribed = (ps: readonly MeshPeer[]): MeshPeer[] => ps.filter((p) => p.hybrid?.parkedTopics().length === 0)
    const stay = subscribed(peers)
    expect(stay.length).toBeGreaterThanOrEqual(1)
    expect(stay.length).toBeLessThanOrEqual(3)
    expect(mesh.hub.connections).toBeLessThan(peers.length)
    // The rendezvous points leave: others take their place, and a newcomer still gets in.
    for (const p of stay) mesh.crash(p)
    const rest = peers.filter((p) => !stay.includes(p))
    await mesh.net.sim.advance(60_000)
    expect(subscribed(rest).length).toBeGreaterThanOrEqual(1)
    const [late] = await join(mesh, 1, 0, {}, 100)
    await mesh.net.sim.runUntil(() => (late?.connections.length ?? 0) >= 2, { maxEvents: 5_000_000 })
  })

  it('20% of relays crash mid-join: every join still succeeds (multi-path or fallback)', async () => {
    mesh = await createMesh(testSeed())
    const first = await join(mesh, 10, 800)
    await mesh.net.sim.advance(5_000)
    const joining = join(mesh, 10, 300, {}, 10)
    await mesh.net.sim.advance(1_000)
    for (const p of first.slice(0, 2)) mesh.crash(p) // 20% of the peers relaying, in the middle of the joins
    const late = await joining
    await mesh.net.sim.runUntil(() => late.every((p) => p.connections.length >= 2), { maxEvents: 10_000_000 })
    expect(late.every((p) => p.connections.length >= 2)).toBe(true)
  })

  it('relays unavailable (every peer declines and forwards nothing): joins fall back to the server and all succeed', async () => {
    mesh = await createMesh(testSeed())
    const peers = await join(mesh, 8, 800, { hybridSignaling: { relay: false }, routing: { forwarding: false } })
    await mesh.net.sim.runUntil(() => peers.every((p) => p.connections.length >= 3), { maxEvents: 5_000_000 })
    expect(sum(peers, (p) => p.hybrid?.stats.relayed ?? 0)).toBe(0)
    expect(sum(peers, (p) => p.hybrid?.relay.relayedForOthers ?? 0)).toBe(0)
    // Peers that relay nothing never leave the server topic: they would be unreachable.
    expect(peers.every((p) => p.hybrid?.parkedTopics().length === 0)).toBe(true)
  })

  it('hybridSignaling: false is the server-only addressed path: no relaying, every member stays subscribed', async () => {
    const cost = async (hybrid: boolean): Promise<{ held: number, messages: number }> => {
      const m = await createMesh(testSeed())
      const peers = await join(m, 10, 1_000, { hybridSignaling: hybrid })
      await m.net.sim.runUntil(() => peers.every((p) => p.connections.length >= 3), { maxEvents: 5_000_000 })
      expect(peers.every((p) => (p.hybrid === null) === !hybrid)).toBe(true)
      const out = { held: m.hub.connections, messages: m.hub.counts.messagesIn + m.hub.counts.messagesOut }
      await m.close()
      return out
    }
    const serverOnly = await cost(false)
    expect(serverOnly.held).toBe(10)
    // Hybrid costs the server less (hybrid-load.test.ts holds the ≥ 70 % target at 40 peers).
    expect((await cost(true)).messages).toBeLessThan(serverOnly.messages)
  })
})
