/**
 * A peer's bookkeeping per room, apart from its connections: the rooms it joined (topic, name,
 * join options), the candidates of each room with their backoff, which rooms each remote is a
 * member of, and the newcomers it answered recently (the pool's welcome rule).
 */
import type { PeerId } from '@ymesh/protocol'
import type { JoinOptions } from '../signaling/types.js'
import type { Candidate } from './pool.js'

export interface BookRoom {
  readonly name: string
  readonly topic: string
  readonly join: JoinOptions
  readonly candidates: Map<PeerId, Candidate>
}

export class RoomBook {
  private readonly rooms = new Map<string, BookRoom>() // by topic
  private readonly membership = new Map<PeerId, Set<string>>()
  private readonly welcomed = new Map<PeerId, number>()

  constructor (private readonly welcomeMs: number) {}

  get (topic: string): BookRoom | undefined {
    return this.rooms.get(topic)
  }

  /** Adds a room; false when `topic` was joined already. */
  add (name: string, topic: string, join: JoinOptions): boolean {
    if (this.rooms.has(topic)) return false
    this.rooms.set(topic, { name, topic, join, candidates: new Map() })
    return true
  }

  remove (topic: string): void {
    this.rooms.delete(topic)
    for (const members of this.membership.values()) members.delete(topic)
  }

  all (): IterableIterator<BookRoom> {
    return this.rooms.values()
  }

  topics (): string[] {
    return [...this.rooms.keys()]
  }

  /** The topic of a room given by name or topic. */
  topicOf (room: string): string | undefined {
    for (const r of this.rooms.values()) if (r.name === room || r.topic === room) return r.topic
    return undefined
  }

  member (remote: PeerId, topic: string): void {
    let set = this.membership.get(remote)
    if (set === undefined) this.membership.set(remote, set = new Set())
    set.add(topic)
  }

  isMember (remote: PeerId, topic: string): boolean {
    return this.membership.get(remote)?.has(topic) === true
  }

  /**
   * Records `remote` as a candidate of `room`; returns true when it is new there. A fresh
   * sighting (an announce) gives a candidate forgotten after failures another chance.
   */
  candidate (room: BookRoom, remote: PeerId, ymesh: boolean, fresh: boolean, maxFailures: number): boolean {
    const existing = room.candidates.get(remote)
    if (existing === undefined || existing.ymesh !== ymesh) {
      room.candidates.set(remote, { peer: remote, ymesh, failures: 0, notBefore: 0 })
      return existing === undefined
    }
    if (fresh && existing.failures >= maxFailures) {
      existing.failures = 0
      existing.notBefore = 0
    }
    return false
  }

  /** `remote` is not dialed in any room before `until`. */
  holdOff (remote: PeerId, until: number): void {
    for (const room of this.rooms.values()) {
      const c = room.candidates.get(remote)
      if (c !== undefined) c.notBefore = until
    }
  }

  /** One more failure with `remote` in every room; `delay(failures)` says how long to back off. */
  failed (remote: PeerId, now: number, delay: (failures: number) => number): void {
    for (const room of this.rooms.values()) {
      const c = room.candidates.get(remote)
      if (c === undefined) continue
      c.failures++
      c.notBefore = now + delay(c.failures)
    }
  }

  /** A connection with `remote` opened in `topic`: its record starts clean. */
  succeeded (topic: string, remote: PeerId): void {
    const c = this.rooms.get(topic)?.candidates.get(remote)
    if (c !== undefined) { c.failures = 0; c.notBefore = 0 }
  }

  welcome (remote: PeerId, now: number): void {
    this.welcomed.delete(remote)
    this.welcomed.set(remote, now)
    if (this.welcomed.size > 256) this.welcomed.delete(this.welcomed.keys().next().value as PeerId)
  }

  isWelcomed (remote: PeerId, now: number): boolean {
    const at = this.welcomed.get(remote)
    return at !== undefined && now - at < this.welcomeMs
  }

  clearWelcomes (): void {
    this.welcomed.clear()
  }
}
