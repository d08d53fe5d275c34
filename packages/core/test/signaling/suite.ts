/**
 * The acceptance suite every SignalingSource implementation runs: the in-memory hub on the
 * simulator and ServerSignaling against a real @ymesh/signaling-server.
 */
import { describe, expect, it } from 'vitest'
import type { PeerId, SignalData } from '@ymesh/protocol'
import type { CoreMetrics, SignalingAnnounce, SignalingSignal, SignalingSource } from '@ymesh/core'

export interface SignalingHarnessInstance {
  createSource(peer: PeerId): { source: SignalingSource, metrics: CoreMetrics }
  waitFor(predicate: () => boolean, what: string): Promise<void>
  /** Publish raw `data` to `topic` as a misbehaving client would. */
  rawPublish(topic: string, data: unknown): Promise<void>
  /** The server drops every connection (and comes back). */
  restartServer(): Promise<void>
  close(): Promise<void>
}

export interface SignalingHarness {
  readonly name: string
  create(): Promise<SignalingHarnessInstance>
}

const id = (c: string): PeerId => c.repeat(43) as PeerId
const offer: SignalData = { type: 'offer', sdp: 'v=0\r\n' }

interface Recorder { announces: SignalingAnnounce[], signals: SignalingSignal[] }
const record = (source: SignalingSource): Recorder => {
  const r: Recorder = { announces: [], signals: [] }
  source.on('announce', (e) => { r.announces.push(e) })
  source.on('signal', (e) => { r.signals.push(e) })
  return r
}

export function describeSignalingAcceptance (harness: SignalingHarness): void {
  describe(`signaling acceptance: ${harness.name}`, () => {
    const withHarness = async (body: (h: SignalingHarnessInstance) => Promise<void>): Promise<void> => {
      const h = await harness.create()
      try { await body(h) } finally { await h.close() }
    }

    it('announces a joining peer to the room, marked as ymesh, and replies reach only the addressee', () => withHarness(async (h) => {
      const a = h.createSource(id('a')).source
      const b = h.createSource(id('b')).source
      const c = h.createSource(id('c')).source
      const [ra, rb, rc] = [record(a), record(b), record(c)]
      a.start(); c.start()
      a.join('room'); c.join('room')
      await h.waitFor(() => a.connected && c.connected, 'a and c connected')
      b.start(); b.join('room')
      await h.waitFor(() => ra.announces.some((e) => e.from === id('b')), "b's announce at a")
      expect(ra.announces.find((e) => e.from === id('b'))).toMatchObject({ topic: 'room', ymesh: true })
      a.announce('room', id('b'))
      await h.waitFor(() => rb.announces.some((e) => e.from === id('a') && e.to === id('b')), "a's reply at b")
      a.sendSignal('room', id('b'), offer, { addressed: true, token: 1.5, session: 's1' })
      await h.waitFor(() => rb.signals.length === 1, 'the signal at b')
      expect(rb.signals[0]).toMatchObject({ from: id('a'), to: id('b'), token: 1.5, session: 's1', ymesh: true, signal: offer })
      // Broadcast fallback (a stock remote): everyone gets it, only the addressee emits it.
      a.sendSignal('room', id('b'), offer, { addressed: false })
      await h.waitFor(() => rb.signals.length === 2, 'the broadcast signal at b')
      c.announce('room')
      await h.waitFor(() => ra.announces.filter((e) => e.from === id('c')).length > 0, "c's announce at a")
      expect(rc.signals).toEqual([])
      expect(rc.announces.some((e) => e.to !== undefined)).toBe(false)
      for (const s of [a, b, c]) s.stop()
    }))

    it('stops delivering a topic after leave()', () => withHarness(async (h) => {
      const a = h.createSource(id('a')).source
      const b = h.createSource(id('b')).source
      const rb = record(b)
      a.start(); b.start(); a.join('room'); b.join('room')
      await h.waitFor(() => a.connected && b.connected, 'both connected')
      // Subscriptions on different sockets race with publishes: re-announce until it lands.
      await h.waitFor(() => { a.announce('room'); return rb.announces.some((e) => e.topic === 'room') }, 'an announce at b')
      b.leave('room')
      a.join('other'); b.join('other')
      await h.waitFor(() => { a.announce('other'); return rb.announces.some((e) => e.topic === 'other') }, 'an announce in the other topic')
      // b left 'room' before these announces (leave and subscribe travel in order on b's socket).
      const before = rb.announces.filter((e) => e.topic === 'room').length
      a.announce('room')
      await h.waitFor(() => { a.announce('other'); return rb.announces.filter((e) => e.topic === 'other').length >= 3 }, 'later announces in the other topic')
      expect(rb.announces.filter((e) => e.topic === 'room').length).toBe(before)
      a.stop(); b.stop()
    }))

    it('speaks y-webrtc password encryption, and a garbage publish is a counted drop', () => withHarness(async (h) => {
      const a = h.createSource(id('a')).source
      const { source: b, metrics: mb } = h.createSource(id('b'))
      const { source: c, metrics: mc } = h.createSource(id('c'))
      const [rb, rc] = [record(b), record(c)]
      for (const s of [a, b, c]) s.start()
      a.join('secret-room', { password: 'hunter2' })
      b.join('secret-room', { password: 'hunter2' })
      c.join('secret-room', { password: 'wrong' })
      await h.waitFor(() => a.connected && b.connected && c.connected, 'all connected')
      // b's subscription went out before b reported connected; one publish is enough.
      a.sendSignal('secret-room', id('b'), offer, { addressed: false })
      await h.waitFor(() => rb.signals.length >= 1, 'the encrypted signal at b')
      expect(rb.signals[0]?.signal).toEqual(offer)
      await h.rawPublish('secret-room', 'bm90IGEgY2lwaGVydGV4dA==')
      await h.rawPublish('secret-room', { type: 'announce', from: id('x') })
      await h.waitFor(() => mb.signalingDrops.get({ reason: 'decrypt-failed' }) >= 1 && mb.signalingDrops.get({ reason: 'not-encrypted' }) >= 1, 'drops at b')
      await h.waitFor(() => mc.signalingDrops.get({ reason: 'decrypt-failed' }) >= 2, 'wrong-password drops at c')
      expect(rc.announces.concat()).toEqual([])
      expect(rc.signals).toEqual([])
      for (const s of [a, b, c]) s.stop()
    }))

    it('says when an addressed signal reached nobody (the addressee left or crashed), and not when it was delivered', () => withHarness(async (h) => {
      const a = h.createSource(id('a')).source
      const b = h.createSource(id('b')).source
      const rb = record(b)
      const unreachable: Array<{ topic: string, to: PeerId, session?: string }> = []
      a.on('unreachable', (e) => { unreachable.push(e) })
      a.start(); b.start(); a.join('room'); b.join('room')
      await h.waitFor(() => a.connected && b.connected, 'both connected')
      // b's subscription races a's publish on another socket: send until one lands.
      await h.waitFor(() => { a.sendSignal('room', id('b'), offer, { addressed: true, session: 's1' }); return rb.signals.length > 0 }, 'a signal at b')
      const early = unreachable.length // publishes that raced b's subscription
      // Delivered: no word back.
      a.sendSignal('room', id('b'), offer, { addressed: true, session: 's1b' })
      await h.waitFor(() => rb.signals.some((s) => s.session === 's1b'), 'a delivered signal at b')
      // a round trip later (a's next publish reached b), any word about it would have reached a.
      const announcesBefore = rb.announces.filter((e) => e.from === id('a')).length
      a.announce('room')
      await h.waitFor(() => rb.announces.filter((e) => e.from === id('a')).length > announcesBefore, "a's next announce at b")
      a.announce('room', id('b'))
      await h.waitFor(() => rb.announces.some((e) => e.from === id('a') && e.to === id('b')), "a's reply at b")
      expect(unreachable.length).toBe(early)
      b.leave('room')
      await h.waitFor(() => { a.sendSignal('room', id('b'), offer, { addressed: true, session: 's2' }); return unreachable.length > early }, "the server's word that b is gone")
      expect(unreachable.at(-1)).toEqual({ topic: 'room', to: id('b') })
      a.stop(); b.stop()
    }))

    it('drops malformed publish data without emitting anything', () => withHarness(async (h) => {
      const { source: a, metrics } = h.createSource(id('a'))
      const ra = record(a)
      a.start(); a.join('room')
      await h.waitFor(() => a.connected, 'connected')
      await h.rawPublish('room', 'just a string')
      await h.rawPublish('room', { type: 'announce', from: 'not a peer id!' })
      await h.rawPublish('room', { type: 'signal', from: id('x'), to: id('a'), signal: { type: 'offer' } })
      await h.rawPublish('room', { type: 'dance', from: id('x') })
      await h.waitFor(() => metrics.signalingDrops.total() >= 4, 'four drops')
      expect(ra.announces).toEqual([])
      expect(ra.signals).toEqual([])
      a.stop()
    }))

    it('a quiet member gets what is addressed to it and stock broadcasts, ymesh broadcasts only when marked `all`, and stays quiet across a reconnect', () => withHarness(async (h) => {
      const a = h.createSource(id('a')).source
      const q = h.createSource(id('q')).source
      const [ra, rq] = [record(a), record(q)]
      a.start(); q.start(); a.join('room'); q.join('room')
      await h.waitFor(() => a.connected && q.connected, 'both connected')
      expect(q.quiet).toBeTypeOf('function')
      const plainFromA = (): number => rq.announces.filter((e) => e.from === id('a') && e.to === undefined).length
      /** q's quiet state has reached the server: a reply q sends after it arrived at a (one socket, in order). */
      const settled = async (what: string): Promise<void> => {
        const n = ra.announces.filter((e) => e.from === id('q') && e.to === id('a')).length
        q.announce('room', id('a'))
        await h.waitFor(() => ra.announces.filter((e) => e.from === id('q') && e.to === id('a')).length > n, what)
      }
      /** Everything a published before this has reached q, or never will: an addressed marker comes after it on a's socket. */
      let marks = 0
      const marker = async (what: string): Promise<void> => {
        a.sendSignal('room', id('q'), offer, { addressed: true, session: `mark-${++marks}` })
        await h.waitFor(() => rq.signals.some((e) => e.session === `mark-${marks}`), what)
      }
      q.quiet?.('room', true)
      await settled('the quiet subscribe at the server')
      const before = plainFromA()
      a.announce('room')
      await marker('the first marker at q')
      expect(plainFromA()).toBe(before)
      a.announce('room', undefined, { repeat: 2 })
      await h.waitFor(() => plainFromA() > before, 'a repeated announce (marked `all`) at q')
      expect(rq.announces.filter((e) => e.from === id('a') && e.to === undefined).at(-1)).toMatchObject({ again: 2, ymesh: true })
      // A stock y-webrtc client's broadcast (no peerId): stock peers signal by broadcast.
      const stock = '6f8e0a8e-3b5e-4a4f-9a9b-6d1f3c2b1a00'
      await h.rawPublish('room', { type: 'announce', from: stock })
      await h.waitFor(() => rq.announces.some((e) => e.from === stock), "a stock client's broadcast at q")
      // After a reconnect q subscribes quietly again.
      await h.restartServer()
      await h.waitFor(() => a.connected && q.connected, 'both reconnected')
      await settled('q re-subscribed')
      const after = plainFromA()
      a.announce('room')
      await marker('the marker after the reconnect')
      expect(plainFromA()).toBe(after)
      q.quiet?.('room', false)
      await settled('the plain subscribe at the server')
      a.announce('room')
      await h.waitFor(() => plainFromA() > after, 'a plain announce at q once it is no longer quiet')
      a.stop(); q.stop()
    }))

    it('reconnects after the server drops it, re-subscribes and announces again', () => withHarness(async (h) => {
      const a = h.createSource(id('a')).source
      const b = h.createSource(id('b')).source
      const [ra, rb] = [record(a), record(b)]
      const statuses: boolean[] = []
      b.on('status', ({ connected }) => { statuses.push(connected) })
      a.start(); b.start(); a.join('room'); b.join('room')
      await h.waitFor(() => a.connected && b.connected, 'both connected')
      const before = ra.announces.length + rb.announces.length
      await h.restartServer()
      // Whichever reconnects second is announced to the first.
      await h.waitFor(() => ra.announces.length + rb.announces.length > before, 'an announce after the restart')
      // b's own 'connected' status may trail the announce it triggered on a: wait for it too.
      await h.waitFor(() => statuses.length >= 3, 'b reporting the reconnect')
      expect(statuses.slice(0, 3)).toEqual([true, false, true])
      a.stop(); b.stop()
    }))
  })
}
