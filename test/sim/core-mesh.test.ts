/**
 * The connection manager at scale: 200 peers in one room through a MemorySignalingHub form a
 * bounded-degree, connected mesh with at least k neighbours each, survive crashes, and
 * detect dead peers within the timeout.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { testSeed } from '../helpers/seed.js'
import { components, createMesh, type Mesh } from '../../packages/core/test/helpers/sim-mesh.js'

let mesh: Mesh | null = null

// These tests are about the connection manager alone: the service layers (routing adverts,
// gossip, capability records, relayed signaling) are switched off, as an app may, so the
// 200-peer run measures the pool and not every layer above it (each has its own tests).
const poolOnly = { peer: { routing: false, gossip: false, capabilities: false, hybridSignaling: false } } as const
// Any tag this test owns; 10 (envelope) belongs to routing and gossip.
const TEST_TAG = 18
afterEach(async () => { await mesh?.close(); mesh = null })

const degrees = (m: Mesh): number[] => m.peers.map((p) => p.connections.length)

describe('core mesh on the simulator', () => {
  it('200 peers in one room form a connected mesh with every degree within [low, high]', async () => {
    mesh = await createMesh(testSeed(), poolOnly)
    for (let i = 0; i < 200; i++) await (await mesh.add(`p${i}`)).joinRoom('big-room')
    const { low, high } = mesh.peers[0]!.pool.degree
    await mesh.net.sim.runUntil(() => mesh!.peers.every((p) => p.connections.length >= low), { maxEvents: 20_000_000 })
    await mesh.net.sim.advance(20_000, { maxEvents: 20_000_000 })
    const d = degrees(mesh)
    expect(Math.min(...d)).toBeGreaterThanOrEqual(low)
    expect(Math.max(...d)).toBeLessThanOrEqual(high)
    expect(components(mesh.peers)).toBe(1)
    expect(mesh.peers.every((p) => p.connections.every((c) => c.kind === 'ymesh'))).toBe(true)
  })

  it('survives 20 of 60 peers crashing: the rest reconnect to at least low, in one component', async () => {
    mesh = await createMesh(testSeed(), { ...poolOnly, network: { deadPathTimeoutMs: 60_000 } })
    for (let i = 0; i < 60; i++) await (await mesh.add(`p${i}`)).joinRoom('room')
    const { low, high } = mesh.peers[0]!.pool.degree
    await mesh.net.sim.runUntil(() => mesh!.peers.every((p) => p.connections.length >= low), { maxEvents: 20_000_000 })
    const victims = mesh.peers.filter((_, i) => i % 3 === 0)
    for (const v of victims) mesh.crash(v)
    const survivors = mesh.peers
    const gone = new Set(victims.map((v) => v.peerId))
    // Dead neighbours are detected by the connections' health checks (the network's own
    // dead-path timeout is 60 s), then the pool redials.
    await mesh.net.sim.advance(10_000, { maxEvents: 20_000_000 })
    expect(survivors.every((p) => p.connections.every((c) => !gone.has(c.remotePeer)))).toBe(true)
    await mesh.net.sim.runUntil(() => survivors.every((p) => p.connections.length >= low), { maxEvents: 20_000_000 })
    await mesh.net.sim.advance(10_000, { maxEvents: 20_000_000 })
    expect(Math.min(...degrees(mesh))).toBeGreaterThanOrEqual(low)
    expect(Math.max(...degrees(mesh))).toBeLessThanOrEqual(high)
    expect(components(survivors)).toBe(1)
    const timeouts = survivors.reduce((n, p) => n + p.metrics.connectionsClosed.get({ reason: 'timeout' }), 0)
    expect(timeouts).toBeGreaterThan(0)
  })

  it('a restarted peer (same identity) rejoins the mesh', async () => {
    mesh = await createMesh(testSeed(), { ...poolOnly, network: { deadPathTimeoutMs: 60_000 } })
    for (let i = 0; i < 10; i++) await (await mesh.add(`p${i}`)).joinRoom('room')
    await mesh.net.sim.runUntil(() => mesh!.peers.every((p) => p.connections.length >= 4), { maxEvents: 5_000_000 })
    mesh.crash(mesh.peers[0]!)
    await mesh.net.sim.advance(5_000)
    const again = await mesh.add('p0')
    await again.joinRoom('room')
    await mesh.net.sim.runUntil(() => again.connections.length >= 4, { maxEvents: 5_000_000 })
    expect(again.connections.every((c) => c.kind === 'ymesh')).toBe(true)
  })

  it('forms the mesh and delivers chunked messages in order under 5% loss', async () => {
    mesh = await createMesh(testSeed(), { ...poolOnly, network: { link: { latencyMs: 20, jitterMs: 5, loss: 0.05 } } })
    for (let i = 0; i < 30; i++) await (await mesh.add(`p${i}`)).joinRoom('room')
    const { low } = mesh.peers[0]!.pool.degree
    await mesh.net.sim.runUntil(() => mesh!.peers.every((p) => p.connections.length >= low), { maxEvents: 20_000_000 })
    // The pool prunes the links that overshot `high` once the mesh has formed: let it, so that
    // what is sent below goes over links that stay.
    await mesh.net.sim.advance(10_000, { maxEvents: 20_000_000 })
    expect(components(mesh.peers)).toBe(1)
    const received = new Map<string, number[]>()
    const closed = new Set<string>()
    for (const p of mesh.peers) {
      p.handle(TEST_TAG, (frame, c) => {
        const key = `${c.remotePeer}>${p.peerId}`
        received.set(key, [...(received.get(key) ?? []), frame.payload[0] as number])
      })
      // A link closed meanwhile (by either end) delivers what it delivered: a prefix, in order.
      p.on('connection-close', ({ connection }) => { closed.add(`${p.peerId}>${connection.remotePeer}`).add(`${connection.remotePeer}>${p.peerId}`) })
    }
    const sent: string[] = []
    for (const p of mesh.peers) {
      for (const c of p.connections) {
        for (let i = 0; i < 5; i++) {
          const m = new Uint8Array(20_000 + i)
          m[0] = i
          c.send(TEST_TAG, m)
        }
        sent.push(`${p.peerId}>${c.remotePeer}`)
      }
    }
    const done = (key: string): boolean => received.get(key)?.length === 5 || closed.has(key)
    await mesh.net.sim.runUntil(() => sent.every(done), { maxEvents: 20_000_000 })
    for (const key of sent) expect('0,1,2,3,4'.startsWith((received.get(key) ?? []).join()), key).toBe(true)
    // Nearly every link stayed up and delivered all five.
    expect(sent.filter((key) => received.get(key)?.length === 5).length).toBeGreaterThanOrEqual(0.9 * sent.length)
  })
})
