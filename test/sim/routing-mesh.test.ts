import { afterEach, describe, expect, it } from 'vitest'
import { SimNetwork } from '@ymesh/sim'
import type { PeerId } from '@ymesh/protocol'
import { testSeed } from '../helpers/seed.js'
import { RoutingMesh, type MeshPeer } from '../../packages/core/test/routing/mesh.js'
import { bfs, randomGraph } from '../../packages/core/test/routing/graphs.js'
import type { DeliveryReport } from '../../packages/core/src/routing/message-router.js'
import type { RouterOptions } from '../../packages/core/src/routing/options.js'

const APP = 1000
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

let mesh: RoutingMesh | null = null
afterEach(() => { mesh?.stopAll(); mesh = null })

async function build (seed: number, n: number, edges: ReadonlyArray<readonly [number, number]>, router?: RouterOptions): Promise<MeshPeer[]> {
  const net = new SimNetwork({ seed, link: { latencyMs: 10, jitterMs: 2 } })
  mesh = new RoutingMesh(net, router === undefined ? {} : { router })
  const peers: MeshPeer[] = []
  for (let i = 0; i < n; i++) peers.push(await mesh.addPeer(`p${i}`))
  mesh.startAll()
  await mesh.connectAll(edges.map(([a, b]) => [peers[a]!, peers[b]!] as const))
  return peers
}

const fulfilled = (r: PromiseSettledResult<DeliveryReport>): DeliveryReport => {
  if (r.status !== 'fulfilled') throw r.reason as Error
  return r.value
}

describe('routing on the simulator', () => {
  it('delivers between every sampled pair of a random 40-peer graph on shortest paths', async () => {
    const seed = testSeed()
    const net0 = new SimNetwork({ seed })
    const n = 40
    const edges = randomGraph(n, 3, 5, net0.sim.rng.fork('graph'))
    const peers = await build(seed, n, edges)
    expect(await mesh!.runUntil(() => mesh!.fullyRouted(), 20_000)).toBe(true)
    const rng = net0.sim.rng.fork('pairs')
    const received = new Map<PeerId, number>()
    for (const p of peers) p.router.handle(APP, (m) => { received.set(p.id, (received.get(p.id) ?? 0) + 1); expect(m.payload).toEqual(bytes('hi')) })
    let stretch = 0
    for (let i = 0; i < 30; i++) {
      const s = rng.int(n)
      let d = rng.int(n)
      if (d === s) d = (d + 1) % n
      const report = fulfilled(await mesh!.settle(peers[s]!.router.send(peers[d]!.id, APP, bytes('hi'), { ack: true })))
      expect(report.acknowledged).toBe(true)
      const shortest = bfs(n, edges, s)[d]!
      expect(report.hops).toBeGreaterThanOrEqual(shortest)
      stretch += report.hops! / shortest
    }
    expect(stretch / 30).toBeLessThanOrEqual(1.2)
    expect([...received.values()].reduce((a, b) => a + b, 0)).toBe(30)
  })

  it('fails over when a hop crashes: the retry takes the other path and the sender sees only latency', async () => {
    // A–B–D and A–C–D: two disjoint two-hop paths.
    const peers = await build(testSeed(), 4, [[0, 1], [1, 3], [0, 2], [2, 3]])
    const [a, , , d] = peers as [MeshPeer, MeshPeer, MeshPeer, MeshPeer]
    expect(await mesh!.runUntil(() => mesh!.fullyRouted(), 10_000)).toBe(true)
    const delivered: string[] = []
    d.router.handle(APP, (m) => { delivered.push(new TextDecoder().decode(m.payload)) })
    expect(fulfilled(await mesh!.settle(a.router.send(d.id, APP, bytes('before'), { ack: true }))).attempts).toBe(1)
    const via = a.router.nextHopTo(d.id)!
    const other = peers.find((p) => p.id !== via && p !== a && p !== d)!
    mesh!.net.crash(via)
    const report = fulfilled(await mesh!.settle(a.router.send(d.id, APP, bytes('during'), { ack: true })))
    expect(report.acknowledged).toBe(true)
    expect(report.attempts).toBeGreaterThan(1)
    expect(a.router.nextHopTo(d.id)).toBe(other.id)
    expect(delivered).toEqual(['before', 'during'])
  })

  it('moves traffic to a better path when one appears', async () => {
    const peers = await build(testSeed(), 4, [[0, 1], [1, 2], [2, 3]])
    const [a, b, , d] = peers as [MeshPeer, MeshPeer, MeshPeer, MeshPeer]
    expect(await mesh!.runUntil(() => mesh!.fullyRouted(), 10_000)).toBe(true)
    d.router.handle(APP, () => {})
    expect(fulfilled(await mesh!.settle(a.router.send(d.id, APP, bytes('x'), { ack: true }))).hops).toBe(3)
    expect(a.router.nextHopTo(d.id)).toBe(b.id)
    await mesh!.settle(mesh!.connect(a, d))
    expect(await mesh!.runUntil(() => a.router.nextHopTo(d.id) === d.id, 5_000)).toBe(true)
    const forwarded: string[] = []
    for (const p of peers) p.router.on('message-forwarded', () => { forwarded.push(p.label) })
    expect(fulfilled(await mesh!.settle(a.router.send(d.id, APP, bytes('y'), { ack: true }))).hops).toBe(1)
    expect(forwarded).toEqual([])
  })

  it('with routing switched off, reaches neighbours only', async () => {
    const peers = await build(testSeed(), 3, [[0, 1], [1, 2]], { routing: false })
    const [a, b, c] = peers as [MeshPeer, MeshPeer, MeshPeer]
    const got: string[] = []
    b.router.handle(APP, (m) => { got.push(new TextDecoder().decode(m.payload)) })
    c.router.handle(APP, (m) => { got.push(new TextDecoder().decode(m.payload)) })
    expect(fulfilled(await mesh!.settle(a.router.send(b.id, APP, bytes('direct'), { ack: true }))).hops).toBe(1)
    const far = await mesh!.settle(a.router.send(c.id, APP, bytes('far')))
    expect(far.status).toBe('rejected')
    expect((far as PromiseRejectedResult).reason).toMatchObject({ name: 'DeliveryFailedError', reason: 'no-route' })
    expect(a.router.routes()).toEqual([])
    expect(got).toEqual(['direct'])
  })
})

describe('routing after a restart', () => {
  it('a peer that restarts with its seqno back at 0 becomes reachable again', async () => {
    // A ring of 6: everyone holds D's old seqno in its feasibility distances when D comes back.
    const peers = await build(testSeed(), 6, [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 0]])
    expect(await mesh!.runUntil(() => mesh!.fullyRouted(), 10_000)).toBe(true)
    const d = peers[3]!
    d.router.handle(APP, () => {})
    // Move D's seqno well past 0 first, as a long-lived peer's would be.
    for (let i = 0; i < 3; i++) {
      mesh!.disconnect(d, peers[2]!)
      await mesh!.runUntil(() => false, 2_000)
      await mesh!.settle(mesh!.connect(d, peers[2]!))
      await mesh!.runUntil(() => false, 2_000)
    }
    const seqnoBefore = peers[0]!.router.routes().find((r) => r.destination === d.id)!.seqno
    expect(seqnoBefore).toBeGreaterThan(0) // D starts over from 0: the others' feasibility distances refuse that
    mesh!.net.crash(d.id)
    expect(await mesh!.runUntil(() => peers.every((p) => p === d || p.router.nextHopTo(d.id) === null), 30_000)).toBe(true)
    const fresh = mesh!.restart(d)
    const got: string[] = []
    fresh.router.handle(APP, (m) => { got.push(new TextDecoder().decode(m.payload)) })
    await mesh!.settle(Promise.all([mesh!.connect(fresh, peers[2]!), mesh!.connect(fresh, peers[4]!)]))
    expect(await mesh!.runUntil(() => mesh!.fullyRouted(), 10_000)).toBe(true)
    const report = fulfilled(await mesh!.settle(peers[0]!.router.send(fresh.id, APP, bytes('welcome back'), { ack: true })))
    expect(report.hops).toBe(3)
    expect(got).toEqual(['welcome back'])
    expect(peers[0]!.router.routes().find((r) => r.destination === fresh.id)!.seqno).toBeGreaterThan(seqnoBefore)
  })
})
