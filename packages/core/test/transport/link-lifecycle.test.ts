import { afterEach, describe, expect, it } from 'vitest'
import type { LinkCloseEvent, SignalData } from '@ymesh/protocol'
import { ManualClock, next, openPair, peer, transport, wiredPair } from './helpers.js'
import type { Pair } from './helpers.js'

describe('WebRtcLink lifecycle (real wrtc on loopback)', () => {
  const cleanup: Array<() => void> = []
  const track = <T extends { close (): void }>(thing: T): T => { cleanup.push(() => thing.close()); return thing }
  afterEach(() => { for (const fn of cleanup.splice(0)) fn() })

  it('opens both sides, with the ids, peers and roles the transport was asked for', async () => {
    const pair = track(wiredPair())
    expect(pair.a.state).toBe('connecting')
    expect(pair.b.state).toBe('connecting')
    await Promise.all([next(pair.a, 'open'), next(pair.b, 'open')])
    expect(pair.a.state).toBe('open')
    expect(pair.b.state).toBe('open')
    expect(pair.a.initiator).toBe(true)
    expect(pair.b.initiator).toBe(false)
    expect(pair.a.remotePeer).toBe('bob')
    expect(pair.b.remotePeer).toBe('alice')
    expect(pair.a.id).not.toBe(pair.b.id)
    // simple-peer's shapes: one offer, one answer, candidates with mid and line index.
    expect(pair.signalsFromA[0]?.type).toBe('offer')
    expect(pair.signalsFromB[0]?.type).toBe('answer')
    for (const s of [...pair.signalsFromA, ...pair.signalsFromB].filter((s) => s.type === 'candidate')) {
      expect(s).toMatchObject({ type: 'candidate', candidate: { candidate: expect.stringMatching(/^candidate:/), sdpMid: '0', sdpMLineIndex: 0 } })
    }
  })

  it('delivers binary messages in order, both ways, byte for byte (views included)', async () => {
    const pair: Pair = track(await openPair())
    const count = 500
    const atB: number[] = []
    const atA: number[] = []
    const doneB = new Promise<void>((resolve) => pair.b.on('message', (m) => { atB.push(m[0]! | (m[1]! << 8)); if (atB.length === count) resolve() }))
    const doneA = new Promise<void>((resolve) => pair.a.on('message', (m) => { atA.push(m.length); if (atA.length === 1) resolve() }))
    for (let i = 0; i < count; i++) pair.a.send(new Uint8Array([i & 0xff, i >> 8, 7, 7]))
    const backing = new Uint8Array(100).map((_, i) => i)
    pair.b.send(backing.subarray(10, 15))
    await Promise.all([doneA, doneB])
    expect(atB).toEqual(Array.from({ length: count }, (_, i) => i))
    expect(atA).toEqual([5])
  })

  it('a subarray arrives as exactly its own bytes', async () => {
    const pair = track(await openPair())
    const got = next(pair.b, 'message')
    pair.a.send(new Uint8Array(64).map((_, i) => i).subarray(3, 7))
    expect(Array.from(await got as Uint8Array)).toEqual([3, 4, 5, 6])
  })

  it('refuses to send before open and after close with LinkClosedError', async () => {
    const pair = track(wiredPair())
    expect(() => pair.a.send(new Uint8Array(1))).toThrow(expect.objectContaining({ name: 'LinkClosedError' }))
    await Promise.all([next(pair.a, 'open'), next(pair.b, 'open')])
    pair.a.close()
    expect(() => pair.a.send(new Uint8Array(1))).toThrow(expect.objectContaining({ name: 'LinkClosedError' }))
  })

  it.each(['a', 'b'] as const)('close() on side %s closes it with reason local and the other side with reason remote, once each', async (side) => {
    const pair = track(await openPair())
    const [closer, other] = side === 'a' ? [pair.a, pair.b] : [pair.b, pair.a]
    const closerEvents: LinkCloseEvent[] = []
    const otherEvents: LinkCloseEvent[] = []
    closer.on('close', (e) => closerEvents.push(e))
    other.on('close', (e) => otherEvents.push(e))
    const otherClosed = next(other, 'close')
    closer.close()
    closer.close()
    expect(closer.state).toBe('closed')
    await otherClosed
    expect(other.state).toBe('closed')
    other.close()
    expect(closerEvents).toEqual([{ reason: 'local' }])
    expect(otherEvents.map((e) => e.reason)).toEqual(['remote'])
    expect(pair.ta.linkCount + pair.tb.linkCount).toBe(0)
  })

  it('transport.close() closes every link it made and refuses new ones', async () => {
    const pair = track(await openPair())
    const extra = pair.ta.createLink({ remotePeer: peer('carol'), initiator: true, onSignal: () => {} })
    const reasons: string[] = []
    pair.a.on('close', (e) => reasons.push(e.reason))
    extra.on('close', (e) => reasons.push(e.reason))
    const remoteSeen = next(pair.b, 'close')
    expect(pair.ta.linkCount).toBe(2)
    pair.ta.close()
    expect(reasons).toEqual(['local', 'local'])
    expect(pair.ta.linkCount).toBe(0)
    await remoteSeen
    expect(() => pair.ta.createLink({ remotePeer: peer('dave'), initiator: true, onSignal: () => {} }))
      .toThrow(expect.objectContaining({ name: 'TransportClosedError' }))
  })

  it('a link whose signals go nowhere closes with reason timeout at connectTimeoutMs, leaving no timer behind', async () => {
    const clock = new ManualClock()
    const t = track(transport('lonely', { clock, connectTimeoutMs: 2000 }))
    const signals: SignalData[] = []
    const link = t.createLink({ remotePeer: peer('nobody'), initiator: true, onSignal: (s) => signals.push(s) })
    const events: LinkCloseEvent[] = []
    link.on('close', (e) => events.push(e))
    clock.advance(1999)
    expect(link.state).toBe('connecting')
    clock.advance(1)
    expect(link.state).toBe('closed')
    expect(events.map((e) => [e.reason, e.error?.name])).toEqual([['timeout', 'ConnectTimeoutError']])
    expect(clock.pending).toBe(0)
    expect(t.linkCount).toBe(0)
  })

  it('an opened link cancels its connect timer', async () => {
    const clock = new ManualClock()
    const pair = track(await openPair({ clock, connectTimeoutMs: 50 }))
    expect(clock.pending).toBe(0)
    clock.advance(60_000)
    expect(pair.a.state).toBe('open')
  })

  it('a throwing listener neither stops the other listeners nor the link; onSignal errors are reported too', async () => {
    const reported: unknown[] = []
    const pair = track(await openPair({ onListenerError: (err) => reported.push(err) }))
    pair.b.on('message', () => { throw new Error('listener bug') })
    const got = next(pair.b, 'message')
    pair.a.send(new Uint8Array([9]))
    expect(Array.from(await got as Uint8Array)).toEqual([9])
    expect(reported).toEqual([expect.objectContaining({ message: 'listener bug' })])

    let signalBug: (err: unknown) => void = () => {}
    const signalBugSeen = new Promise<unknown>((resolve) => { signalBug = resolve })
    const t = track(transport('x', { onListenerError: (err) => signalBug(err) }))
    const failing = t.createLink({ remotePeer: peer('y'), initiator: true, onSignal: () => { throw new Error('signal bug') } })
    expect(await signalBugSeen).toEqual(expect.objectContaining({ message: 'signal bug' }))
    expect(failing.state).toBe('connecting')
  })

  it('drops every listener after close', async () => {
    const pair = track(await openPair())
    let calls = 0
    pair.a.on('message', () => calls++)
    pair.a.close()
    expect((pair.a as unknown as { _observers: Map<string, unknown> })._observers.size).toBe(0)
    expect(calls).toBe(0)
  })
})
