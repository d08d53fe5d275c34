/**
 * The network panel's data: three browsers' stores on the simulator (one pinia each), the
 * signal-path mapping, and the panel rendering what the store holds.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import NetworkPanel from '../src/components/NetworkPanel.vue'
import { emptyTotals, qualityOf, useNetworkStore, type PeerRow } from '../src/stores/network'
import { percentOf, signalCountsOf, signalPathOf, type SignalPathSource } from '../src/mesh/signal-path'
import { createBrowsers, type SimBrowsers } from './helpers/browsers'

describe('signalPathOf', () => {
  const stub = (answers: Record<string, 'mesh' | 'server' | 'mixed'>, hybrid: object | null = {}): SignalPathSource =>
    ({ hybrid, signalPathOf: (remote) => answers[remote] })

  it('maps the peer\'s answer: mesh → relayed, server, mixed', () => {
    const peer = stub({ a: 'mesh', b: 'server', c: 'mixed' })
    expect(['a', 'b', 'c'].map((r) => signalPathOf(peer, r, 'ymesh'))).toEqual(['relayed', 'server', 'mixed'])
  })

  it('falls back to what is certain when the peer has no answer', () => {
    expect(signalPathOf(stub({}), 'x', 'ymesh')).toBe('unknown')
    // Stock y-webrtc peers only ever hear the server; without hybrid signaling neither does anyone.
    expect(signalPathOf(stub({}), 'x', 'y-webrtc')).toBe('server')
    expect(signalPathOf(stub({}, null), 'x', 'ymesh')).toBe('server')
  })

  it('computes shares and qualities', () => {
    expect(percentOf(3, 1)).toBe(75)
    expect(percentOf(0, 0)).toBeNull()
    expect(qualityOf(null)).toBe('unknown')
    expect([qualityOf(5), qualityOf(80), qualityOf(5, 0.05), qualityOf(300), qualityOf(5, 0.5)]).toEqual(['good', 'fair', 'fair', 'poor', 'poor'])
  })
})

let sim: SimBrowsers | null = null

afterEach(async () => {
  await sim?.close()
  sim = null
  localStorage.clear()
})

const inNet = async (label: string, name: string) => {
  const b = await sim!.browser(label, name)
  b.rooms.join({ name: 'net', kind: 'public' })
  return b
}

const serverLoad = (async () => new Response(JSON.stringify({ bytesIn: 600, bytesOut: 400, messagesIn: 7, messagesOut: 13 }))) as unknown as typeof fetch

describe('network store over the simulator', { timeout: 30_000 }, () => {
  it('lists connected peers with role, RTT, quality and how they were signaled; the graph, routes and server-load numbers', async () => {
    sim = createBrowsers(21)
    const mesh = sim.mesh
    const alice = await inNet('alice', 'Alice')
    await mesh.net.sim.advance(1_500)
    const bob = await inNet('bob', 'Bob')
    await mesh.until(() => (bob.chat.rooms.net?.connected ?? 0) === 1)
    // Carol arrives once Alice and Bob form a mesh. Both answer her through the server; she
    // dials one of them that way (by default a newcomer dials two), and her connection to the
    // other is signaled through it: relayed. The panel must show both kinds.
    await mesh.net.sim.advance(1_500)
    const carol = await sim!.browser('carol', 'Carol', { node: await mesh.node('carol', { bootstrapDials: 1 }) })
    carol.rooms.join({ name: 'net', kind: 'public' })
    const session = carol.m.requireSession()
    const handle = session.get('net')!
    // Every pair connected, every member's presence lists its links, and pings measured RTT.
    await mesh.until(() => [alice, bob, carol].every((b) => (b.chat.rooms.net?.members.length ?? 0) === 3 && (b.chat.rooms.net?.connected ?? 0) === 2))
    await mesh.until(() => handle.link.links().every((l) => l.rttMs !== null))
    await mesh.until(() => [...handle.link.awareness.getStates().values()].every((s) => (s.user?.links?.length ?? 0) === 2))

    let sampled = false
    void carol.network.sample(handle, serverLoad).then(() => { sampled = true })
    await mesh.until(() => sampled)

    const rows = carol.network.peers
    expect(rows.map((r) => r.name)).toEqual(['Alice', 'Bob'])
    const peer = session.node.peer
    for (const r of rows) {
      expect(r).toMatchObject({ role: 'browser', kind: 'ymesh' })
      expect(r.rttMs).toBeGreaterThan(0)
      expect(r.quality).toBe(qualityOf(r.rttMs, r.loss))
      expect(r.bytes).toBeGreaterThan(0)
      // The column says what the peer says about this very connection.
      expect(r.via).toBe(signalPathOf(peer, r.peer, 'ymesh'))
      expect(['relayed', 'server', 'mixed']).toContain(r.via)
    }

    expect(carol.network.nodes.map((n) => [n.name, n.self]).sort()).toEqual([['Alice', false], ['Bob', false], ['Carol', true]])
    // A triangle: Carol's own links plus Alice–Bob from their presence.
    expect(carol.network.edges).toHaveLength(3)
    expect(carol.network.routes.map((r) => [r.toName, r.hops])).toEqual([['Alice', 1], ['Bob', 1]])

    const t = carol.network.totals
    expect(t.serverBytes).toBe(1000)
    expect(t.serverMessages).toBe(20)
    expect(t.peerBytes).toBe(rows.reduce((n, r) => n + r.bytes, 0))
    expect(t.bytesSaving).toBe(percentOf(t.peerBytes, 1000))
    // Carol's link to her rendezvous went through the server, the other one through the mesh.
    expect(rows.map((r) => r.via).sort()).toEqual(['relayed', 'server'])
    expect(t.signaled).toEqual({ relayed: 1, server: 1, mixed: 0, unknown: 0 })
    // Signals: the hybrid layer's own counts (her bootstrap went through the server, the rest through peers).
    const counts = signalCountsOf(peer)!
    expect(t.signalsRelayed).toBe(counts.relayed)
    expect(t.signalsServer).toBe(counts.server)
    expect(t.signalSaving).toBe(percentOf(counts.relayed, counts.server))
    expect(t.opened).toEqual(counts.opened)
    expect(counts.opened.relayed).toBeGreaterThan(0)
    expect(counts.relayed).toBeGreaterThan(0)
    expect(counts.server).toBeGreaterThan(0)
    // Without hybrid signaling there is nothing to count: the panel shows dashes.
    expect(signalCountsOf({ hybrid: null, metrics: peer.metrics })).toBeNull()
  })
})

describe('NetworkPanel', () => {
  const row = (over: Partial<PeerRow>): PeerRow => ({
    peer: 'p', name: 'Bob', role: 'browser', kind: 'ymesh', via: 'server', rttMs: 1.25, loss: 0, quality: 'good', bytes: 2048, ...over
  })

  it('shows each connection\'s signaling path and the server-load saving as numbers', () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    const network = useNetworkStore(pinia)
    network.room = 'general'
    network.peers = [
      row({ peer: 'a', name: 'Bob', via: 'relayed' }),
      row({ peer: 'b', name: 'Carol', via: 'server', rttMs: 80, quality: 'fair' }),
      row({ peer: 'c', name: 'anchor', role: 'anchor', via: 'mixed' }),
      row({ peer: 'd', name: 'Dan', via: 'broadcast-channel', kind: 'broadcast-channel', rttMs: null, quality: 'unknown' })
    ]
    network.totals = {
      ...emptyTotals(),
      peerBytes: 4000,
      serverBytes: 1000,
      serverMessages: 20,
      bytesSaving: 80,
      signaled: { relayed: 1, server: 1, mixed: 1, unknown: 0 },
      signalsRelayed: 9,
      signalsServer: 3,
      opened: { relayed: 4, server: 2, mixed: 1 },
      signalSaving: 75
    }
    const w = mount(NetworkPanel, { global: { plugins: [pinia] } })
    const cells = w.findAll('[data-testid="peer-row"]').map((r) => r.findAll('td').map((td) => td.text()))
    expect(cells).toEqual([
      ['Bob', 'browser', 'ymesh', '1.3 ms', 'good', 'relayed'],
      ['Carol', 'browser', 'ymesh', '80.0 ms', 'fair', 'server'],
      ['anchor', 'anchor', 'ymesh', '1.3 ms', 'good', 'mixed'],
      ['Dan', 'browser', 'tab', '–', 'unknown', 'same browser']
    ])
    const text = (id: string): string => w.find(`[data-testid="${id}"]`).text()
    expect([text('signaled-relayed'), text('signaled-server')]).toEqual(['1', '1 (+1 mixed)'])
    expect([text('opened-relayed'), text('opened-server')]).toEqual(['4', '2 (+1 mixed)'])
    expect(text('signals-relayed')).toBe('9')
    expect(text('signals-server')).toBe('3')
    expect(text('signal-saving')).toBe('75%')
    expect([text('peer-bytes'), text('server-bytes'), text('saving')]).toEqual(['3.9 KB', '1000 B', '80%'])
    expect(w.text()).toContain('(20 messages)')
    expect(w.find('svg[role="img"]').attributes('aria-label')).toBe('Topology: 0 peers, 0 connections')
  })

  it('says when nothing is known yet', () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    const w = mount(NetworkPanel, { global: { plugins: [pinia] } })
    expect(w.text()).toContain('no peer connected')
    expect(w.find('[data-testid="signal-saving"]').text()).toBe('–')
    expect(w.find('[data-testid="signaled-server"]').text()).toBe('0')
    expect(w.find('[data-testid="opened-server"]').text()).toBe('–')
    expect(w.find('[data-testid="server-bytes"]').text()).toBe('–')
  })
})
