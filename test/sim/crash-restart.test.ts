import { describe, expect, it } from 'vitest'
import { SimNetwork } from '@ymesh/sim'
import { testSeed } from '../helpers/seed.js'
import { connect, u32 } from './wire.js'

describe('crash and restart', () => {
  it('a crashed peer goes silent; the survivor notices only through the dead-path timeout', async () => {
    const net = new SimNetwork({ seed: testSeed(), deadPathTimeoutMs: 3000 })
    const a = net.createTransport('a')
    const b = net.createTransport('b')
    const [la, lb] = await connect(net, a, b)
    const bEvents: string[] = []
    lb.on('close', () => bEvents.push('close'))
    lb.on('message', () => bEvents.push('message'))
    let bTimer = 0
    b.clock.setInterval(() => { bTimer++ }, 10)
    la.send(u32(1)) // in flight when b dies
    const crashedAt = net.sim.now
    net.crash('b')
    expect(lb.state).toBe('closed')
    let closedAt = -1
    la.on('close', (e) => { closedAt = net.sim.now; expect(e.reason).toBe('timeout') })
    await net.sim.advance(2999)
    expect(la.state).toBe('open')
    la.send(u32(2)) // still accepted: nobody has told a yet
    await net.sim.advance(10)
    expect(closedAt).toBe(crashedAt + 3000)
    expect(bEvents).toEqual([])
    expect(bTimer).toBe(0)
  })

  it('a restarted peer is a fresh node under the same id; old links stay dead, new ones work', async () => {
    const net = new SimNetwork({ seed: testSeed(), deadPathTimeoutMs: 1000 })
    const a = net.createTransport('a')
    const b1 = net.createTransport('b')
    const [la1] = await connect(net, a, b1)
    net.crash('b')
    const b2 = net.restart('b')
    expect(b2).not.toBe(b1)
    expect(b2.localPeer).toBe('b')
    expect(b2.fingerprint).not.toBe(b1.fingerprint)
    await net.sim.runUntil(() => la1.state === 'closed')
    const [la2, lb2] = await connect(net, a, b2)
    expect(la2.remoteFingerprint).toBe(b2.fingerprint)
    const got: number[] = []
    lb2.on('message', (m) => got.push(m[0]!))
    la2.send(u32(9))
    await net.sim.run()
    expect(got).toEqual([9])
    expect(la1.state).toBe('closed')
  })
})
