// Multi-hop routing over real WebRTC (@roamhq/wrtc, loopback only): four Node peers in a
// line A–B–C–D, each connected only to its neighbours. A sends to D, D replies.
import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, rtcLine, type RtcPeer } from '../../packages/core/test/routing/webrtc-line.js'

const APP = 1000
let peers: RtcPeer[] = []
afterEach(() => { closeAll(peers); peers = [] })

describe('routing over real WebRTC', () => {
  it('A reaches D through B and C, and D replies', async () => {
    peers = await rtcLine(4)
    const [a, b, c, d] = peers as [RtcPeer, RtcPeer, RtcPeer, RtcPeer]
    expect(a.neighbours.get(d.id)).toBeUndefined()
    expect(a.router.nextHopTo(d.id)).toBe(b.id)
    const replied = new Promise<string>((resolve) => {
      a.router.handle(APP, (m) => { resolve(`${m.from === d.id ? 'D' : '?'}:${new TextDecoder().decode(m.payload)}:${m.hops}`) })
    })
    const asked = new Promise<void>((resolve, reject) => {
      d.router.handle(APP, (m) => {
        expect(m.from).toBe(a.id)
        d.router.send(m.from, APP, new TextEncoder().encode(`re: ${new TextDecoder().decode(m.payload)}`), { ack: true })
          .then(() => { resolve() }, reject)
      })
    })
    const report = await a.router.send(d.id, APP, new TextEncoder().encode('hello D'), { ack: true })
    expect(report).toMatchObject({ acknowledged: true, attempts: 1, hops: 3 })
    await asked
    expect(await replied).toBe('D:re: hello D:3')
    expect(b.metrics.registry.render()).toMatch(/ymesh_routing_forwards_total [1-9]/)
    expect(c.metrics.registry.render()).toMatch(/ymesh_routing_forwards_total [1-9]/)
  }, 60_000)
})
