import { afterEach, describe, expect, it } from 'vitest'
import { SimNetwork } from '@ymesh/sim'
import { testSeed } from '../helpers/seed.js'
import { RoutingMesh, type MeshPeer } from '../../packages/core/test/routing/mesh.js'

const APP = 1000 // an application payload type (unknown to the protocol, so routed)
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

let mesh: RoutingMesh | null = null
afterEach(() => { mesh?.stopAll(); mesh = null })

async function line (seed: number, n: number): Promise<{ mesh: RoutingMesh, peers: MeshPeer[] }> {
  const net = new SimNetwork({ seed, link: { latencyMs: 10, jitterMs: 2 } })
  mesh = new RoutingMesh(net)
  const peers: MeshPeer[] = []
  for (let i = 0; i < n; i++) peers.push(await mesh.addPeer(`p${i}`))
  mesh.startAll()
  await mesh.connectAll(peers.slice(1).map((p, i) => [peers[i]!, p] as const))
  expect(await mesh.runUntil(() => mesh!.fullyRouted(), 10_000)).toBe(true)
  return { mesh, peers }
}

describe('routing on a line', () => {
  it('A sends to D through B and C, D replies, both acknowledged', async () => {
    const { mesh, peers } = await line(testSeed(), 4)
    const [a, b, c, d] = peers as [MeshPeer, MeshPeer, MeshPeer, MeshPeer]
    expect(a.router.nextHopTo(d.id)).toBe(b.id)
    expect(d.router.nextHopTo(a.id)).toBe(c.id)
    const got: string[] = []
    let reply: Promise<unknown> | null = null
    d.router.handle(APP, (m) => {
      got.push(`${m.from === a.id ? 'A' : '?'}:${new TextDecoder().decode(m.payload)}:${m.hops}`)
      reply = d.router.send(m.from, APP, text('pong'), { ack: true })
    })
    const replies: string[] = []
    a.router.handle(APP, (m) => { replies.push(new TextDecoder().decode(m.payload)) })
    const forwarded: string[] = []
    for (const p of peers) p.router.on('message-forwarded', () => { forwarded.push(p.label) })
    const result = await mesh.settle(a.router.send(d.id, APP, text('ping'), { ack: true }))
    expect(result.status).toBe('fulfilled')
    const report = (result as PromiseFulfilledResult<Awaited<ReturnType<typeof a.router.send>>>).value
    expect(report).toMatchObject({ acknowledged: true, attempts: 1, hops: 3 })
    expect(got).toEqual(['A:ping:3'])
    expect(reply).not.toBeNull()
    expect((await mesh.settle(reply!)).status).toBe('fulfilled')
    expect(replies).toEqual(['pong'])
    // ping, its ack, pong and its ack each cross B and C once.
    expect(forwarded.filter((l) => l === 'p1')).toHaveLength(4)
    expect(forwarded.filter((l) => l === 'p2')).toHaveLength(4)
    expect(c.metrics.registry.render()).toContain('ymesh_routing_forwards_total 4')
  })
})
