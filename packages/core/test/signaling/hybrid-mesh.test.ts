/**
 * Hybrid signaling and the peer's attempt handling on a small simulated mesh (the package's own
 * coverage of them; test/sim/hybrid-*.test.ts hold the larger scenarios).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { generateIdentity } from '@ymesh/crypto'
import type { Link, SignalData } from '@ymesh/protocol'
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

  it('a forged offer in a connected member\'s name leaves the working connection up', async () => {
    mesh = await createMesh(8)
    const m = mesh
    const a = await m.add('a')
    const b = await m.add('b')
    await a.joinRoom('room')
    await b.joinRoom('room')
    await m.net.sim.runUntil(() => a.connections.length === 1 && b.connections.length === 1, { maxEvents: 1_000_000 })
    const working = a.connections[0]
    const attacker = await generateIdentity({ seed: m.net.sim.rng.fork('attacker').bytes(32) })
    const transport = m.net.createTransport(attacker.peerId)
    const forged = m.hub.createSource({ localPeer: b.peerId, clock: transport.clock, rng: transport.rng.fork('forged') })
    let link: Link | null = null
    forged.on('signal', (e) => { if (e.session === 'forged' && e.from === a.peerId) link?.signal(e.signal) })
    forged.start()
    forged.join('room')
    await m.net.sim.advance(500)
    link = transport.createLink({ remotePeer: a.peerId, initiator: true, onSignal: (s: SignalData) => { forged.sendSignal('room', a.peerId, s, { addressed: true, session: 'forged' }) } })
    await m.net.sim.advance(15_000)
    expect(a.connections).toEqual([working])
    expect(a.metrics.drops.get({ reason: 'replacement-failed' })).toBe(1)
    link.close()
    forged.stop()
  })
})
