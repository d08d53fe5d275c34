import { describe, expect, it } from 'vitest'
import type { Connection } from '@ymesh/core'
import { SimNetwork } from '@ymesh/sim'
import { PullTracker, type PullRequests } from '../../src/gossip/pulls.js'

const conn = (name: string): Connection => ({ state: 'open', remotePeer: name }) as unknown as Connection
const id = (n: number): Uint8Array => new Uint8Array(16).fill(n)

function tracker (max = 10): { net: SimNetwork, pulls: PullTracker, due: Array<{ at: number, requests: PullRequests }>, gaveUp: () => number } {
  const net = new SimNetwork({ seed: 1 })
  const clock = net.createTransport('me').clock
  const due: Array<{ at: number, requests: PullRequests }> = []
  let gaveUp = 0
  const pulls = new PullTracker({ clock, max, maxAttempts: 3, retryMs: 100, onDue: (requests) => { due.push({ at: net.sim.now, requests }) }, onGiveUp: () => { gaveUp++ } })
  return { net, pulls, due, gaveUp: () => gaveUp }
}

describe('PullTracker', () => {
  it('pulls from the first announcer, retries the next ones with growing waits, then gives up', async () => {
    const { net, pulls, due, gaveUp } = tracker()
    const [a, b] = [conn('a'), conn('b')]
    pulls.note('k', id(1), 't', a, 50)
    pulls.note('k', id(1), 't', b, 50)
    pulls.note('k', id(1), 't', b, 50)
    await net.sim.advance(1_000)
    expect(due.map((d) => [d.at, [...d.requests.keys()].map((c) => c.remotePeer)])).toEqual([[50, ['a']], [250, ['b']], [550, ['a']]])
    expect(gaveUp()).toBe(1)
    expect(pulls.size).toBe(0)
  })

  it('reschedules for an earlier deadline, forgets resolved ids, topics and connections, and is bounded', async () => {
    const { net, pulls, due } = tracker(2)
    const [a, b] = [conn('a'), conn('b')]
    pulls.note('slow', id(1), 't', a, 500)
    pulls.note('fast', id(2), 'u', b, 10)
    expect(pulls.note('over', id(3), 't', a, 10)).toBe(false)
    await net.sim.advance(20)
    expect(due).toHaveLength(1)
    expect([...due[0]!.requests.get(b)!.keys()]).toEqual(['u'])
    pulls.resolve('fast')
    pulls.forgetTopic('t')
    expect(pulls.size).toBe(0)
    pulls.note('x', id(4), 't', a, 10)
    pulls.forgetConnection(a) // no announcer left: dropped without a request
    await net.sim.advance(100)
    expect(due).toHaveLength(1)
    pulls.note('y', id(5), 't', b, 10)
    pulls.clear()
    await net.sim.advance(100)
    expect(due).toHaveLength(1)
  })
})
