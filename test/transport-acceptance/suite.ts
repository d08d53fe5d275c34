/**
 * The acceptance suite every Transport implementation runs (the simulator's now, the WebRTC
 * one next). A harness only makes pairs of transports and drives time; the suite does the
 * signaling itself, so it tests exactly what the Transport and Link interfaces promise.
 */
import { describe, expect, it } from 'vitest'
import type { Link, LinkCloseEvent, SignalData, Transport } from '@ymesh/protocol'

export interface TransportPair {
  readonly a: Transport
  readonly b: Transport
  /** Resolve once predicate() holds, driving the network (virtual time on the simulator, real time on WebRTC); reject naming `what` after the harness's own timeout. */
  waitFor(predicate: () => boolean, what: string): Promise<void>
  /** One side disappears without a goodbye (crash, pulled cable). */
  vanish(side: 'a' | 'b'): Promise<void>
  close(): Promise<void>
}

export interface TransportHarness {
  readonly name: string
  createPair(): Promise<TransportPair>
}

/** Everything one link did, for assertions. */
interface Recorder {
  readonly link: Link
  readonly messages: Uint8Array[]
  readonly closes: LinkCloseEvent[]
  opened: boolean
  lowEvents: number
  /** Events seen after 'close' (must stay 0). */
  lateEvents: number
}

function record (link: Link): Recorder {
  const r: Recorder = { link, messages: [], closes: [], opened: false, lowEvents: 0, lateEvents: 0 }
  const late = (): void => { if (r.closes.length > 0) r.lateEvents++ }
  link.on('open', () => { late(); r.opened = true })
  link.on('message', (data) => { late(); r.messages.push(data) })
  link.on('buffered-amount-low', () => { late(); r.lowEvents++ })
  link.on('close', (event) => { late(); r.closes.push(event) })
  return r
}

/**
 * Makes a link on each side and wires their signals to each other, buffering signals until
 * the other side's link exists (the responder's link is made when the first signal arrives,
 * as a signaling client would).
 */
function wire (pair: TransportPair): { a: Recorder, b: () => Recorder | null } {
  const toA: SignalData[] = []
  const toB: SignalData[] = []
  let linkB: Link | null = null
  let recB: Recorder | null = null
  const linkA = pair.a.createLink({
    remotePeer: pair.b.localPeer,
    initiator: true,
    onSignal: (signal) => {
      if (linkB === null) { toB.push(signal); makeB() } else linkB.signal(signal)
    }
  })
  const recA = record(linkA)
  function makeB (): void {
    if (linkB !== null) return
    linkB = pair.b.createLink({
      remotePeer: pair.a.localPeer,
      initiator: false,
      onSignal: (signal) => { linkA.signal(signal) }
    })
    recB = record(linkB)
    for (const signal of toB.splice(0)) linkB.signal(signal)
    for (const signal of toA.splice(0)) linkA.signal(signal)
  }
  return { a: recA, b: () => recB }
}

async function connect (pair: TransportPair): Promise<[Recorder, Recorder]> {
  const w = wire(pair)
  await pair.waitFor(() => w.a.opened && w.b()?.opened === true, 'both links open')
  return [w.a, w.b() as Recorder]
}

function payload (size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size)
  let x = seed | 1
  for (let i = 0; i < size; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; out[i] = x & 0xff }
  return out
}

function sameBytes (x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== y.length) return false
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false
  return true
}

function numbered (i: number): Uint8Array {
  return new Uint8Array([i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, 7, 7])
}

function errorName (fn: () => void): string | null {
  try { fn(); return null } catch (err) { return (err as Error).name }
}

/** Passes time in a transport-neutral way: a round trip on a separate pair of links. */
async function roundTrip (pair: TransportPair): Promise<void> {
  const [x, y] = await connect(pair)
  x.link.send(new Uint8Array([1]))
  await pair.waitFor(() => y.messages.length === 1, 'a message on a fresh link')
  x.link.close()
  await pair.waitFor(() => y.closes.length === 1, 'the fresh link to close')
}

export function describeTransportAcceptance (harness: TransportHarness): void {
  describe(`transport acceptance: ${harness.name}`, () => {
    async function withPair (body: (pair: TransportPair) => Promise<void>): Promise<void> {
      const pair = await harness.createPair()
      try { await body(pair) } finally { await pair.close() }
    }

    it('opens a link on both sides through the signals alone', () => withPair(async (pair) => {
      const [a, b] = await connect(pair)
      expect(a.link.state).toBe('open')
      expect(b.link.state).toBe('open')
      expect(a.link.initiator).toBe(true)
      expect(b.link.initiator).toBe(false)
      expect(a.link.remotePeer).toBe(pair.b.localPeer)
      expect(b.link.remotePeer).toBe(pair.a.localPeer)
      // Each side learns the other's certificate fingerprint from the descriptions.
      expect(a.link.remoteFingerprint).toMatch(/^sha-256 [0-9A-F:]+$/)
      expect(a.link.remoteFingerprint).toBe(b.link.localFingerprint)
      expect(b.link.remoteFingerprint).toBe(a.link.localFingerprint)
    }))

    it('delivers many messages in order, both ways', () => withPair(async (pair) => {
      const [a, b] = await connect(pair)
      const n = 500
      for (let i = 0; i < n; i++) {
        a.link.send(numbered(i))
        b.link.send(numbered(i + n))
      }
      await pair.waitFor(() => a.messages.length === n && b.messages.length === n, `${n} messages each way`)
      expect(b.messages.map((m) => m[0]! | (m[1]! << 8) | (m[2]! << 16))).toEqual(Array.from({ length: n }, (_, i) => i))
      expect(a.messages.map((m) => m[0]! | (m[1]! << 8) | (m[2]! << 16))).toEqual(Array.from({ length: n }, (_, i) => i + n))
    }))

    it('carries a payload of exactly maxMessageSize intact and refuses one byte more with MessageTooLargeError', () => withPair(async (pair) => {
      const [a, b] = await connect(pair)
      const max = a.link.maxMessageSize
      expect(max).toBeGreaterThanOrEqual(16 * 1024)
      const big = payload(max, 42)
      a.link.send(big)
      await pair.waitFor(() => b.messages.length === 1, 'the largest message')
      expect(sameBytes(b.messages[0]!, big)).toBe(true)
      expect(errorName(() => { a.link.send(new Uint8Array(max + 1)) })).toBe('MessageTooLargeError')
      expect(a.link.state).toBe('open')
      a.link.send(new Uint8Array([9]))
      await pair.waitFor(() => b.messages.length === 2, 'a message after the refused one')
    }))

    for (const closer of ['initiator', 'responder'] as const) {
      it(`a close by the ${closer} is seen by the other side, and nothing is delivered after close`, () => withPair(async (pair) => {
        const [a, b] = await connect(pair)
        const [local, remote] = closer === 'initiator' ? [a, b] : [b, a]
        local.link.send(new Uint8Array([1, 2, 3]))
        local.link.close()
        expect(local.link.state).toBe('closed')
        expect(errorName(() => { local.link.send(new Uint8Array([4])) })).toBe('LinkClosedError')
        await pair.waitFor(() => remote.link.state === 'closed' && remote.closes.length === 1, 'the far side to see the close')
        expect(local.closes).toHaveLength(1)
        expect(remote.closes[0]!.reason).toEqual(expect.any(String))
        expect(errorName(() => { remote.link.send(new Uint8Array([5])) })).toBe('LinkClosedError')
        local.link.close()
        await roundTrip(pair)
        expect(local.lateEvents + remote.lateEvents).toBe(0)
        expect(local.closes).toHaveLength(1)
        expect(remote.closes).toHaveLength(1)
      }))
    }

    it('a survivor of a vanished peer only ever gets LinkClosedError from send, and its link closes', () => withPair(async (pair) => {
      const [a] = await connect(pair)
      await pair.vanish('b')
      const unexpected: unknown[] = []
      let sends = 0
      await pair.waitFor(() => {
        if (sends < 10_000) {
          sends++
          try { a.link.send(new Uint8Array(64)) } catch (err) { if ((err as Error).name !== 'LinkClosedError') unexpected.push(err) }
        }
        return a.link.state === 'closed'
      }, 'the survivor to notice the vanished peer')
      expect(unexpected).toEqual([])
      expect(a.closes).toHaveLength(1)
      expect(errorName(() => { a.link.send(new Uint8Array(1)) })).toBe('LinkClosedError')
    }))

    it('applies backpressure: bufferedAmount rises under a burst and then drains', () => withPair(async (pair) => {
      const [a, b] = await connect(pair)
      const chunk = 16 * 1024
      const count = 256 // 4 MiB in one synchronous burst
      a.link.bufferedAmountLowThreshold = 64 * 1024
      let peak = 0
      for (let i = 0; i < count; i++) {
        a.link.send(payload(chunk, i + 1))
        peak = Math.max(peak, a.link.bufferedAmount)
      }
      expect(peak).toBeGreaterThan(a.link.bufferedAmountLowThreshold)
      await pair.waitFor(() => a.lowEvents > 0 || a.link.bufferedAmount <= a.link.bufferedAmountLowThreshold, 'bufferedAmount to drain')
      await pair.waitFor(() => b.messages.length === count, 'the whole burst')
      expect(sameBytes(b.messages[count - 1]!, payload(chunk, count))).toBe(true)
    }))

    it('closes the link with a reason, without throwing, on malformed signals', () => withPair(async (pair) => {
      const bad: unknown[] = [
        { type: 'offer', sdp: 'not a session description' },
        { type: 'hello' },
        null,
        { type: 'candidate', candidate: 42 }
      ]
      for (const signal of bad) {
        const link = pair.b.createLink({ remotePeer: pair.a.localPeer, initiator: false, onSignal: () => {} })
        const rec = record(link)
        expect(() => { link.signal(signal as SignalData) }).not.toThrow()
        await pair.waitFor(() => link.state === 'closed', `the link to close on ${JSON.stringify(signal)}`)
        expect(rec.closes).toHaveLength(1)
        expect(rec.closes[0]!.reason).toMatch(/\S/)
      }
    }))
  })
}
