/**
 * Hybrid signaling and the peer's attempt handling on a small simulated mesh (the package's own
 * coverage of them; test/sim/hybrid-*.test.ts hold the larger scenarios).
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { MeshPeer } from '../../src/index.js'
import { createMesh, type Mesh } from '../helpers/sim-mesh.js'

let mesh: Mesh | null = null
afterEach(async () => { await mesh?.close(); mesh = null })

const POOL = { degree: { low: 3, target: 4, high: 5 }, redundancy: 2 }

describe('hybrid signaling on a small mesh', () => {
  it('later joiners are signaled through the mesh; members learn each other from rosters; most park', async () => {
    mesh = await createMesh(7)
    const peers: MeshPeer[] = []
    for (let i = 0; i < 8; i++) {
      const p = await mesh.add(`p${i}`, { pool: POOL })
      await p.joinRoom('room')
      peers.push(p)
      await mesh.net.sim.advance(1_200)
    }
    await mesh.net.sim.runUntil(() => peers.every((p) => p.connections.length >= POOL.degree.low), { maxEvents: 5_000_000 })
    await mesh.net.sim.advance(15_000)
    const stats = peers.map((p) => p.hybrid!.stats)
    expect(stats.reduce((n, s) => n + s.relayed, 0)).toBeGreaterThan(0)
    expect(stats.reduce((n, s) => n + s.learned, 0)).toBeGreaterThan(0)
    expect(peers.some((p) => p.connections.some((c) => p.signalPathOf(c.remotePeer) === 'mesh'))).toBe(true)
    expect(peers.filter((p) => p.hybrid!.parkedTopics().length > 0).length).toBeGreaterThan(0)
    expect(peers.every((p) => p.hybrid!.members('room') > 0)).toBe(true)
    // A member that leaves and comes back (same identity) is in again at once.
    const back = peers[3]!
    mesh.crash(back)
    await mesh.net.sim.advance(2_000)
    const again = await mesh.add('p3', { pool: POOL })
    await again.joinRoom('room')
    const start = mesh.net.sim.clock.now()
    await mesh.net.sim.runUntil(() => again.connections.length >= POOL.degree.low, { maxEvents: 5_000_000 })
    expect(mesh.net.sim.clock.now() - start).toBeLessThan(3_000)
  })
})
