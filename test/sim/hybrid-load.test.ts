import { afterEach, describe, expect, it } from 'vitest'
import type { MeshPeer } from '@ymesh/core'
import { testSeed } from '../helpers/seed.js'
import { createMesh, type Mesh } from '../../packages/core/test/helpers/sim-mesh.js'

let mesh: Mesh | null = null
afterEach(async () => { await mesh?.close(); mesh = null })

const POOL = { degree: { low: 3, target: 4, high: 6 }, redundancy: 2 }

async function run (setup: 'stock' | 'server-only' | 'hybrid', n: number, gapMs: number): Promise<void> {
  const m = mesh = await createMesh(testSeed(), { hub: { addressed: setup !== 'stock' } })
  const peers: MeshPeer[] = []
  for (let i = 0; i < n; i++) {
    const p = await m.add(`p${i}`, { pool: POOL, hybridSignaling: setup === 'hybrid' })
    await p.joinRoom('room')
    peers.push(p)
    await m.net.sim.advance(gapMs)
  }
  await m.net.sim.runUntil(() => peers.every((p) => p.connections.length >= 3), { maxEvents: 20_000_000 })
  const t = m.net.sim.now
  const rows = [...m.hub.countsByType].sort()
  console.log(setup, n, 'at', t, JSON.stringify(m.hub.counts), 'conns', m.hub.connections, '\n' + rows.map(([k, v]) => `${k} ${v.messages} ${v.bytes}`).join('\n'))
  if (setup === "hybrid") console.log("STATS" + JSON.stringify(peers.map((p) => p.hybrid?.stats)))
  if (setup === "hybrid") console.log("routes", peers.map((p) => p.router?.routes().length).join(","), "conns", peers.map((p) => p.connections.length).join(","))
  expect(true).toBe(true)
}

describe('measure', () => {
  for (const s of ['stock', 'server-only', 'hybrid'] as const) it(s, async () => { const t0 = Date.now(); await run(s, Number(process.env.HN ?? 20), 1000); console.log("wall", Date.now() - t0, "events", mesh?.net.sim.now) }, 600_000)
})
