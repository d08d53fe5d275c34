/**
 * Puts the signals of one link attempt back in order: copies arrive over several relay paths
 * and the server, so an ICE candidate can overtake its offer. Signals carry their index in
 * the session; each (sender, session) releases them 0, 1, 2, ... and drops copies it already
 * released. A gap that does not fill within `gapMs` is skipped (its signal was lost on every
 * path; WebRTC copes with a missing candidate).
 */
import type { Clock, Timer } from '@ymesh/protocol'

interface Stream<T> {
  next: number
  readonly held: Map<number, T>
  timer: Timer | null
}

export class SignalOrderBuffer<T> {
  private readonly streams = new Map<string, Stream<T>>()

  constructor (
    private readonly clock: Clock,
    private readonly release: (item: T) => void,
    private readonly gapMs = 2_000,
    private readonly maxStreams = 1024,
    private readonly maxHeld = 128
  ) {}

  /** Returns false for a copy already released or held (a duplicate). */
  push (key: string, index: number, item: T): boolean {
    let s = this.streams.get(key)
    if (s === undefined) {
      if (this.streams.size >= this.maxStreams) this.forget(this.streams.keys().next().value as string)
      s = { next: 0, held: new Map(), timer: null }
      this.streams.set(key, s)
    }
    if (index < s.next || s.held.has(index)) return false
    if (s.held.size >= this.maxHeld) return false
    s.held.set(index, item)
    this.drain(s)
    if (s.held.size > 0 && s.timer === null) {
      const stream = s
      s.timer = this.clock.setTimeout(() => { stream.timer = null; this.skipGap(stream) }, this.gapMs)
    }
    return true
  }

  clear (): void {
    for (const key of [...this.streams.keys()]) this.forget(key)
  }

  private drain (s: Stream<T>): void {
    for (let item = s.held.get(s.next); item !== undefined; item = s.held.get(s.next)) {
      s.held.delete(s.next)
      s.next++
      this.release(item)
    }
    if (s.held.size === 0 && s.timer !== null) { this.clock.clearTimeout(s.timer); s.timer = null }
  }

  private skipGap (s: Stream<T>): void {
    if (s.held.size === 0) return
    s.next = Math.min(...s.held.keys())
    this.drain(s)
    if (s.held.size > 0) s.timer = this.clock.setTimeout(() => { s.timer = null; this.skipGap(s) }, this.gapMs)
  }

  private forget (key: string): void {
    const s = this.streams.get(key)
    if (s?.timer != null) this.clock.clearTimeout(s.timer)
    this.streams.delete(key)
  }
}
