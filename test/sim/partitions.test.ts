import { describe, expect, it } from 'vitest'
import { SimNetwork } from '@ymesh/sim'
import type { SimLink } from '@ymesh/sim'
import { testSeed } from '../helpers/seed.js'
import { connect, readU32, u32 } from './wire.js'

function inbox (link: SimLink): number[] {
  const got: number[] = []
  link.on('message', (m) => got.push(readU32(m)))
  return got
}

describe('partitions', () => {
  it('a two-way partition shorter than the dead-path timeout only delays traffic, in order, and heal resumes it', async () => {
    const net = new SimNetwork({ seed: testSeed(), deadPathTimeoutMs: 5000, link: { latencyMs: 10, jitterMs: 5 } })
    const [la, lb] = await connect(net, net.createTransport('a'), net.createTransport('b'))
    const atB = inbox(lb)
    const atA = inbox(la)
    const p = net.partition(['a'], ['b'])
    for (let i = 0; i < 50; i++) { la.send(u32(i)); lb.send(u32(i)) }
    await net.sim.advance(3000)
    expect(atB).toEqual([])
    expect(atA).toEqual([])
    net.heal(p)
    await net.sim.advance(200)
    expect(atB).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect(atA).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect(la.state).toBe('open')
  })

  it('a partition longer than the dead-path timeout closes both ends with a reason', async () => {
    const net = new SimNetwork({ seed: testSeed(), deadPathTimeoutMs: 1000 })
    const [la, lb] = await connect(net, net.createTransport('a'), net.createTransport('b'))
    const reasons: string[] = []
    la.on('close', (e) => reasons.push(`a:${e.reason}`))
    lb.on('close', (e) => reasons.push(`b:${e.reason}`))
    la.send(u32(1))
    net.partition(['a'], ['b'])
    const started = net.sim.now
    await net.sim.runUntil(() => la.state === 'closed' && lb.state === 'closed')
    expect(net.sim.now - started).toBe(1000)
    expect(reasons.sort()).toEqual(['a:timeout', 'b:timeout'])
    net.heal()
    await net.sim.run()
    expect(reasons).toHaveLength(2)
  })

  it('a one-way partition stalls one direction only; the other keeps delivering', async () => {
    const net = new SimNetwork({ seed: testSeed(), deadPathTimeoutMs: 5000 })
    const [la, lb] = await connect(net, net.createTransport('a'), net.createTransport('b'))
    const atB = inbox(lb)
    const atA = inbox(la)
    const p = net.partitionOneWay(['a'], ['b'])
    la.send(u32(1))
    lb.send(u32(2))
    await net.sim.advance(1000)
    expect(atA).toEqual([2])
    expect(atB).toEqual([])
    net.heal(p)
    await net.sim.advance(1000)
    expect(atB).toEqual([1])
  })

  it('an n-way partition separates the groups, leaves traffic inside each group and unlisted nodes alone', async () => {
    const net = new SimNetwork({ seed: testSeed(), deadPathTimeoutMs: 60_000 })
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'x']
    const t = Object.fromEntries(ids.map((id) => [id, net.createTransport(id)]))
    const pairs = [['a', 'b'], ['a', 'c'], ['c', 'd'], ['e', 'f'], ['a', 'e'], ['x', 'a'], ['x', 'e']] as const
    const links = new Map<string, [SimLink, number[]]>()
    for (const [p, q] of pairs) {
      const [lp, lq] = await connect(net, t[p]!, t[q]!)
      links.set(`${p}${q}`, [lp, inbox(lq)])
    }
    net.partitionGroups([['a', 'b'], ['c', 'd'], ['e', 'f']])
    for (const [link] of links.values()) link.send(u32(7))
    await net.sim.advance(1000)
    const delivered = [...links].filter(([, [, got]]) => got.length === 1).map(([k]) => k).sort()
    expect(delivered).toEqual(['ab', 'cd', 'ef', 'xa', 'xe'])
    net.heal()
    await net.sim.advance(1000)
    for (const [, [, got]] of links) expect(got).toEqual([7])
  })

  it('links opened during a partition connect once it heals', async () => {
    const net = new SimNetwork({ seed: testSeed(), deadPathTimeoutMs: 5000 })
    const a = net.createTransport('a')
    const b = net.createTransport('b')
    net.partition(['a'], ['b'])
    const pending = connect(net, a, b)
    net.sim.clock.setTimeout(() => { net.heal() }, 2000)
    const [la, lb] = await pending
    expect(net.sim.now).toBeGreaterThanOrEqual(2000)
    expect([la.state, lb.state]).toEqual(['open', 'open'])
  })
})
