/**
 * A scheduled simulator event. The callback is a plain function of two arguments rather than
 * a closure, so the hot path (one event per delivered message) allocates nothing but this.
 */
export class SimEvent {
  cancelled = false
  constructor (
    readonly time: number,
    readonly seq: number,
    readonly fn: (a: unknown, b: unknown) => void,
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

/** Binary min-heap of events ordered by (time, seq): equal times fire in scheduling order. */
export class EventQueue {
  private readonly heap: SimEvent[] = []

  get size (): number {
    return this.heap.length
  }

  peek (): SimEvent | undefined {
    return this.heap[0]
  }

  push (event: SimEvent): void {
    const heap = this.heap
    let i = heap.length
    heap.push(event)
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = heap[parent] as SimEvent
      if (!before(event, p)) break
      heap[i] = p
      i = parent
    }
    heap[i] = event
  }

  pop (): SimEvent | undefined {
    const heap = this.heap
    const top = heap[0]
    const last = heap.pop()
    if (top === undefined || last === undefined || heap.length === 0) return top
    const n = heap.length
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      let c = l
      let child = heap[l] as SimEvent
      if (r < n) {
        const right = heap[r] as SimEvent
        if (before(right, child)) { c = r; child = right }
      }
      if (!before(child, last)) break
      heap[i] = child
      i = c
    }
    heap[i] = last
    return top
  }

  clear (): void {
    this.heap.length = 0
  }
}

function before (x: SimEvent, y: SimEvent): boolean {
  return x.time < y.time || (x.time === y.time && x.seq < y.seq)
}
