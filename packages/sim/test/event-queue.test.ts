import { describe, expect, it } from 'vitest'
import { EventQueue, SimEvent } from '../src/event-queue.js'
import { SimRng } from '../src/sim-rng.js'

const noop = (): void => {}

describe('EventQueue', () => {
  it('pops events by time, then by scheduling sequence, whatever the insertion order', () => {
    const rng = new SimRng(7)
    const q = new EventQueue()
    const events: SimEvent[] = []
    for (let seq = 0; seq < 2000; seq++) {
      const e = new SimEvent(rng.int(50), seq, noop, null, null, null)
      events.push(e)
    }
    // Insert shuffled, so the heap, not insertion order, produces the result.
    const shuffled = [...events]
    for (let i = shuffled.length - 1; i > 0; i--) { const j = rng.int(i + 1); [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!] }
    for (const e of shuffled) q.push(e)
    expect(q.size).toBe(2000)
    const out: SimEvent[] = []
    for (let e = q.pop(); e !== undefined; e = q.pop()) out.push(e)
    const expected = [...events].sort((x, y) => x.time - y.time || x.seq - y.seq)
    expect(out.map((e) => e.seq)).toEqual(expected.map((e) => e.seq))
    expect(q.pop()).toBeUndefined()
    expect(q.peek()).toBeUndefined()
  })

  it('interleaves pushes and pops correctly and clears', () => {
    const q = new EventQueue()
    q.push(new SimEvent(5, 0, noop, null, null, null))
    q.push(new SimEvent(1, 1, noop, null, null, null))
    expect(q.pop()?.time).toBe(1)
    q.push(new SimEvent(3, 2, noop, null, null, null))
    expect(q.peek()?.time).toBe(3)
    q.clear()
    expect(q.size).toBe(0)
  })
})
