import { EventQueue, SimEvent } from './event-queue.js'
import type { SettleEntry } from './event-queue.js'
import { MaxEventsExceededError, SettleTimeoutError } from './errors.js'
import { SimClock } from './sim-clock.js'
import type { Scheduler } from './sim-clock.js'
import { SimRng } from './sim-rng.js'
import type { TraceEvent, TraceOption } from './trace.js'

export interface SimulatorOptions {
  /** The whole run is a pure function of this. Default 1. */
  readonly seed?: number | string
  /** true keeps trace events in `trace`; a function receives each one. Default off. */
  readonly trace?: TraceOption
  /**
   * When the run loop lets pending microtasks (promise continuations) run:
   * - 'every-event' (default): after every event, like a real event loop's microtask
   *   checkpoint, so `await` chains inside handlers finish before the next event. Costs
   *   about 2 µs of wall time per event.
   * - 'settle': only around settle() continuations and when the queue runs dry. For code
   *   whose handlers are synchronous apart from settle(); much faster (benchmarks).
   */
  readonly microtasks?: 'every-event' | 'settle'
  /** Real time the run loop waits for one settle()d promise before failing. Default 30 s. */
  readonly settleTimeoutMs?: number
  /** Default event budget of run()/runUntil()/advance(). Default 10 million. */
  readonly maxEvents?: number
}

export interface RunOptions {
  /** Fail with MaxEventsExceededError after this many events. */
  readonly maxEvents?: number
}

export interface RunResult {
  /** 'met': the predicate held; 'time': the target time was reached; 'idle': nothing left to do. */
  readonly reason: 'met' | 'time' | 'idle'
  /** Events processed by this call. */
  readonly events: number
  /** Virtual time at the end of the call. */
  readonly time: number
}

const hostImmediate: (fn: () => void) => void =
  typeof globalThis.setImmediate === 'function' ? (fn) => { globalThis.setImmediate(fn) } : (fn) => { globalThis.setTimeout(fn, 0) }

/** Resolves after every promise continuation queued so far, and any they queue, has run. */
function drainMicrotasks (): Promise<void> {
  return new Promise((resolve) => { hostImmediate(resolve) })
}

function fireSettleMarker (): void {}

/**
 * The discrete-event core: a heap of events ordered by (virtual time, scheduling sequence),
 * a virtual clock, a seeded rng and an optional trace.
 *
 * settle() and determinism. `clock.settle(work)` schedules a settle event at the current
 * virtual time, after everything already scheduled for that time. When the run loop reaches
 * that event it (1) lets pending microtasks run, (2) awaits `work` in real time if it has
 * not completed yet (bounded by settleTimeoutMs), (3) resolves or rejects the promise
 * settle() returned, and (4) lets microtasks run again, so the awaiting code resumes as this
 * event, before any later event fires. Because the event sits at the virtual time settle()
 * was called, the loop can never advance virtual time past unfinished work, and because
 * events fire in sequence order, continuations resume in the order settle() was called,
 * whatever order the work itself completed in.
 */
export class Simulator implements Scheduler {
  readonly seed: number | string
  readonly rng: SimRng
  /** A clock that belongs to no node (the test's own timers). */
  readonly clock: SimClock
  /** Trace events, when the `trace: true` option is set. */
  readonly trace: TraceEvent[] = []
  private readonly traceSink: ((event: TraceEvent) => void) | null
  private readonly queue = new EventQueue()
  private readonly everyEvent: boolean
  private readonly settleTimeoutMs: number
  private readonly defaultMaxEvents: number
  private nextSeq = 0
  private nowMs = 0
  private processed = 0
  // While the loop fires an event synchronously: how far runInline() may go (see there).
  private inlineStop = -Infinity
  private inlineBudget = 0
  private inlineUsed = 0

  constructor (options: SimulatorOptions = {}) {
    this.seed = options.seed ?? 1
    this.rng = new SimRng(this.seed)
    const trace = options.trace ?? false
    this.traceSink = trace === true ? (e) => { this.trace.push(e) } : trace === false ? null : trace
    this.everyEvent = (options.microtasks ?? 'every-event') === 'every-event'
    this.settleTimeoutMs = options.settleTimeoutMs ?? 30_000
    this.defaultMaxEvents = options.maxEvents ?? 10_000_000
    this.clock = new SimClock(this)
  }

  /** Current virtual time in ms. */
  get now (): number {
    return this.nowMs
  }

  /** Events fired so far (cancelled ones excluded). */
  get eventsProcessed (): number {
    return this.processed
  }

  /** Events waiting in the queue, including cancelled ones not yet discarded. */
  get pendingEvents (): number {
    return this.queue.size
  }

  get tracing (): boolean {
    return this.traceSink !== null
  }

  /** A fresh clock for one node; halting it silences only that node. */
  createClock (): SimClock {
    return new SimClock(this)
  }

  /** Schedules fn(a, b) at virtual time `time` (not before now). */
  schedule<A, B>(time: number, fn: (a: A, b: B, event: SimEvent) => void, a: A, b: B): SimEvent {
    const event = new SimEvent(time > this.nowMs ? time : this.nowMs, this.nextSeq++, fn as (a: unknown, b: unknown, event: SimEvent) => void, a, b, null)
    this.queue.push(event)
    return event
  }

  /**
   * @internal Queues an event that has already fired (never a cancelled one) again, at
   * `time`: owners of recurring events (a link's queue head, an interval) reuse the object.
   */
  requeue (event: SimEvent, time: number): SimEvent {
    event.time = time > this.nowMs ? time : this.nowMs
    event.seq = this.nextSeq++
    this.queue.push(event)
    return event
  }

  /**
   * @internal Lets the event being fired run its own follow-up event at `time` right away,
   * instead of queueing it, when that is exactly what the run loop would do next: 'settle'
   * microtasks, no predicate to check between events, `time` within the run and strictly
   * before every queued event (an equal time would go after those already queued), and
   * event budget left. On true the follow-up counts as fired: virtual time is `time` and it
   * used the sequence number it would have been queued with, so runs stay identical.
   */
  runInline (time: number): boolean {
    // Like schedule(), a time in the past means now, behind what is already queued for now.
    const at = time > this.nowMs ? time : this.nowMs
    if (at > this.inlineStop || this.inlineUsed >= this.inlineBudget || !(at < this.queue.peekTime())) return false
    this.nextSeq++
    this.processed++
    this.inlineUsed++
    this.nowMs = at
    return true
  }

  cancel (event: SimEvent): void {
    event.cancelled = true
  }

  scheduleSettle<T>(work: Promise<T>, onScheduled: (event: SimEvent) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: SettleEntry = {
        done: false, ok: false, value: undefined, error: undefined, work,
        resolve: resolve as (value: unknown) => void, reject
      }
      work.then((value) => { entry.done = true; entry.ok = true; entry.value = value },
        (error: unknown) => { entry.done = true; entry.error = error })
      const event = new SimEvent(this.nowMs, this.nextSeq++, fireSettleMarker, null, null, entry)
      this.queue.push(event)
      onScheduled(event)
    })
  }

  /** Appends to the trace when tracing is on. Callers check `tracing` first on hot paths. */
  record (kind: string, node: string, details?: Record<string, string | number | boolean | null>): void {
    if (this.traceSink === null) return
    this.traceSink(details === undefined ? { time: this.nowMs, kind, node } : { time: this.nowMs, kind, node, details })
  }

  /** Fires the next event. Resolves false when there was none. */
  async step (): Promise<boolean> {
    for (;;) {
      const event = this.queue.pop()
      if (event === undefined) return false
      if (event.cancelled) continue
      await this.fire(event)
      return true
    }
  }

  /** Runs until no event is left. */
  run (options: RunOptions = {}): Promise<RunResult> {
    return this.loop(Infinity, null, options.maxEvents ?? this.defaultMaxEvents)
  }

  /**
   * Runs until `until` holds (checked before the first event and after each one) or, given
   * a number, until that virtual time; resolves with why it stopped ('idle' if the queue ran
   * dry first).
   */
  runUntil (until: (() => boolean) | number, options: RunOptions = {}): Promise<RunResult> {
    const maxEvents = options.maxEvents ?? this.defaultMaxEvents
    return typeof until === 'number' ? this.loop(until, null, maxEvents) : this.loop(Infinity, until, maxEvents)
  }

  /** Runs every event up to now + ms, then sets the clock to now + ms. */
  advance (ms: number, options: RunOptions = {}): Promise<RunResult> {
    return this.loop(this.nowMs + Math.max(0, ms), null, options.maxEvents ?? this.defaultMaxEvents)
  }

  private async loop (stopAt: number, until: (() => boolean) | null, maxEvents: number): Promise<RunResult> {
    let events = 0
    const queue = this.queue
    const inline = until === null && !this.everyEvent
    // What the caller did since the last run may have queued microtasks: they run now, at
    // the current time, as a real event loop runs them before its next task.
    if (this.everyEvent) await drainMicrotasks()
    for (;;) {
      if (until !== null && until()) return { reason: 'met', events, time: this.nowMs }
      const event = queue.peek()
      if (event === undefined) {
        // Continuations still pending in microtasks may schedule more work.
        await drainMicrotasks()
        if (queue.size > 0) continue
        if (until !== null && until()) return { reason: 'met', events, time: this.nowMs }
        if (stopAt !== Infinity) this.nowMs = Math.max(this.nowMs, stopAt)
        return { reason: stopAt !== Infinity ? 'time' : 'idle', events, time: this.nowMs }
      }
      if (event.time > stopAt) {
        this.nowMs = Math.max(this.nowMs, stopAt)
        return { reason: 'time', events, time: this.nowMs }
      }
      queue.pop()
      if (event.cancelled) continue
      if (events >= maxEvents) {
        queue.push(event)
        throw new MaxEventsExceededError(maxEvents, this.nowMs)
      }
      events++
      if (event.settle === null && !this.everyEvent) {
        this.nowMs = event.time
        this.processed++
        if (!inline) {
          event.fn(event.a, event.b, event)
          continue
        }
        this.inlineStop = stopAt
        this.inlineBudget = maxEvents - events
        try {
          event.fn(event.a, event.b, event)
        } finally {
          events += this.inlineUsed
          this.inlineUsed = 0
          this.inlineStop = -Infinity
        }
      } else {
        await this.fire(event)
      }
    }
  }

  private async fire (event: SimEvent): Promise<void> {
    this.nowMs = event.time
    this.processed++
    const entry = event.settle
    if (entry === null) {
      event.fn(event.a, event.b, event)
      if (this.everyEvent) await drainMicrotasks()
      return
    }
    await drainMicrotasks()
    if (!entry.done) await this.awaitWork(entry)
    if (this.traceSink !== null) this.record('settle', '', { ok: entry.ok })
    if (entry.ok) entry.resolve(entry.value)
    else entry.reject(entry.error)
    await drainMicrotasks()
  }

  private async awaitWork (entry: SettleEntry): Promise<void> {
    let timer: ReturnType<typeof globalThis.setTimeout> | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = globalThis.setTimeout(() => { reject(new SettleTimeoutError(this.settleTimeoutMs)) }, this.settleTimeoutMs)
    })
    try {
      await Promise.race([entry.work.then(() => {}, () => {}), timeout])
    } finally {
      globalThis.clearTimeout(timer)
    }
    // entry.done is set by a reaction registered before ours, so it has run by now.
  }
}
