import { afterEach, describe, expect, it } from 'vitest'
import type { PeerId } from '@ymesh/protocol'
import type { MeshPeer } from '@ymesh/core'
import { testSeed } from '../helpers/seed.js'
import { createMesh, type Mesh } from '../../packages/core/test/helpers/sim-mesh.js'

let mesh: Mesh | null = null
afterEach(async () => { await mesh?.close(); mesh = null })

const POOL = { degree: { low: 3, target: 4, high: 6 }, redundancy: 2 }

async function join (m: Mesh, count: number, gapMs: number, hybrid: boolean): Promise<MeshPeer[]> {
  const out: MeshPeer[] = []
  for (let i = 0; i < count; i++) {
    const p = await m.add(`p${i}`, { pool: POOL, hybridSignaling: hybrid })
    await p.joinRoom('room')
    out.push(p)
    await m.net.sim.advance(gapMs)
  }
  return out
}

const paths = (p: MeshPeer): string[] => p.connections.map((c) => p.signalPathOf(c.remotePeer) ?? 'none')
const opened = (p: MeshPeer, path: string): number => p.metrics.connectionsOpened.get({ path })

describe('how each connection was signaled (signalPathOf)', () => {
  it('hybrid: later joiners connect through signals relayed by the mesh', async () => {
    mesh = await createMesh(testSeed())
    const peers = await join(mesh, 8, 1_500, true)
    await mesh.net.sim.runUntil(() => peers.every((p) => p.connections.length >= 3), { maxEvents: 5_000_000 })
    const late = peers.slice(4)
    // Every connection answers with one of the three paths, never undefined.
    for (const p of peers) for (const path of paths(p)) expect(['mesh', 'server', 'mixed']).toContain(path)
    expect(late.every((p) => paths(p).includes('mesh'))).toBe(true)
    // Both ends of a mesh-signaled connection see the other's signals coming through the mesh.
    const last = peers[peers.length - 1] as MeshPeer
    const meshLinked = last.connections.map((c) => c.remotePeer).filter((r) => last.signalPathOf(r) === 'mesh')
    expect(meshLinked.length).toBeGreaterThan(0)
    // The counter counts what was opened by path.
    expect(peers.reduce((n, p) => n + opened(p, 'mesh'), 0)).toBeGreaterThan(0)
    expect(opened(last, 'mesh') + opened(last, 'mixed')).toBeGreaterThanOrEqual(meshLinked.length)
    expect(last.metricsText()).toContain('ymesh_connections_opened_total{path="mesh"}')
    // A peer we are not connected to has no path.
    expect(last.signalPathOf('not-a-peer' as PeerId)).toBeUndefined()
    const stranger = peers.find((p) => p !== last && !last.connections.some((c) => c.remotePeer === p.peerId))
    if (stranger !== undefined) expect(last.signalPathOf(stranger.peerId)).toBeUndefined()
  })

  it('hybridSignaling: false: every connection was signaled through the server', async () => {
    mesh = await createMesh(testSeed())
    const peers = await join(mesh, 6, 1_000, false)
    await mesh.net.sim.runUntil(() => peers.every((p) => p.connections.length >= 3), { maxEvents: 5_000_000 })
    for (const p of peers) {
      expect(paths(p).every((x) => x === 'server')).toBe(true)
      expect(opened(p, 'mesh') + opened(p, 'mixed')).toBe(0)
      expect(opened(p, 'server')).toBeGreaterThanOrEqual(p.connections.length)
    }
  })
})
