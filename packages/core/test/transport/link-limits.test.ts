import { afterEach, describe, expect, it } from 'vitest'
import type { SignalData } from '@ymesh/protocol'
import { WEBRTC_MAX_BUFFERED_AMOUNT, WEBRTC_MAX_MESSAGE_SIZE, createSystemClock } from '@ymesh/core'
import { next, openPair, peer, transport } from './helpers.js'
import type { Pair } from './helpers.js'

describe('WebRtcLink limits and backpressure (real wrtc on loopback)', () => {
  let pair: Pair | null = null
  afterEach(() => { pair?.close(); pair = null })

  it('announces 256 KiB, delivers a message of exactly that size, and refuses one byte more without closing', async () => {
    pair = await openPair()
    expect(pair.a.maxMessageSize).toBe(WEBRTC_MAX_MESSAGE_SIZE)
    expect(pair.b.maxMessageSize).toBe(WEBRTC_MAX_MESSAGE_SIZE)
    const big = new Uint8Array(WEBRTC_MAX_MESSAGE_SIZE).map((_, i) => i % 251)
    expect(() => pair!.a.send(new Uint8Array(WEBRTC_MAX_MESSAGE_SIZE + 1)))
      .toThrow(expect.objectContaining({ name: 'MessageTooLargeError', size: WEBRTC_MAX_MESSAGE_SIZE + 1, limit: WEBRTC_MAX_MESSAGE_SIZE }))
    const got = next(pair.b, 'message')
    pair.a.send(big)
    const received = await got as Uint8Array
    expect(received.length).toBe(big.length)
    expect(received.every((v, i) => v === i % 251)).toBe(true)
    expect(pair.a.state).toBe('open')
  })

  it('a lower maxMessageSize option lowers the limit on that side', async () => {
    pair = await openPair({ maxMessageSize: 1000 }, {})
    expect(pair.a.maxMessageSize).toBe(1000)
    expect(pair.b.maxMessageSize).toBe(WEBRTC_MAX_MESSAGE_SIZE)
    expect(() => pair!.a.send(new Uint8Array(1001))).toThrow(expect.objectContaining({ name: 'MessageTooLargeError' }))
  })

  it("honours the remote description's a=max-message-size when it is smaller", async () => {
    const ta = transport('alice')
    const tb = transport('bob')
    pair = { ta, tb, close: () => { ta.close(); tb.close() } } as Pair
    const shrink = (s: SignalData): SignalData => s.type === 'answer' ? { type: 'answer', sdp: s.sdp.replace(/a=max-message-size:\d+/, 'a=max-message-size:5000') } : s
    const queue: SignalData[] = []
    let b: ReturnType<typeof tb.createLink> | null = null
    const a = ta.createLink({ remotePeer: peer('bob'), initiator: true, onSignal: (s) => { if (b === null) queue.push(s); else b.signal(s) } })
    b = tb.createLink({ remotePeer: peer('alice'), initiator: false, onSignal: (s) => a.signal(shrink(s)) })
    for (const s of queue) b.signal(s)
    await Promise.all([next(a, 'open'), next(b, 'open')])
    expect(a.maxMessageSize).toBe(5000)
    expect(() => a.send(new Uint8Array(5001))).toThrow(expect.objectContaining({ name: 'MessageTooLargeError' }))
  })

  it('exposes DTLS fingerprints: each side\'s local one is the other\'s remote one', async () => {
    pair = await openPair()
    const fp = /^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/
    expect(pair.a.localFingerprint).toMatch(fp)
    expect(pair.b.localFingerprint).toMatch(fp)
    expect(pair.a.localFingerprint).not.toBe(pair.b.localFingerprint)
    expect(pair.a.remoteFingerprint).toBe(pair.b.localFingerprint)
    expect(pair.b.remoteFingerprint).toBe(pair.a.localFingerprint)
  })

  it("fires 'buffered-amount-low' once the queue drains to the threshold, polling only while above it", async () => {
    // Count the intervals the link runs, on the real clock.
    const system = createSystemClock()
    let live = 0
    const clock = { ...system, setInterval: (fn: () => void, ms: number) => { live++; return system.setInterval(fn, ms) }, clearInterval: (t: Parameters<typeof system.clearInterval>[0]) => { live--; system.clearInterval(t) } }
    pair = await openPair({ clock })
    const { a, b } = pair
    a.bufferedAmountLowThreshold = 64 * 1024
    expect(a.bufferedAmountLowThreshold).toBe(64 * 1024)
    const count = 40
    let received = 0
    const allReceived = new Promise<void>((resolve) => b.on('message', () => { if (++received === count) resolve() }))
    const low = next(a, 'buffered-amount-low')
    for (let i = 0; i < count; i++) a.send(new Uint8Array(128 * 1024))
    expect(a.bufferedAmount).toBeGreaterThan(64 * 1024)
    expect(live).toBe(1)
    await low
    expect(a.bufferedAmount).toBeLessThanOrEqual(64 * 1024)
    expect(live).toBe(0)
    await allReceived
    // Below the threshold a send arms nothing.
    a.send(new Uint8Array(10))
    expect(live).toBe(0)
  })

  it('refuses a send that would overflow the 16 MiB send queue instead of letting the stack drop it', async () => {
    pair = await openPair()
    const { a, b } = pair
    const size = WEBRTC_MAX_MESSAGE_SIZE
    let accepted = 0
    let refused: Error | null = null
    // 50 MiB queued in one synchronous burst: far more than the stack drains meanwhile.
    for (let i = 0; i < 200 && refused === null; i++) {
      try { a.send(new Uint8Array(size).fill(i)); accepted++ } catch (err) { refused = err as Error }
    }
    expect(refused).toEqual(expect.objectContaining({ name: 'SendQueueFullError' }))
    expect(a.bufferedAmount).toBeLessThanOrEqual(WEBRTC_MAX_BUFFERED_AMOUNT)
    expect(a.state).toBe('open')
    // Every accepted message arrives, in order: nothing was dropped.
    let received = 0
    await new Promise<void>((resolve) => b.on('message', (m) => { expect(m[0]).toBe(received); if (++received === accepted) resolve() }))
  })

  it('counts a synchronous burst of small messages in bufferedAmount at once, and refuses one that would overflow the queue', async () => {
    pair = await openPair()
    const { a, b } = pair
    const size = 16 * 1024
    // ~62 MiB in one synchronous burst: on an idle machine wrtc's network thread drains several
    // MiB while the loop runs, so the burst must be far above the 16 MiB queue to reach it.
    const burst = Array.from({ length: 4000 }, (_, i) => new Uint8Array(size).fill(i & 0xff))
    let accepted = 0
    let peak = 0
    let refused: Error | null = null
    for (const message of burst) {
      try { a.send(message); accepted++ } catch (err) { refused = err as Error; break }
      peak = Math.max(peak, a.bufferedAmount)
    }
    expect(peak).toBeGreaterThan(4 * 1024 * 1024)
    expect(refused).toEqual(expect.objectContaining({ name: 'SendQueueFullError' }))
    let received = 0
    await new Promise<void>((resolve) => b.on('message', (m) => { expect(m[0]).toBe(received & 0xff); if (++received === accepted) resolve() }))
    expect(a.state).toBe('open')
  })

  it('rejects a negative threshold', async () => {
    pair = await openPair()
    expect(() => { pair!.a.bufferedAmountLowThreshold = -1 }).toThrow(RangeError)
  })
})
