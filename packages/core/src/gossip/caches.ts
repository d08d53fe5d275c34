/**
 * The two bounded memories of gossip: ids already seen (duplicate suppression) and recent
 * messages kept to answer pulls. Both are insertion-ordered Maps, so the oldest entry is
 * always first and expiry and eviction are O(1) per entry.
 */
import type { Envelope } from '@ymesh/protocol'
import type { Connection } from '../connections/connection.js'

/** Ids seen in the last `ttlMs`, at most `max` of them (the oldest are forgotten first). */
export class SeenCache {
  private readonly seenAt = new Map<string, number>()

  constructor (private readonly max: number, private readonly ttlMs: number) {}

  get size (): number {
    return this.seenAt.size
  }

  has (key: string): boolean {
    return this.seenAt.has(key)
  }

  add (key: string, now: number): void {
    if (this.seenAt.has(key)) return
    this.seenAt.set(key, now)
    if (this.seenAt.size > this.max) {
      const oldest = this.seenAt.keys().next().value as string
      this.seenAt.delete(oldest)
    }
  }

  expire (now: number): void {
    for (const [key, at] of this.seenAt) {
      if (now - at < this.ttlMs) break
      this.seenAt.delete(key)
    }
  }

  clear (): void {
    this.seenAt.clear()
  }
}

export interface CachedMessage {
  readonly key: string
  readonly topic: string
  /** As received (or published): forwarding sends nextHop() of it. */
  readonly envelope: Envelope
  readonly size: number
  /** The frame payload to push or serve (our hop count applied); null when its TTL is spent. */
  outbound: Uint8Array | null
  readonly firstSeen: number
  /** Forgotten at this time (the topic's cache TTL after firstSeen). */
  readonly expiresAt: number
  /** Connections that have this message, or have been told we have it. */
  readonly knownBy: Set<Connection>
  /** How many times it was announced on each connection (when deliveries are not trusted). */
  readonly announced: Map<Connection, number>
}

/** Recent messages for answering IWANT, bounded by count, bytes and age. */
export class MessageCache {
  private readonly entries = new Map<string, CachedMessage>()
  private bytes = 0

  constructor (private readonly maxCount: number, private readonly maxBytes: number, private readonly ttlMs: number) {}

  get size (): number {
    return this.entries.size
  }

  get (key: string): CachedMessage | undefined {
    return this.entries.get(key)
  }

  put (key: string, topic: string, envelope: Envelope, size: number, now: number, ttlMs = this.ttlMs): CachedMessage {
    this.remove(key)
    const entry: CachedMessage = {
      key, topic, envelope, size, outbound: null, firstSeen: now, expiresAt: now + Math.min(ttlMs, this.ttlMs), knownBy: new Set(), announced: new Map()
    }
    this.entries.set(key, entry)
    this.bytes += size
    while (this.entries.size > this.maxCount || this.bytes > this.maxBytes) {
      const oldest = this.entries.values().next().value as CachedMessage
      this.remove(oldest.key)
    }
    return entry
  }

  remove (key: string): void {
    const entry = this.entries.get(key)
    if (entry === undefined) return
    this.entries.delete(key)
    this.bytes -= entry.size
  }

  /** Topics may have shorter TTLs than the default, so this scans every entry (bounded by maxCount). */
  expire (now: number): void {
    for (const entry of this.entries.values()) if (entry.expiresAt <= now) this.remove(entry.key)
  }

  /** Entries of `topic`, oldest first. */
  * ofTopic (topic: string): Iterable<CachedMessage> {
    for (const entry of this.entries.values()) if (entry.topic === topic) yield entry
  }

  /** Forget a closed connection everywhere. */
  forget (connection: Connection): void {
    for (const entry of this.entries.values()) {
      entry.knownBy.delete(connection)
      entry.announced.delete(connection)
    }
  }

  clear (): void {
    this.entries.clear()
    this.bytes = 0
  }
}
