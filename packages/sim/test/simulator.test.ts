import { describe, expect, it } from 'vitest'
import { MaxEventsExceededError, SettleTimeoutError, Simulator } from '../src/index.js'

/** A promise completed by hand, to control the order work finishes in. */
function deferred<T> (): { promise: Promise<T>, resolve: (v: T) => void, reject: (e: unknown) => void } {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

describe('Simulator and SimClock', () => {
  it('fires timers in virtual-time order, equal times in scheduling order', async () => {
    const sim = new Simulator()
    const log: string[] = []
    sim.clock.setTimeout(() => log.push(`b@${sim.now}`), 20)
    sim.clock.setTimeout(() => log.push(`a@${sim.now}`), 10)
    sim.clock.setTimeout(() => log.push(`c@${sim.now}`), 20)
    sim.clock.setTimeout(() => log.push(`z@${sim.now}`), -5)
    const result = await sim.run()
    expect(log).toEqual(['z@0', 'a@10', 'b@20', 'c@20'])
    expect(result).toEqual({ reason: 'idle', events: 4, time: 20 })
    expect(sim.clock.now()).toBe(20)
    expect(sim.eventsProcessed).toBe(4)
  })

  it('clears timeouts and intervals, and repeats intervals at their period', async () => {
    const sim = new Simulator()
    const ticks: number[] = []
    const cleared = sim.clock.setTimeout(() => ticks.push(-1), 5)
    sim.clock.clearTimeout(cleared)
    const interval = sim.clock.setInterval(() => { ticks.push(sim.now); if (ticks.length === 3) sim.clock.clearInterval(interval) }, 10)
    expect(sim.clock.pending).toBe(1)
    await sim.run()
    expect(ticks).toEqual([10, 20, 30])
    expect(sim.clock.pending).toBe(0)
    sim.clock.clearTimeout({} as never)
  })

  it('runs intervals of zero, negative or non-finite length every 1 ms, like Node', async () => {
    for (const ms of [0, -5, Number.NaN, Infinity]) {
      const sim = new Simulator()
      const ticks: number[] = []
      const interval = sim.clock.setInterval(() => { ticks.push(sim.now); if (ticks.length === 3) sim.clock.clearInterval(interval) }, ms)
      await sim.run()
      expect(ticks).toEqual([1, 2, 3])
    }
  })

  it('advance() runs what is due and moves the clock; runUntil(time) stops before later events', async () => {
    const sim = new Simulator()
    const fired: number[] = []
    for (const t of [5, 15, 25]) sim.clock.setTimeout(() => fired.push(t), t)
    expect(await sim.advance(10)).toEqual({ reason: 'time', events: 1, time: 10 })
    expect(await sim.runUntil(20)).toMatchObject({ reason: 'time', time: 20 })
    expect(fired).toEqual([5, 15])
    expect(await sim.advance(100)).toMatchObject({ reason: 'time', time: 120 })
    expect(fired).toEqual([5, 15, 25])
  })

  it('runUntil(predicate) stops as soon as the predicate holds, or reports idle', async () => {
    const sim = new Simulator()
    let n = 0
    sim.clock.setInterval(() => { n++ }, 1)
    expect(await sim.runUntil(() => n === 5)).toMatchObject({ reason: 'met', time: 5 })
    const other = new Simulator()
    expect(await other.runUntil(() => false)).toMatchObject({ reason: 'idle' })
  })

  it('throws MaxEventsExceededError when a run exceeds its event budget, and can continue after', async () => {
    const sim = new Simulator({ maxEvents: 100 })
    sim.clock.setInterval(() => {}, 1)
    await expect(sim.run()).rejects.toThrow(MaxEventsExceededError)
    expect(sim.now).toBe(100)
    await expect(sim.run({ maxEvents: 10 })).rejects.toMatchObject({ name: 'MaxEventsExceededError', maxEvents: 10 })
    expect(sim.now).toBe(110)
  })

  it('step() fires one event at a time and skips cancelled ones', async () => {
    const sim = new Simulator()
    const log: number[] = []
    const t = sim.clock.setTimeout(() => log.push(1), 1)
    sim.clock.setTimeout(() => log.push(2), 2)
    sim.clock.clearTimeout(t)
    expect(await sim.step()).toBe(true)
    expect(log).toEqual([2])
    expect(await sim.step()).toBe(false)
  })

  it('resumes settle() callers in call order even when the work completes in reverse order', async () => {
    for (const microtasks of ['every-event', 'settle'] as const) {
      const sim = new Simulator({ microtasks, trace: true })
      const work = [deferred<string>(), deferred<string>(), deferred<string>()]
      const resumed: string[] = []
      const times: number[] = []
      sim.clock.setTimeout(() => {
        for (const w of work) {
          void (async () => {
            const value = await sim.clock.settle(w.promise)
            resumed.push(value)
            times.push(sim.now)
            // A continuation may schedule more work; it lands after this event.
            sim.clock.setTimeout(() => resumed.push(`${value}+`), 1)
          })()
        }
      }, 10)
      sim.clock.setTimeout(() => resumed.push('later'), 11)
      // Complete in reverse order, from outside the simulation, while it runs.
      setTimeout(() => { work[2]!.resolve('c') }, 5)
      setTimeout(() => { work[1]!.resolve('b') }, 10)
      setTimeout(() => { work[0]!.resolve('a') }, 15)
      await sim.run()
      expect(resumed).toEqual(['a', 'b', 'c', 'later', 'a+', 'b+', 'c+'])
      // The loop did not move virtual time past unfinished work.
      expect(times).toEqual([10, 10, 10])
      expect(sim.trace.filter((e) => e.kind === 'settle')).toHaveLength(3)
    }
  })

  it('rejects settle() callers in order when the work fails', async () => {
    const sim = new Simulator()
    const order: string[] = []
    const failing = deferred<number>()
    const fine = deferred<number>()
    sim.clock.settle(failing.promise).catch((err: Error) => order.push(err.message))
    void sim.clock.settle(fine.promise).then((v) => order.push(String(v)))
    fine.resolve(2)
    failing.reject(new Error('boom'))
    await sim.run()
    expect(order).toEqual(['boom', '2'])
  })

  it('fails the run with SettleTimeoutError when settled work never completes', async () => {
    const sim = new Simulator({ settleTimeoutMs: 20 })
    void sim.clock.settle(new Promise<void>(() => {}))
    await expect(sim.run()).rejects.toThrow(SettleTimeoutError)
  })

  it('halting a clock silences its timers and pending settle() continuations only', async () => {
    const sim = new Simulator()
    const node = sim.createClock()
    const log: string[] = []
    node.setTimeout(() => log.push('node'), 5)
    node.setInterval(() => log.push('tick'), 1)
    void node.settle(Promise.resolve(1)).then(() => log.push('settled'))
    sim.clock.setTimeout(() => log.push('other'), 5)
    node.halt()
    node.setTimeout(() => log.push('after halt'), 1)
    void node.settle(Promise.resolve(2)).then(() => log.push('settled after halt'))
    await sim.run()
    expect(log).toEqual(['other'])
    expect(node.pending).toBe(0)
  })

  it('runs microtask continuations of an event before the next event by default', async () => {
    const sim = new Simulator()
    const log: string[] = []
    sim.clock.setTimeout(() => {
      void (async () => { await null; await null; log.push(`continuation@${sim.now}`) })()
    }, 1)
    sim.clock.setTimeout(() => log.push(`next@${sim.now}`), 1)
    await sim.run()
    expect(log).toEqual(['continuation@1', 'next@1'])
  })

  it('runs microtasks queued between runs at the current time, before the first event, by default', async () => {
    const sim = new Simulator()
    const log: string[] = []
    sim.clock.setTimeout(() => log.push(`timer@${sim.now}`), 16)
    await sim.advance(5)
    // Test code acting between runs (an edit whose handler defers work to a microtask).
    queueMicrotask(() => { sim.clock.setTimeout(() => log.push(`deferred@${sim.now}`), 0) })
    await sim.advance(20)
    expect(log).toEqual(['deferred@5', 'timer@16'])
  })

  it('sends trace events to a callback when given one', async () => {
    const seen: string[] = []
    const sim = new Simulator({ trace: (e) => seen.push(e.kind) })
    expect(sim.tracing).toBe(true)
    sim.record('custom', 'n1', { x: 1 })
    sim.record('plain', 'n1')
    expect(seen).toEqual(['custom', 'plain'])
    expect(sim.trace).toEqual([])
    const quiet = new Simulator()
    quiet.record('ignored', '')
    expect(quiet.trace).toEqual([])
    expect(quiet.pendingEvents).toBe(0)
  })
})
