/**
 * Issue 7's server-load target on the simulator: peers join one room in a staggered way until
 * every one has its degree; the hub counts every message and JSON byte both ways (what
 * @ymesh/signaling-server's /metrics counts). Hybrid signaling must cost the server ≥ 70 %
 * less than the server-only addressed path with otherwise identical settings.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { MeshPeer } from '@ymesh/core'
import { testSeed } from '../helpers/seed.js'
import { createMesh, type Mesh } from '../../packages/core/test/helpers/sim-mesh.js'

let mesh: Mesh | null = null
afterEach(async () => { await mesh?.close(); mesh = null })

const POOL = { degree: { low: 3, target: 4, high: 6 }, redundancy: 2 }
const PEERS = 40

interface Cost { messages: number, bytes: number, held: number, byKind: Record<string, number> }

async function staggeredJoin (seed: number, hybrid: boolean): Promise<Cost> {
  const m = mesh = await createMesh(seed)
  const peers: MeshPeer[] = []
  for (let i = 0; i < PEERS; i++) {
    const p = await m.add(`p${i}`, { pool: POOL, hybridSignaling: hybrid })
    await p.joinRoom('room')
    peers.push(p)
    await m.net.sim.advance(1_000)
  }
  await m.net.sim.runUntil(() => peers.every((p) => p.connections.length >= POOL.degree.low), { maxEvents: 20_000_000 })
  // Let the rendezvous rule settle: the connections the server still holds once the room formed.
  await m.net.sim.advance(10_000)
  const c = m.hub.counts
  const cost = {
    messages: c.messagesIn + c.messagesOut,
    bytes: c.bytesIn + c.bytesOut,
    held: m.hub.connections,
    byKind: Object.fromEntries([...m.hub.countsByType].map(([k, v]) => [k, v.messages]))
  }
  await m.close()
  mesh = null
  return cost
}

describe('hybrid signaling: server load of a staggered join', () => {
  it(`${PEERS} peers: ≥ 70 % fewer server messages and bytes than the server-only addressed path, every peer at its degree`, async () => {
    const seed = testSeed()
    const serverOnly = await staggeredJoin(seed, false)
    const hybrid = await staggeredJoin(seed, true)
    const report = `seed ${seed}: hybrid ${JSON.stringify(hybrid)} vs server-only ${JSON.stringify(serverOnly)}`
    expect(hybrid.messages, report).toBeLessThanOrEqual(0.3 * serverOnly.messages)
    expect(hybrid.bytes, report).toBeLessThanOrEqual(0.3 * serverOnly.bytes)
    // Only the rendezvous points (and members that still need it) stay connected to the server.
    expect(serverOnly.held).toBe(PEERS)
    expect(hybrid.held, report).toBeLessThanOrEqual(4)
    // The first connection of each newcomer is all that goes through the server: no member answers a newcomer but a rendezvous point.
    expect(hybrid.byKind['out:publish:announce'] ?? 0, report).toBeLessThan((serverOnly.byKind['out:publish:announce'] ?? 0) / 3)
  }, 240_000)
})
