import { describe, expect, it } from 'vitest'
import { SimNetwork } from '../src/index.js'
import type { NetworkOptions, SimLink, SimTransport, TraceEvent } from '../src/index.js'
import { wire } from './wire.js'

async function pair (net: SimNetwork): Promise<[SimLink, SimLink]> {
  const w = wire(net.createTransport('a'), net.createTransport('b'))
  await net.sim.runUntil(() => w.la.state === 'open' && w.lb().state === 'open')
  return [w.la, w.lb()]
}

/**
 * A busy lossy exchange among three peers: retransmissions make runs of messages share an
 * arrival time (where a link delivers several messages in one event), whole-millisecond
 * latencies make deliveries tie with timers and other links, and a partition leaves queued
 * messages whose arrival times have passed by the time it heals.
 */
async function busyRun (options: NetworkOptions, drive: (net: SimNetwork) => Promise<unknown>): Promise<{ trace: TraceEvent[], got: string[], events: number }> {
  const trace: TraceEvent[] = []
  const net = new SimNetwork({ seed: 11, microtasks: 'settle', trace: (e) => { trace.push(e) }, link: { latencyMs: 5, loss: 0.3, rtoMs: 20 }, ...options })
  const [a, b, c] = ['a', 'b', 'c'].map((id) => net.createTransport(id)) as [SimTransport, SimTransport, SimTransport]
  const ab = wire(a, b)
  const ac = wire(a, c)
  await net.sim.runUntil(() => ab.la.state === 'open' && ac.la.state === 'open')
  const got: string[] = []
  const links = [ab.la, ab.lb(), ac.la, ac.lb()]
  for (const [k, link] of links.entries()) {
    link.on('message', (d) => {
      got.push(`${k}@${net.sim.now}:${d[0]}`)
      if (d[0] === 255) links[k ^ 1]?.send(new Uint8Array([254])) // an answer on the link being delivered
    })
  }
  for (let i = 0; i < 200; i++) {
    net.sim.clock.setTimeout(() => { for (const link of links) link.send(new Uint8Array([i % 3 === 0 ? 255 : i])) }, i)
  }
  net.sim.clock.setTimeout(() => { const p = net.partition(['c'], ['a']); net.sim.clock.setTimeout(() => { net.heal(p) }, 60) }, 50)
  await drive(net)
  return { trace, got, events: net.sim.eventsProcessed }
}

describe('hot path', () => {
  it('a run is the same event for event whether or not links deliver runs of messages inline', async () => {
    // run() lets a link deliver its next message at once when it would be the next event
    // anyway; runUntil(predicate) checks the predicate between events, so never does.
    const inline = await busyRun({}, async (net) => await net.sim.run())
    const queued = await busyRun({}, async (net) => await net.sim.runUntil(() => false))
    expect(inline.got.length).toBe(4 * 200 + 4 * 67)
    expect(inline.got).toEqual(queued.got)
    expect(inline.trace).toEqual(queued.trace)
    expect(inline.events).toBe(queued.events)
  })

  it('counts inline deliveries against the event budget exactly like queued ones', async () => {
    const counts: number[] = []
    for (const run of [(net: SimNetwork) => net.sim.run({ maxEvents: 300 }), (net: SimNetwork) => net.sim.runUntil(() => false, { maxEvents: 300 })]) {
      const r = await busyRun({}, async (net) => {
        await expect(run(net)).rejects.toMatchObject({ name: 'MaxEventsExceededError' })
        counts.push(net.sim.eventsProcessed)
        return await net.sim.run()
      })
      expect(r.got.length).toBe(4 * 200 + 4 * 67)
    }
    expect(counts[0]).toBe(counts[1])
  })

  it('hands over the sent bytes by default and fails the run when a sender rewrites them after send()', async () => {
    const net = new SimNetwork({ seed: 3 })
    const [la, lb] = await pair(net)
    const got: Uint8Array[] = []
    lb.on('message', (d) => got.push(d))
    const sent = new Uint8Array([1, 2, 3])
    la.send(sent)
    await net.sim.run()
    expect(got[0]).toBe(sent)
    const reused = new Uint8Array(64).fill(5)
    la.send(reused)
    reused.fill(6) // the next message written into the same buffer
    await expect(net.sim.run()).rejects.toMatchObject({ name: 'MessageMutatedError' })
  })

  it('fails the run when a receiver writes into bytes that another receiver has yet to get', async () => {
    const net = new SimNetwork({ seed: 4, link: { mode: 'unreliable' } })
    const a = net.createTransport('a')
    const w1 = wire(a, net.createTransport('b'))
    const w2 = wire(a, net.createTransport('c'))
    await net.sim.runUntil(() => w1.la.state === 'open' && w2.la.state === 'open')
    net.setLink('a', 'c', { latencyMs: 50 })
    w1.lb().on('message', (d) => { d.fill(0) })
    const shared = new Uint8Array(16).fill(9)
    w1.la.send(shared)
    w2.la.send(shared)
    await expect(net.sim.run()).rejects.toMatchObject({ name: 'MessageMutatedError' })
  })

  it('with copyMessages, senders may reuse buffers and each receiver owns its copy', async () => {
    for (const mode of ['reliable', 'unreliable'] as const) {
      const net = new SimNetwork({ seed: 5, copyMessages: true, link: { mode, duplicate: mode === 'unreliable' ? 1 : 0 } })
      const [la, lb] = await pair(net)
      const got: Uint8Array[] = []
      lb.on('message', (d) => { got.push(d.slice()); d.fill(0) })
      const buf = new Uint8Array([1, 2, 3, 4])
      la.send(buf)
      buf[0] = 9
      la.send(buf)
      buf.fill(7)
      await net.sim.run()
      // Unreliable mode delivers each message twice here (duplicate: 1), in any order.
      const bytes = got.map((d) => [...d]).sort((x, y) => (x[0] as number) - (y[0] as number))
      expect(bytes).toEqual(mode === 'reliable' ? [[1, 2, 3, 4], [9, 2, 3, 4]] : [[1, 2, 3, 4], [1, 2, 3, 4], [9, 2, 3, 4], [9, 2, 3, 4]])
      expect([...buf]).toEqual([7, 7, 7, 7])
    }
  })

  it('calls every message listener, in order, through on(), once(), off() and destroy()', async () => {
    const net = new SimNetwork({ seed: 6 })
    const [la, lb] = await pair(net)
    const calls: string[] = []
    const first = (d: Uint8Array): void => { calls.push(`first ${d[0]}`) }
    const second = (d: Uint8Array): void => { calls.push(`second ${d[0]}`) }
    lb.on('message', first)
    lb.once('message', (d) => { calls.push(`once ${d[0]}`) })
    la.send(new Uint8Array([1]))
    await net.sim.run()
    lb.on('message', second)
    la.send(new Uint8Array([2]))
    await net.sim.run()
    lb.off('message', first)
    la.send(new Uint8Array([3]))
    await net.sim.run()
    lb.destroy()
    la.send(new Uint8Array([4]))
    await net.sim.run()
    expect(calls).toEqual(['first 1', 'once 1', 'first 2', 'second 2', 'second 3'])
  })

  it('a send from inside a handler on the link being delivered keeps one delivery per message, in order', async () => {
    const net = new SimNetwork({ seed: 7, microtasks: 'settle', link: { latencyMs: 10, loss: 0.3, rtoMs: 10 } })
    const [la, lb] = await pair(net)
    const got: number[] = []
    lb.on('message', (d) => {
      got.push(d[0] as number)
      if ((d[0] as number) < 50) la.send(new Uint8Array([(d[0] as number) + 50]))
    })
    for (let i = 0; i < 20; i++) la.send(new Uint8Array([i]))
    await net.sim.run()
    expect(got.length).toBe(40)
    expect(got.slice(0, 20)).toEqual([...Array(20).keys()])
    expect(new Set(got).size).toBe(40)
  })
})
