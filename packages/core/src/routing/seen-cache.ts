/**
 * A bounded set of recently seen keys that forgets them after `ttlMs`: duplicate and loop
 * suppression. Insertion-ordered Map, so the oldest entry is evicted first when full.
 */
export class SeenCache {
  private readonly entries = new Map<string, number>()

  constructor (private readonly ttlMs: number, private readonly maxEntries: number) {}

  get size (): number {
    return this.entries.size
  }

  /** True if `key` was seen within ttlMs; otherwise records it (at `now`) and returns false. */
  checkAndAdd (key: string, now: number): boolean {
    const seenAt = this.entries.get(key)
    if (seenAt !== undefined && now - seenAt < this.ttlMs) return true
    if (seenAt !== undefined) this.entries.delete(key)
    this.entries.set(key, now)
    this.evict(now)
    return false
  }

  has (key: string, now: number): boolean {
    const seenAt = this.entries.get(key)
    return seenAt !== undefined && now - seenAt < this.ttlMs
  }

  clear (): void {
    this.entries.clear()
  }

  private evict (now: number): void {
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string
      this.entries.delete(oldest)
    }
    // Expired entries sit at the front (insertion order = time order): drop a few per call.
    for (const [key, seenAt] of this.entries) {
      if (now - seenAt < this.ttlMs) break
      this.entries.delete(key)
    }
  }
}
