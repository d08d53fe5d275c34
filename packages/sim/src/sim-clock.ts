import type { Clock, Timer } from '@ymesh/protocol'
import type { SimEvent } from './event-queue.js'

/** What a SimClock needs from the simulator that drives it. */
export interface Scheduler {
  readonly now: number
  schedule<A, B>(time: number, fn: (a: A, b: B, event: SimEvent) => void, a: A, b: B): SimEvent
  requeue(event: SimEvent, time: number): SimEvent
  cancel(event: SimEvent): void
  scheduleSettle<T>(work: Promise<T>, onScheduled: (event: SimEvent) => void): Promise<T>
}

class TimerHandle {
  event: SimEvent | null = null
  constructor (readonly callback: () => void, readonly intervalMs: number) {}
}

/**
 * Virtual time for code under simulation. Each node gets its own SimClock over the shared
 * simulator, so crashing the node silences its timers and pending settle() continuations
 * (a dead process runs nothing) without touching anyone else's.
 */
export class SimClock implements Clock {
  private readonly live = new Set<TimerHandle | SimEvent>()
  private halted = false

  constructor (private readonly scheduler: Scheduler) {}

  now (): number {
    return this.scheduler.now
  }

  setTimeout (callback: () => void, delayMs: number): Timer {
    const handle = new TimerHandle(callback, -1)
    this.arm(handle, delayMs)
    return handle as unknown as Timer
  }

  clearTimeout (timer: Timer): void {
    const handle = timer as unknown as TimerHandle
    if (!(handle instanceof TimerHandle)) return
    if (handle.event !== null) this.scheduler.cancel(handle.event)
    handle.event = null
    this.live.delete(handle)
  }

  setInterval (callback: () => void, intervalMs: number): Timer {
    // Like Node's timers, a zero, negative or non-finite interval becomes 1 ms, so time
    // passes between runs (re-arming in fire() relies on a finite interval).
    const handle = new TimerHandle(callback, Number.isFinite(intervalMs) && intervalMs > 1 ? intervalMs : 1)
    this.arm(handle, handle.intervalMs)
    return handle as unknown as Timer
  }

  clearInterval (timer: Timer): void {
    this.clearTimeout(timer)
  }

  /**
   * Resumes the awaiting code as a simulator event at the virtual time of this call, in
   * the order settle() was called: see Simulator for how the run loop waits for `work`.
   */
  settle<T>(work: Promise<T>): Promise<T> {
    if (this.halted) return new Promise<T>(() => {})
    let event: SimEvent | null = null
    const result = this.scheduler.scheduleSettle(work, (e) => { event = e; this.live.add(e) })
    const settled = (): void => { if (event !== null) this.live.delete(event) }
    result.then(settled, settled)
    return result
  }

  /** Number of timers and settle() calls still pending on this clock. */
  get pending (): number {
    return this.live.size
  }

  /** Cancels every pending timer and settle() continuation and ignores new ones: the node died. */
  halt (): void {
    this.halted = true
    for (const item of this.live) {
      const event = item instanceof TimerHandle ? item.event : item
      if (event !== null) this.scheduler.cancel(event)
    }
    this.live.clear()
  }

  private arm (handle: TimerHandle, delayMs: number): void {
    if (this.halted) return
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0
    handle.event = this.scheduler.schedule(this.scheduler.now + delay, fireTimer, this, handle)
    this.live.add(handle)
  }

  /** @internal */
  fire (handle: TimerHandle): void {
    // An interval re-arms with the event object that has just fired.
    if (handle.intervalMs >= 0) handle.event = this.scheduler.requeue(handle.event as SimEvent, this.scheduler.now + handle.intervalMs)
    else { handle.event = null; this.live.delete(handle) }
    handle.callback()
  }
}

function fireTimer (clock: SimClock, handle: TimerHandle): void {
  clock.fire(handle)
}
