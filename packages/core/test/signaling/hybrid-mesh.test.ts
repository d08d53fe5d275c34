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

describe('a newcomer\'s first dials through the mesh', () => {
  async function newcomerIn (options: { spareDials?: number }): Promise<{ first: MeshPeer, offers: string[], members: MeshPeer[], newcomer: MeshPeer }> {
    const m = mesh = await createMesh(5)
    const POOL6 = { degree: { low: 3, target: 4, high: 6 }, redundancy: 2 }
    const members: MeshPeer[] = []
    for (let i = 0; i < 12; i++) {
      const p = await m.add(`m${i}`, { pool: POOL6 })
      await p.joinRoom('room')
      members.push(p)
      await m.net.sim.advance(800)
    }
    await m.net.sim.advance(12_000) // rosters went round: every member knows the whole room
    // One way in through the server, so every later dial follows that neighbour's roster.
    const newcomer = await m.add('newcomer', { pool: POOL6, hybridSignaling: { bootstrapDials: 1, ...options } })
    const hybrid = newcomer.hybrid!
    const offers: string[] = []
    let firstId: string | null = null
    const sendSignal = hybrid.sendSignal.bind(hybrid)
    hybrid.sendSignal = (topic, to, signal, o) => { if (signal.type === 'offer' && firstId !== null) offers.push(to); sendSignal(topic, to, signal, o) }
    newcomer.on('connection-open', ({ connection }) => { firstId ??= connection.remotePeer })
    await newcomer.joinRoom('room')
    await m.net.sim.runUntil(() => firstId !== null, { maxEvents: 5_000_000 })
    await m.net.sim.advance(20) // the first neighbour's roster, and the dials it leads to
    return { first: members.find((p) => p.peerId === firstId)!, offers, members, newcomer }
  }

  it('go to members its first neighbour is connected to (one relay hop); with spareDials, one more than it needs', async () => {
    const { first, offers, members, newcomer } = await newcomerIn({ spareDials: 1 })
    const adjacent = new Set(first.connections.map((c) => c.remotePeer))
    // The roster named the whole room, and the members next to the first neighbour rank first.
    expect(newcomer.hybrid!.members('room')).toBeGreaterThanOrEqual(members.length)
    const farther = members.filter((p) => p !== first && !adjacent.has(p.peerId))
    expect(farther.length).toBeGreaterThan(0)
    for (const p of members) {
      if (p === first) continue
      const rank = newcomer.hybrid!.dialRank('room', p.peerId)
      if (adjacent.has(p.peerId)) expect(rank).toBe(0)
      else expect(rank).toBeGreaterThanOrEqual(1)
    }
    // target 4 − 1 open + 1 spare, all through the mesh to the first neighbour's neighbours.
    expect(offers).toHaveLength(4)
    for (const to of offers) expect(adjacent.has(to as never)).toBe(true)
  })

  it('without spare dials it dials up to its target only', async () => {
    const { offers } = await newcomerIn({ spareDials: 0 })
    expect(offers).toHaveLength(3)
  })
})

describe('rooms learned over an existing connection', () => {
  it('a roster for a room makes our connection to its sender serve that room, though it was opened for another', async () => {
    // The server carries nothing for 'general': what each learns of it comes through the mesh.
    mesh = await createMesh(11, { hub: { tamper: (message) => message.topic === 'general' ? null : message } })
    const [a, b, d] = [await mesh.add('a', { pool: POOL }), await mesh.add('b', { pool: POOL }), await mesh.add('d', { pool: POOL })]
    for (const p of [a, b, d]) await p.joinRoom('directory')
    await mesh.net.sim.runUntil(() => [a, b, d].every((p) => p.connections.length === 2), { maxEvents: 1_000_000 })
    for (const p of [a, b, d]) await p.joinRoom('general')
    await mesh.net.sim.advance(2_000)
    for (const p of [a, b, d]) expect(p.connectionsIn('general')).toHaveLength(0)
    // b's roster for 'general' lists itself (every roster does) and nobody else.
    b.hybrid!.relay.sendRoster(a.peerId, 'general', [[b.peerId, 0]], new Set())
    await mesh.net.sim.advance(200)
    expect(a.connectionsIn('general').map((c) => c.remotePeer)).toEqual([b.peerId])
    // Sending it taught b nothing: on b's side no connection serves 'general'.
    expect(b.connectionsIn('general')).toHaveLength(0)
  })
})
