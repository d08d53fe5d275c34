/**
 * A scheduled simulator event. The callback is a plain function of two arguments rather than
 * a closure, so the hot path allocates nothing but this. `time` and `seq` are set when the
 * event is queued; an owner that fires the same kind of event again and again (a link's
 * delivery of its queue head) may queue the same object again once it has fired.
 */
export class SimEvent {
  cancelled = false
  /** A number the owner keeps with the event (a datagram's fingerprint). */
  check = 0
  constructor (
    public time: number,
    public seq: number,
    readonly fn: (a: unknown, b: unknown, event: SimEvent) => void,
    readonly a: unknown,
    readonly b: unknown,
    /** Set on the events settle() schedules: the run loop awaits their work before firing them. */
    readonly settle: SettleEntry | null
  ) {}
}

export interface SettleEntry {
  done: boolean
  ok: boolean
  value: unknown
  error: unknown
  readonly work: Promise<unknown>
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
}

/**
 * Min-heap of events ordered by (time, seq): equal times fire in scheduling order.
 *
 * Four-ary, with the keys in typed arrays beside the events: a simulation keeps one event
 * per busy link (thousands), and comparing keys that sit next to each other in memory,
 * rather than in event objects scattered over the heap, is what makes push and pop cheap.
 */
export class EventQueue {
  private times = new Float64Array(1024)
  private seqs = new Float64Array(1024)
  private events: (SimEvent | undefined)[] = []
  private n = 0

  get size (): number {
    return this.n
  }

  peek (): SimEvent | undefined {
    return this.n === 0 ? undefined : this.events[0]
  }

  /** Time of the earliest event; Infinity when empty. */
  peekTime (): number {
    return this.n === 0 ? Infinity : this.times[0] as number
  }

  push (event: SimEvent): void {
    if (this.n === this.times.length) this.grow()
    const times = this.times
    const seqs = this.seqs
    const events = this.events
    const time = event.time
    const seq = event.seq
    let i = this.n++
    while (i > 0) {
      const parent = (i - 1) >> 2
      const pt = times[parent] as number
      if (pt < time || (pt === time && (seqs[parent] as number) < seq)) break
      times[i] = pt
      seqs[i] = seqs[parent] as number
      events[i] = events[parent]
      i = parent
    }
    times[i] = time
    seqs[i] = seq
    events[i] = event
  }

  pop (): SimEvent | undefined {
    const n = this.n
    if (n === 0) return undefined
    const events = this.events
    const top = events[0]
    const last = n - 1
    this.n = last
    if (last === 0) { events[0] = undefined; return top }
    const times = this.times
    const seqs = this.seqs
    // Sift the last element down from the root.
    const time = times[last] as number
    const seq = seqs[last] as number
    const event = events[last]
    events[last] = undefined
    let i = 0
    for (;;) {
      const first = 4 * i + 1
      if (first >= last) break
      let c = first
      let ct = times[first] as number
      let cs = seqs[first] as number
      const end = first + 4 < last ? first + 4 : last
      for (let k = first + 1; k < end; k++) {
        const kt = times[k] as number
        if (kt < ct || (kt === ct && (seqs[k] as number) < cs)) { c = k; ct = kt; cs = seqs[k] as number }
      }
      if (time < ct || (time === ct && seq < cs)) break
      times[i] = ct
      seqs[i] = cs
      events[i] = events[c]
      i = c
    }
    times[i] = time
    seqs[i] = seq
    events[i] = event
    return top
  }

  clear (): void {
    this.events.fill(undefined, 0, this.n)
    this.n = 0
  }

  private grow (): void {
    const times = new Float64Array(this.times.length * 2)
    times.set(this.times)
    const seqs = new Float64Array(this.seqs.length * 2)
    seqs.set(this.seqs)
    this.times = times
    this.seqs = seqs
  }
}
