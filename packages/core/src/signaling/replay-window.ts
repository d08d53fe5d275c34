/**
 * Anti-replay for relayed signals, per author: the IPsec-style sliding window. A capsule is
 * fresh when its sequence number is above (highest seen − window) and not seen before; every
 * older or repeated number is a replay. Authors number capsules from a counter that starts
 * at their clock, so a restarted author moves ahead of what it sent before.
 */
import type { PeerId } from '@ymesh/protocol'

interface AuthorWindow { highest: number, readonly seen: Set<number> }

export class ReplayWindow {
  private readonly authors = new Map<PeerId, AuthorWindow>()

  constructor (readonly size = 1024, private readonly maxAuthors = 4096) {}

  /** True when (author, seq) is fresh: it is then recorded. False for a replay or a too-old number. */
  accept (author: PeerId, seq: number): boolean {
    let w = this.authors.get(author)
    if (w === undefined) {
      if (this.authors.size >= this.maxAuthors) this.authors.delete(this.authors.keys().next().value as PeerId)
      w = { highest: seq, seen: new Set() }
      this.authors.set(author, w)
    } else {
      // Least recently used authors are forgotten first.
      this.authors.delete(author)
      this.authors.set(author, w)
    }
    if (seq <= w.highest - this.size || w.seen.has(seq)) return false
    w.seen.add(seq)
    if (seq > w.highest) {
      w.highest = seq
      for (const s of w.seen) if (s <= seq - this.size) w.seen.delete(s)
    }
    return true
  }

  /** True when (author, seq) was accepted before and is still inside the window (a duplicate, not a stale replay). */
  isDuplicate (author: PeerId, seq: number): boolean {
    return this.authors.get(author)?.seen.has(seq) === true
  }
}
