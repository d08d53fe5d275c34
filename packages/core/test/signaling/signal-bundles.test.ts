import { describe, expect, it } from 'vitest'
import type { PeerId, SignalData } from '@ymesh/protocol'
import { Simulator } from '@ymesh/sim'
import { MemorySignalingHub, type SignalingSignal, type SignalingSource } from '@ymesh/core'
import { announceData, parseData, signalData } from '../../src/signaling/messages.js'
import { testSeed } from '../../../../test/helpers/seed.js'

const A = 'a'.repeat(43) as PeerId
const B = 'b'.repeat(43) as PeerId
const offer: SignalData = { type: 'offer', sdp: 'v=0' }
const candidate = (n: number): SignalData => ({ type: 'candidate', candidate: { candidate: `candidate:${n} 1 udp 1 10.0.0.${n} 5000 typ host`, sdpMid: '0', sdpMLineIndex: 0 } })

/** A and B on one in-memory hub, both in 'room'; `got`: the signals B receives. */
const twoSources = async (): Promise<{ sim: Simulator, hub: MemorySignalingHub, a: SignalingSource, b: SignalingSource, got: SignalingSignal[] }> => {
  const sim = new Simulator({ seed: testSeed() })
  const hub = new MemorySignalingHub({ clock: sim.clock, latencyMs: 10 })
  const a = hub.createSource({ localPeer: A, clock: sim.createClock(), rng: sim.rng.fork('a') })
  const b = hub.createSource({ localPeer: B, clock: sim.createClock(), rng: sim.rng.fork('b') })
  const got: SignalingSignal[] = []
  b.on('signal', (e) => { got.push(e) })
  for (const s of [a, b]) { s.join('room'); s.start() }
  await sim.advance(100)
  return { sim, hub, a, b, got }
}

describe('bundled server signals', () => {
  it("one addressed publish carries a link attempt's description and candidates, delivered as separate signals in order", async () => {
    const { sim, hub, a, b, got } = await twoSources()
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

/** A description as the simulator writes it (what packing is for). */
const SDP = ['v=0', 'o=- 626116053855366 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 0.0.0.0', 'a=ice-ufrag:7c1c320d3917987a53de5f37', 'a=ice-pwd:5edee491bf5ace11ea84f81f', 'a=ice-options:trickle',
  'a=fingerprint:sha-256 21:D1:D0:72:E0:73:9F:B5:81:E8:61:85:4E:C3:66:CE:69:1F:16:BD:CF:86:4A:71:FD:FC:AC:4E:C4:F7:1D:CC',
  'a=setup:actpass', 'a=mid:0', 'a=sctp-port:5000', 'a=max-message-size:262144'].map((l) => l + '\r\n').join('')

describe('packed server signals', () => {
  it('go packed only to a peer whose marker said it reads them, and arrive as the signals that were sent', async () => {
    const { sim, hub, a, b, got } = await twoSources()
    const bytes = (): number => hub.countsByType.get('in:publish:signal:offer')?.bytes ?? 0
    const full: SignalData = { type: 'offer', sdp: SDP }
    // C never said it reads packed signals (it has not even connected): what A sends it is unpacked.
    const C = 'c'.repeat(43) as PeerId
    a.sendSignal('room', C, full, { addressed: true, session: 's0', index: 0 })
    a.sendSignal('room', C, candidate(1), { addressed: true, session: 's0', index: 1 })
    await sim.advance(100)
    const unpacked = bytes()
    // B announced when it joined (every ymesh marker says `z: 1`): A packs what it addresses to B.
    a.sendSignal('room', B, full, { addressed: true, session: 's1', index: 0 })
    a.sendSignal('room', B, candidate(1), { addressed: true, session: 's1', index: 1 })
    await sim.advance(100)
    const packed = bytes() - unpacked
    expect(packed).toBeLessThan(unpacked * 0.6)
    expect(got.map((e) => [e.session, e.signal])).toEqual([['s1', full], ['s1', candidate(1)]])
    // Broadcast signals (for stock y-webrtc peers) are never packed.
    const before = bytes()
    a.sendSignal('room', B, full, { addressed: false })
    await sim.advance(100)
    expect(bytes() - before).toBeGreaterThan(JSON.stringify(SDP).length) // the whole description travels
    expect(got.at(-1)?.signal).toEqual(full)
    a.stop(); b.stop()
  })

  it('a packed signal that does not unpack is a counted drop, and a well-formed one parses to the full signal', () => {
    const packed = signalData(A, B, { type: 'offer', sdp: SDP }, 1, 's', 0, [{ index: 1, signal: candidate(1) }], true)
    expect(JSON.stringify(packed).length).toBeLessThan(JSON.stringify(signalData(A, B, { type: 'offer', sdp: SDP }, 1, 's', 0, [{ index: 1, signal: candidate(1) }])).length * 0.6)
    expect(parseData(packed)).toMatchObject({ type: 'signal', packs: true, signal: { type: 'offer', sdp: SDP }, more: [{ index: 1, signal: candidate(1) }] })
    expect(parseData({ ...packed, signal: { type: 'offer', z: 'A|Q' } })).toBe('invalid-signal')
    expect(parseData({ ...packed, signal: { type: 'offer', z: 5 } })).toBe('invalid-signal')
    // A refusal (empty description) is never packed.
    expect(signalData(A, B, { type: 'answer', sdp: '' }, 1, 's', 0, [], true).signal).toEqual({ type: 'answer', sdp: '' })
  })
})

describe('repeated announces', () => {
  it('say how often they were repeated; a bad count is ignored, never an error', () => {
    expect(parseData(announceData(A))).toEqual({ type: 'announce', from: A, ymesh: true, packs: true })
    expect(parseData(announceData(A, undefined, 2))).toEqual({ type: 'announce', from: A, ymesh: true, packs: true, again: 2 })
    // A reply is never a repeat.
    expect(parseData(announceData(A, B, 2))).toEqual({ type: 'announce', from: A, to: B, ymesh: true, packs: true })
    for (const again of [0, -1, 1.5, 1001, '2', null]) {
      expect(parseData({ type: 'announce', from: A, ymesh: { v: 1, again } })).toEqual({ type: 'announce', from: A, ymesh: true, packs: false })
    }
    // Signals keep their session whatever else the marker says.
    expect(parseData({ ...signalData(A, B, offer, 1, 's1', 0), ymesh: { v: 1, session: 's1', index: 0, again: 3 } })).toMatchObject({ session: 's1', index: 0 })
  })
})
