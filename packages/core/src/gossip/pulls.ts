/**
 * Lazy repair's memory: ids announced to us that we do not have, who announced them, and
 * when to pull each (IWANT) from which announcer. One timer for all of them, set for the
 * earliest deadline; a retry goes to the next announcer and waits longer.
 */
import type { Clock, Timer } from '@ymesh/protocol'
import type { Connection } from '../connections/connection.js'

interface Missing {
  readonly key: string
  readonly id: Uint8Array
  readonly topic: string
  readonly announcers: Connection[]
  deadline: number
  attempts: number
}

/** Ids to request, grouped by the neighbour to ask and the topic. */
export type PullRequests = Map<Connection, Map<string, Uint8Array[]>>

export interface PullTrackerOptions {
  readonly clock: Clock
  readonly max: number
  readonly maxAttempts: number
  /** A retry waits retryMs × (1 + attempts so far). */
  readonly retryMs: number
  readonly onDue: (requests: PullRequests) => void
  readonly onGiveUp: () => void
}

export class PullTracker {
  private readonly missing = new Map<string, Missing>()
  private timer: Timer | null = null
  private timerAt = 0

  constructor (private readonly options: PullTrackerOptions) {}

  get size (): number {
    return this.missing.size
  }

  /** Record that `connection` announced `id`; the first announcement sets when to pull. False when full. */
  note (key: string, id: Uint8Array, topic: string, connection: Connection, waitMs: number): boolean {
    const known = this.missing.get(key)
    if (known !== undefined) {
      if (!known.announcers.includes(connection)) known.announcers.push(connection)
      return true
    }
    if (this.missing.size >= this.options.max) return false
    const deadline = this.options.clock.now() + waitMs
    this.missing.set(key, { key, id: id.slice(), topic, announcers: [connection], deadline, attempts: 0 })
    this.schedule(deadline)
    return true
  }

  /** The message arrived. */
  resolve (key: string): void {
    this.missing.delete(key)
  }

  forgetTopic (topic: string): void {
    for (const [key, missing] of this.missing) if (missing.topic === topic) this.missing.delete(key)
  }

  forgetConnection (connection: Connection): void {
    for (const missing of this.missing.values()) {
      const at = missing.announcers.indexOf(connection)
      if (at >= 0) missing.announcers.splice(at, 1)
    }
  }

  clear (): void {
    this.missing.clear()
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer)
    this.timer = null
  }

  private schedule (at: number): void {
    if (this.timer !== null) {
      if (this.timerAt <= at) return
      this.options.clock.clearTimeout(this.timer)
    }
    this.timerAt = at
    this.timer = this.options.clock.setTimeout(() => { this.fire() }, Math.max(0, at - this.options.clock.now()))
  }

  private fire (): void {
    this.timer = null
    const now = this.options.clock.now()
    const requests: PullRequests = new Map()
    let next = Infinity
    for (const missing of this.missing.values()) {
      if (missing.deadline > now) { next = Math.min(next, missing.deadline); continue }
      const announcers = missing.announcers.filter((c) => c.state === 'open')
      if (announcers.length === 0 || missing.attempts >= this.options.maxAttempts) {
        this.missing.delete(missing.key)
        if (announcers.length > 0) this.options.onGiveUp()
        continue
      }
      const connection = announcers[missing.attempts % announcers.length] as Connection
      missing.attempts++
      // The first wait covered the eager path; a retry covers the pull's round trip, longer each time.
      missing.deadline = now + this.options.retryMs * (1 + missing.attempts)
      next = Math.min(next, missing.deadline)
      let byTopic = requests.get(connection)
      if (byTopic === undefined) requests.set(connection, byTopic = new Map())
      let ids = byTopic.get(missing.topic)
      if (ids === undefined) byTopic.set(missing.topic, ids = [])
      ids.push(missing.id)
    }
    if (next !== Infinity) this.schedule(next)
    if (requests.size > 0) this.options.onDue(requests)
  }
}
