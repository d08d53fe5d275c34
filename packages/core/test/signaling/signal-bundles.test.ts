import { describe, expect, it } from 'vitest'
import type { PeerId, SignalData } from '@ymesh/protocol'
import { Simulator } from '@ymesh/sim'
import { MemorySignalingHub, type SignalingSignal } from '@ymesh/core'
import { announceData, parseData, signalData } from '../../src/signaling/messages.js'
import { testSeed } from '../../../../test/helpers/seed.js'

const A = 'a'.repeat(43) as PeerId
const B = 'b'.repeat(43) as PeerId
const offer: SignalData = { type: 'offer', sdp: 'v=0' }
const candidate = (n: number): SignalData => ({ type: 'candidate', candidate: { candidate: `candidate:${n} 1 udp 1 10.0.0.${n} 5000 typ host`, sdpMid: '0', sdpMLineIndex: 0 } })

describe('bundled server signals', () => {
  it("one addressed publish carries a link attempt's description and candidates, delivered as separate signals in order", async () => {
    const sim = new Simulator({ seed: testSeed() })
    const hub = new MemorySignalingHub({ clock: sim.clock, latencyMs: 10 })
    const a = hub.createSource({ localPeer: A, clock: sim.createClock(), rng: sim.rng.fork('a') })
    const b = hub.createSource({ localPeer: B, clock: sim.createClock(), rng: sim.rng.fork('b') })
    const got: SignalingSignal[] = []
    b.on('signal', (e) => { got.push(e) })
    for (const s of [a, b]) { s.join('room'); s.start() }
    await sim.advance(100)
    const before = hub.countsByType.get('in:publish:signal:offer')?.messages ?? 0
    a.sendSignal('room', B, offer, { addressed: true, session: 's1', index: 0 })
    a.sendSignal('room', B, candidate(1), { addressed: true, session: 's1', index: 1 })
    a.sendSignal('room', B, candidate(2), { addressed: true, session: 's1', index: 2 })
    await sim.advance(100)
    expect((hub.countsByType.get('in:publish:signal:offer')?.messages ?? 0) - before).toBe(1)
    expect(hub.countsByType.get('in:publish:signal:candidate')).toBeUndefined()
    expect(got.map((e) => [e.signal.type, e.index, e.session, e.from])).toEqual([['offer', 0, 's1', A], ['candidate', 1, 's1', A], ['candidate', 2, 's1', A]])
    // A broadcast signal (what a stock y-webrtc peer needs) is never bundled.
    a.sendSignal('room', B, candidate(3), { addressed: false })
    await sim.advance(100)
    expect(hub.countsByType.get('in:publish:signal:candidate')?.messages).toBe(1)
    a.stop(); b.stop()
  })

  it('a malformed bundle drops only the bundle: the first signal still parses', () => {
    const data = signalData(A, B, offer, 7, 's', 0, [{ index: 1, signal: candidate(1) }])
    const ok = parseData(data)
    expect(typeof ok === 'object' && ok.type === 'signal' ? ok.more : null).toEqual([{ index: 1, signal: candidate(1) }])
    const bad = { ...data, ymesh: { ...(data.ymesh as object), more: [{ i: 1, s: { type: 'bogus' } }] } }
    const parsed = parseData(bad)
    expect(typeof parsed === 'object' && parsed.type === 'signal' ? [parsed.signal, parsed.more] : null).toEqual([offer, undefined])
  })
})

describe('repeated announces', () => {
  it('say how often they were repeated; a bad count is ignored, never an error', () => {
    expect(parseData(announceData(A))).toEqual({ type: 'announce', from: A, ymesh: true })
    expect(parseData(announceData(A, undefined, 2))).toEqual({ type: 'announce', from: A, ymesh: true, again: 2 })
    // A reply is never a repeat.
    expect(parseData(announceData(A, B, 2))).toEqual({ type: 'announce', from: A, to: B, ymesh: true })
    for (const again of [0, -1, 1.5, 1001, '2', null]) {
      expect(parseData({ type: 'announce', from: A, ymesh: { v: 1, again } })).toEqual({ type: 'announce', from: A, ymesh: true })
    }
    // Signals keep their session whatever else the marker says.
    expect(parseData({ ...signalData(A, B, offer, 1, 's1', 0), ymesh: { v: 1, session: 's1', index: 0, again: 3 } })).toMatchObject({ session: 's1', index: 0 })
  })
})
