import { describe, expect, it } from 'vitest'
import type { SignalData } from '@ymesh/protocol'
import { SimNetwork } from '../src/index.js'
import type { SimLink } from '../src/index.js'
import { wire } from './wire.js'

async function pair (net: SimNetwork, a = 'a', b = 'b'): Promise<[SimLink, SimLink]> {
  const w = wire(net.createTransport(a), net.createTransport(b))
  await net.sim.runUntil(() => w.la.state === 'open' && w.lb().state === 'open')
  return [w.la, w.lb()]
}

function inbox (link: SimLink): number[] {
  const got: number[] = []
  link.on('message', (m) => got.push(m[0]! | (m[1]! << 8)))
  return got
}

function msg (i: number): Uint8Array {
  return new Uint8Array([i & 255, (i >> 8) & 255])
}

describe('link lifecycle and faults (traced)', () => {
  it('close() delivers queued data first, then the far side closes with reason remote', async () => {
    const net = new SimNetwork({ seed: 11, trace: true })
    const [la, lb] = await pair(net)
    const got = inbox(lb)
    const reasons: string[] = []
    la.on('close', (e) => reasons.push(`a:${e.reason}`))
    lb.on('close', (e) => reasons.push(`b:${e.reason}`))
    for (let i = 0; i < 3; i++) la.send(msg(i))
    la.close()
    la.close()
    expect(() => { la.send(msg(9)) }).toThrow(expect.objectContaining({ name: 'LinkClosedError' }))
    expect(() => { lb.send(new Uint8Array(lb.maxMessageSize + 1)) }).toThrow(expect.objectContaining({ name: 'MessageTooLargeError' }))
    await net.sim.run()
    expect(got).toEqual([0, 1, 2])
    expect(reasons).toEqual(['a:local', 'b:remote'])
    const kinds = new Set(net.sim.trace.map((e) => e.kind))
    for (const k of ['link-create', 'signal-out', 'signal-in', 'open', 'send', 'deliver', 'close']) expect(kinds).toContain(k)
  })

  it('drops what the far side sends after a local close, and closing a connecting link is quiet', async () => {
    const net = new SimNetwork({ seed: 12 })
    const [la, lb] = await pair(net)
    const got = inbox(la)
    la.close()
    lb.send(msg(1))
    await net.sim.run()
    expect(got).toEqual([])
    const t = net.transport('a')
    const lone = t.createLink({ remotePeer: t.localPeer, initiator: true, onSignal: () => {} })
    lone.close()
    expect(lone.state).toBe('closed')
    expect(lone.bufferedAmount).toBe(0)
  })

  it('closes on malformed signals of every shape', () => {
    const net = new SimNetwork({ seed: 13 })
    const t = net.createTransport('a')
    const bad: unknown[] = [null, 'offer', { type: 'nope' }, { type: 'candidate' }, { type: 'candidate', candidate: { candidate: 5 } }, { type: 'offer', sdp: 12 }]
    for (const signal of bad) {
      const link = t.createLink({ remotePeer: t.localPeer, initiator: false, onSignal: () => {} })
      link.signal(signal as SignalData)
      expect(link.state).toBe('closed')
    }
    const ok = t.createLink({ remotePeer: t.localPeer, initiator: false, onSignal: () => {} })
    ok.signal({ type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 10.0.0.1 1 typ host' } })
    expect(ok.state).toBe('connecting')
  })

  it('stalls across partitions of every kind and resumes on heal, tracing each step', async () => {
    const net = new SimNetwork({ seed: 14, trace: true, deadPathTimeoutMs: 10_000 })
    const [la, lb] = await pair(net)
    const got = inbox(lb)
    for (const cut of [() => net.partition(['a'], ['b']), () => net.partitionOneWay(['a'], ['b']), () => net.partitionGroups([['a'], ['b']])]) {
      const p = cut()
      la.send(msg(got.length))
      await net.sim.advance(500)
      expect(la.state).toBe('open')
      net.heal(p)
      await net.sim.advance(500)
    }
    expect(got).toEqual([0, 1, 2])
    const kinds = new Set(net.sim.trace.map((e) => e.kind))
    for (const k of ['partition', 'partition-one-way', 'partition-groups', 'heal', 'stall']) expect(kinds).toContain(k)
    expect(lb.state).toBe('open')
  })

  it('unreliable mode duplicates, reorders and drops on a dead path, with trace events', async () => {
    const net = new SimNetwork({ seed: 15, trace: true, link: { mode: 'unreliable', duplicate: 0.5, reorder: 0.5, jitterMs: 3 } })
    const [la, lb] = await pair(net)
    const got = inbox(lb)
    for (let i = 0; i < 200; i++) la.send(msg(i))
    await net.sim.run()
    expect(got.length).toBeGreaterThan(250)
    expect(got.some((v, i) => i > 0 && v < got[i - 1]!)).toBe(true)
    const p = net.partition(['a'], ['b'])
    la.send(msg(1))
    net.heal(p)
    const before = got.length
    // Sent into a partition: gone, and a datagram in flight when the path dies is gone too.
    la.send(msg(2))
    net.partition(['a'], ['b'])
    await net.sim.advance(200)
    expect(got.length).toBe(before)
    expect(net.sim.trace.some((e) => e.kind === 'drop')).toBe(true)
    expect(net.sim.trace.some((e) => e.kind === 'duplicate')).toBe(true)
  })

  it('a crash before the connection opens ends in ice-failed for the survivor', async () => {
    const net = new SimNetwork({ seed: 16, trace: true, deadPathTimeoutMs: 1000 })
    const a = net.createTransport('a')
    const b = net.createTransport('b')
    const w = wire(a, b)
    const reasons: string[] = []
    w.la.on('close', (e) => reasons.push(e.reason))
    // Run until the answer has been applied, then crash b before the open arrives.
    await net.sim.runUntil(() => w.la.peer !== null)
    net.crash('b')
    await net.sim.run()
    expect(reasons).toEqual(['ice-failed'])
    expect(net.sim.trace.some((e) => e.kind === 'crash')).toBe(true)
  })

  it('keeps a long-lived busy link bounded and ordered through many messages', async () => {
    const net = new SimNetwork({ seed: 17, link: { bandwidth: 1_000_000, jitterMs: 5 } })
    const [la, lb] = await pair(net)
    const got = inbox(lb)
    for (let i = 0; i < 5000; i++) la.send(msg(i))
    await net.sim.run()
    expect(got).toEqual(Array.from({ length: 5000 }, (_, i) => i & 0xffff))
  })
})
