import { describe, expect, it } from 'vitest'
import type { LinkCloseEvent, SignalData } from '@ymesh/protocol'
import { SimNetwork } from '../src/index.js'
import type { SimLink } from '../src/index.js'
import { wire } from './wire.js'

async function pair (net: SimNetwork, a = 'a', b = 'b'): Promise<[SimLink, SimLink]> {
  const w = wire(net.createTransport(a), net.createTransport(b))
  await net.sim.runUntil(() => w.la.state === 'open' && w.lb().state === 'open')
  return [w.la, w.lb()]
}

function closes (link: SimLink): LinkCloseEvent[] {
  const out: LinkCloseEvent[] = []
  link.on('close', (e) => out.push(e))
  return out
}

describe('SimTransport signaling', () => {
  it('emits an offer then a candidate, answers an offer, and opens after the path latency', async () => {
    const net = new SimNetwork({ seed: 1, link: { latencyMs: 30 } })
    const a = net.createTransport('a')
    const b = net.createTransport('b')
    const fromA: SignalData[] = []
    const fromB: SignalData[] = []
    const la = a.createLink({ remotePeer: b.localPeer, initiator: true, onSignal: (s) => fromA.push(s) })
    const lb = b.createLink({ remotePeer: a.localPeer, initiator: false, onSignal: (s) => fromB.push(s) })
    expect(fromA).toEqual([]) // never synchronously from createLink
    await net.sim.run()
    expect(fromA.map((s) => s.type)).toEqual(['offer', 'candidate'])
    for (const s of fromA) lb.signal(s)
    await net.sim.run()
    expect(fromB.map((s) => s.type)).toEqual(['answer', 'candidate'])
    const t0 = net.sim.now
    la.signal(fromB[0]!)
    const openedAt: Record<string, number> = {}
    la.on('open', () => { openedAt.a = net.sim.now })
    lb.on('open', () => { openedAt.b = net.sim.now })
    await net.sim.run()
    expect(openedAt).toEqual({ b: t0 + 30, a: t0 + 60 })
    expect(la.remoteFingerprint).toBe(b.fingerprint)
    expect(lb.remoteFingerprint).toBe(a.fingerprint)
    expect(a.links).toEqual([la])
  })

  it('a signaling path that swaps the fingerprint in the SDP changes remoteFingerprint', async () => {
    const net = new SimNetwork({ seed: 2 })
    const a = net.createTransport('a')
    const b = net.createTransport('b')
    const evil = net.createTransport('evil')
    let lb: SimLink | null = null
    const la = a.createLink({
      remotePeer: b.localPeer,
      initiator: true,
      onSignal: (s) => {
        if (s.type !== 'offer') return
        const edited = s.sdp.replace(/a=fingerprint:.*/, `a=fingerprint:${evil.fingerprint}`)
        lb = b.createLink({ remotePeer: a.localPeer, initiator: false, onSignal: (x) => { la.signal(x) } })
        lb.signal({ type: 'offer', sdp: edited })
      }
    })
    await net.sim.runUntil(() => la.state === 'open' && lb?.state === 'open')
    expect(lb!.remoteFingerprint).toBe(evil.fingerprint)
    expect(la.localFingerprint).toBe(a.fingerprint)
  })

  it('closes with ice-failed when the answer names an endpoint nobody listens on', async () => {
    const net = new SimNetwork({ seed: 3, deadPathTimeoutMs: 500 })
    const a = net.createTransport('a')
    const b = net.createTransport('b')
    const la = a.createLink({ remotePeer: b.localPeer, initiator: true, onSignal: () => {} })
    const lb = b.createLink({ remotePeer: a.localPeer, initiator: false, onSignal: (s) => { if (s.type === 'answer') la.signal(s) } })
    const seen = closes(la)
    // b answers an offer from a third link, so its answer does not match a's offer.
    const decoy = a.createLink({ remotePeer: b.localPeer, initiator: true, onSignal: (s) => { if (s.type === 'offer') lb.signal(s) } })
    await net.sim.run()
    expect(seen.map((e) => e.reason)).toEqual(['ice-failed'])
    expect(decoy.state).toBe('connecting')
  })

  it('closes with bad-signal on signals in the wrong state, and ignores signals after close', async () => {
    const net = new SimNetwork({ seed: 4 })
    const a = net.createTransport('a')
    const b = net.createTransport('b')
    const [la, lb] = await pair(net, 'x', 'y')
    const offer = { type: 'offer' as const, sdp: 'v=0' }
    const cases: [SimLink, SignalData][] = [
      [a.createLink({ remotePeer: b.localPeer, initiator: true, onSignal: () => {} }), offer],
      [b.createLink({ remotePeer: a.localPeer, initiator: false, onSignal: () => {} }), { type: 'answer', sdp: 'v=0' }],
      [la, { type: 'answer', sdp: 'v=0' }],
      [lb, offer]
    ]
    for (const [link, signal] of cases) {
      const seen = closes(link)
      link.signal(signal)
      expect(seen[0]?.reason).toBe('bad-signal')
      expect(seen[0]?.error?.name).toBe('InvalidSignalError')
      link.signal(signal)
      expect(seen).toHaveLength(1)
    }
  })

  it('negotiates the smaller max-message-size of the two sides', async () => {
    const net = new SimNetwork({ seed: 5 })
    const small = new SimNetwork({ seed: 5, maxMessageSize: 1000 })
    const a = net.createTransport('a')
    const b = small.createTransport('b')
    const seen: SignalData[] = []
    const lb = b.createLink({ remotePeer: a.localPeer, initiator: false, onSignal: (s) => seen.push(s) })
    const la = a.createLink({ remotePeer: b.localPeer, initiator: true, onSignal: (s) => { if (s.type === 'offer') lb.signal(s) } })
    await net.sim.run()
    await small.sim.run()
    la.signal(seen[0]!)
    expect(la.maxMessageSize).toBe(1000)
    expect(lb.maxMessageSize).toBe(1000)
  })
})

describe('SimNetwork nodes and links', () => {
  it('refuses duplicate, unknown and crashed peers with named errors', () => {
    const net = new SimNetwork()
    const a = net.createTransport('a')
    expect(() => net.createTransport('a')).toThrow(expect.objectContaining({ name: 'DuplicatePeerError' }))
    expect(() => net.node('nobody')).toThrow(expect.objectContaining({ name: 'UnknownPeerError' }))
    net.crash('a')
    net.crash('a')
    expect(() => net.createTransport('a')).toThrow(expect.objectContaining({ name: 'NodeCrashedError' }))
    expect(() => a.createLink({ remotePeer: a.localPeer, initiator: true, onSignal: () => {} })).toThrow(expect.objectContaining({ name: 'TransportClosedError' }))
    const again = net.restart('a')
    expect(net.transport('a')).toBe(again)
    expect(again.fingerprint).not.toBe(a.fingerprint)
    expect(net.peers).toEqual(['a'])
    again.close()
    again.close()
    expect(() => again.createLink({ remotePeer: a.localPeer, initiator: true, onSignal: () => {} })).toThrow(expect.objectContaining({ name: 'TransportClosedError' }))
    expect(again.clock.now()).toBe(0)
    expect(again.rng.float()).toBeLessThan(1)
  })

  it('restart() of a running node crashes it first', () => {
    const net = new SimNetwork()
    net.createTransport('a')
    net.restart('a')
    expect(net.node('a').incarnation).toBe(1)
  })

  it('validates link parameters', () => {
    const net = new SimNetwork()
    expect(() => net.setLink('a', 'b', { loss: 2 })).toThrow(RangeError)
    expect(() => net.setDefaultLink({ bandwidth: 0 })).toThrow(RangeError)
    expect(() => new SimNetwork({ link: { latencyMs: -1 } })).toThrow(RangeError)
  })

  it('applies setLink and setDefaultLink to links already open', async () => {
    const net = new SimNetwork({ seed: 6, link: { latencyMs: 10 } })
    const [la, lb] = await pair(net)
    const at: number[] = []
    lb.on('message', () => at.push(net.sim.now))
    net.setLink('a', 'b', { latencyMs: 100, bandwidth: Infinity })
    let t = net.sim.now
    la.send(new Uint8Array(10))
    await net.sim.run()
    expect(at[0]! - t).toBe(100)
    net.setDefaultLink({ latencyMs: 50 })
    t = net.sim.now
    lb.send(new Uint8Array(1))
    const back: number[] = []
    la.on('message', () => back.push(net.sim.now))
    await net.sim.run()
    expect(back[0]! - t).toBeCloseTo(50, 0)
  })

  it('fires buffered-amount-low once bufferedAmount drains to the threshold', async () => {
    const net = new SimNetwork({ seed: 7, link: { bandwidth: 100_000 } })
    const [la] = await pair(net)
    la.bufferedAmountLowThreshold = 1000
    const lows: number[] = []
    la.on('buffered-amount-low', () => lows.push(la.bufferedAmount))
    la.send(new Uint8Array(5000))
    expect(la.bufferedAmount).toBe(5000)
    la.send(new Uint8Array(5000))
    expect(la.bufferedAmount).toBe(10_000)
    await net.sim.advance(50)
    expect(la.bufferedAmount).toBe(5000)
    await net.sim.run()
    expect(lows).toEqual([1000])
    expect(la.bufferedAmount).toBe(0)
  })

  it('closes both ends with timeout when retransmissions would outlast the dead-path timeout', async () => {
    const net = new SimNetwork({ seed: 8, deadPathTimeoutMs: 1000 })
    const [la, lb] = await pair(net)
    net.setLink('a', 'b', { loss: 1 })
    const seen = closes(lb)
    la.send(new Uint8Array(1))
    await net.sim.run()
    expect(seen.map((e) => e.reason)).toEqual(['timeout'])
    expect(la.state).toBe('closed')
  })

  it('bursty loss (Gilbert–Elliott) in unreliable mode loses runs of messages', async () => {
    const net = new SimNetwork({ seed: 9, link: { mode: 'unreliable', burst: { goodToBad: 0.05, badToGood: 0.3 } } })
    const [la, lb] = await pair(net)
    const got: number[] = []
    lb.on('message', (m) => got.push(m[0]! | (m[1]! << 8)))
    for (let i = 0; i < 2000; i++) la.send(new Uint8Array([i & 255, i >> 8]))
    await net.sim.run()
    const lost = 2000 - got.length
    // Stationary bad-state share is 0.05 / 0.35 ≈ 14%.
    expect(lost).toBeGreaterThan(150)
    expect(lost).toBeLessThan(450)
    let gaps = 0
    for (let i = 1; i < got.length; i++) if (got[i]! - got[i - 1]! > 1) gaps++
    // Bursts: far fewer gaps than lost messages.
    expect(gaps).toBeLessThan(lost / 2)
  })
})
