/**
 * Loop freedom under churn: links come and go and peers crash while acknowledged messages
 * are in flight. Every envelope's path is recorded through the router's events; no envelope
 * may be forwarded more than ttl − 1 times or reach any peer twice, and once churn stops the
 * tables converge to loop-free routes between every pair that is still connected.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { SimNetwork } from '@ymesh/sim'
import type { PeerId } from '@ymesh/protocol'
import { testSeed } from '../helpers/seed.js'
import { RoutingMesh, type MeshPeer } from '../../packages/core/test/routing/mesh.js'
import { bfs, randomGraph } from '../../packages/core/test/routing/graphs.js'

const APP = 1000

let mesh: RoutingMesh | null = null
afterEach(() => { mesh?.stopAll(); mesh = null })

describe('routing under churn', () => {
  it('never loops or overruns the TTL while topology changes, and converges after', async () => {
    const seed = testSeed()
    const net = new SimNetwork({ seed, link: { latencyMs: 10, jitterMs: 3 } })
    const rng = net.sim.rng.fork('churn')
    const n = 30
    const ttl = 8
    mesh = new RoutingMesh(net, { router: { ttl, updateIntervalMs: 10_000, routeExpiryMs: 35_000 } })
    const peers: MeshPeer[] = []
    for (let i = 0; i < n; i++) peers.push(await mesh.addPeer(`p${i}`))
    const index = new Map<PeerId, number>(peers.map((p, i) => [p.id, i]))
    mesh.startAll()
    await mesh.connectAll(randomGraph(n, 2, 4, rng).map(([a, b]) => [peers[a]!, peers[b]!] as const))

    // Path of every envelope: its author, then each peer that received it (forwarders, destination or dropper).
    const paths = new Map<string, number[]>()
    const forwards = new Map<string, number>()
    const visit = (id: string, peer: number): void => { paths.get(id)?.push(peer) }
    for (const [i, p] of peers.entries()) {
      p.router.on('message-sent', ({ id }) => { paths.set(id, [i]) })
      p.router.on('message-forwarded', ({ id }) => { visit(id, i); forwards.set(id, (forwards.get(id) ?? 0) + 1) })
      p.router.on('message-delivered', ({ id }) => { visit(id, i) })
      p.router.on('message-dropped', ({ id }) => { if (id !== null) visit(id, i) })
      p.router.handle(APP, () => {})
    }

    const crashed = new Set<number>()
    const alive = (): number[] => peers.map((_, i) => i).filter((i) => !crashed.has(i))
    const settled: Array<Promise<unknown>> = []
    const outcomes = { acked: 0, failed: 0 }
    const end = net.sim.now + 60_000
    let nextChurn = net.sim.now
    while (net.sim.now < end) {
      if (net.sim.now >= nextChurn) {
        nextChurn += 400 + rng.int(400)
        const live = alive()
        const r = rng.float()
        const a = peers[live[rng.int(live.length)]!]!
        const b = peers[live[rng.int(live.length)]!]!
        if (r < 0.45 && a !== b && !mesh.connected(a, b) && a.neighbours.size < 5 && b.neighbours.size < 5) {
          void mesh.connect(a, b).catch(() => {})
        } else if (r < 0.9 && a.neighbours.size > 0) {
          const [other] = [...a.neighbours.all()]
          mesh.disconnect(a, mesh.byId.get(other!.remotePeer)!)
        } else if (crashed.size < 3) {
          crashed.add(index.get(a.id)!)
          net.crash(a.id)
        }
      }
      const live = alive()
      const s = peers[live[rng.int(live.length)]!]!
      const d = peers[live[rng.int(live.length)]!]!
      if (s !== d) {
        settled.push(s.router.send(d.id, APP, new Uint8Array(32), { ack: true })
          .then(() => { outcomes.acked++ }, () => { outcomes.failed++ }))
      }
      await net.sim.advance(50)
    }
    // Churn stops: let retries finish and the tables settle (past route expiry).
    await mesh.runUntil(() => false, 60_000)

    expect(paths.size).toBeGreaterThan(500)
    for (const [id, path] of paths) {
      expect(new Set(path).size, `envelope ${id} path ${path.join('→')}`).toBe(path.length)
      expect(forwards.get(id) ?? 0).toBeLessThanOrEqual(ttl - 1)
    }
    expect(outcomes.acked).toBeGreaterThan(outcomes.failed)

    // Converged: between live peers, next hops lead to the destination without revisiting anyone,
    // exactly when the destination is reachable over the links that remain.
    const edges: Array<[number, number]> = []
    for (const [ca] of mesh.links.values()) {
      const a = index.get(ca.remotePeer)!
      const self = peers.findIndex((p) => p.neighbours.get(ca.remotePeer) === ca)
      if (ca.state === 'open' && !crashed.has(a) && !crashed.has(self)) edges.push([self, a])
    }
    for (const s of alive()) {
      const dist = bfs(n, edges, s)
      for (const d of alive()) {
        if (s === d) continue
        let cur = s
        const seen = new Set([s])
        while (cur !== d) {
          const next = peers[cur]!.router.nextHopTo(peers[d]!.id)
          if (next === null) break
          cur = index.get(next)!
          expect(seen.has(cur), `loop from p${s} to p${d}`).toBe(false)
          seen.add(cur)
        }
        expect(cur === d, `p${s} reaches p${d} (bfs distance ${dist[d]})`).toBe(dist[d] !== Infinity)
      }
    }
    void settled
  })
})
