/**
 * Updates that arrived before their dependencies, held per sender and capped in count,
 * bytes and age, so a peer flooding updates that never become applicable costs a bounded
 * amount of memory and CPU (Yjs's own pendingStructs has no bound; FACTS.md).
 */

export interface PendingLimits {
  readonly maxCount: number
  readonly maxBytes: number
  readonly maxAgeMs: number
}

export interface PendingItem<T> {
  readonly value: T
  readonly bytes: number
  readonly from: string
  readonly since: number
}

export class PendingQueue<T> {
  private readonly bySender = new Map<string, Array<PendingItem<T>>>()
  private readonly bytesBySender = new Map<string, number>()

  constructor (private readonly limits: PendingLimits) {}

  /** True when `from` may hold one more update of `bytes`. */
  fits (from: string, bytes: number): boolean {
    const held = this.bySender.get(from)?.length ?? 0
    return held < this.limits.maxCount && (this.bytesBySender.get(from) ?? 0) + bytes <= this.limits.maxBytes
  }

  /** Holds `value`; false (nothing held) when it would exceed the sender's caps. */
  add (from: string, value: T, bytes: number, now: number): boolean {
    if (!this.fits(from, bytes)) return false
    let list = this.bySender.get(from)
    if (list === undefined) {
      list = []
      this.bySender.set(from, list)
    }
    list.push({ value, bytes, from, since: now })
    this.bytesBySender.set(from, (this.bytesBySender.get(from) ?? 0) + bytes)
    return true
  }

  /** Removes and returns the first held item (oldest first, all senders) that `ready` accepts. */
  takeReady (ready: (value: T) => boolean): PendingItem<T> | null {
    for (const [from, list] of this.bySender) {
      const i = list.findIndex((item) => ready(item.value))
      if (i !== -1) return this.removeAt(from, list, i)
    }
    return null
  }

  /** Removes and returns every item held longer than maxAgeMs. */
  expire (now: number): Array<PendingItem<T>> {
    const expired: Array<PendingItem<T>> = []
    for (const [from, list] of [...this.bySender]) {
      for (let i = list.length - 1; i >= 0; i--) {
        if (now - list[i]!.since >= this.limits.maxAgeMs) expired.unshift(this.removeAt(from, list, i))
      }
    }
    return expired
  }

  /** Removes every item that `drop` selects. */
  removeWhere (drop: (value: T) => boolean): Array<PendingItem<T>> {
    const removed: Array<PendingItem<T>> = []
    for (const [from, list] of [...this.bySender]) {
      for (let i = list.length - 1; i >= 0; i--) if (drop(list[i]!.value)) removed.push(this.removeAt(from, list, i))
    }
    return removed
  }

  get size (): number {
    let n = 0
    for (const list of this.bySender.values()) n += list.length
    return n
  }

  bytesOf (from: string): number {
    return this.bytesBySender.get(from) ?? 0
  }

  clear (): void {
    this.bySender.clear()
    this.bytesBySender.clear()
  }

  private removeAt (from: string, list: Array<PendingItem<T>>, i: number): PendingItem<T> {
    const [item] = list.splice(i, 1) as [PendingItem<T>]
    const bytes = (this.bytesBySender.get(from) ?? 0) - item.bytes
    if (list.length === 0) {
      this.bySender.delete(from)
      this.bytesBySender.delete(from)
    } else {
      this.bytesBySender.set(from, bytes)
    }
    return item
  }
}
