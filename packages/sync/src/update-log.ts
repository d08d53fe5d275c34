/**
 * The signed-update log of one document, indexed by (clientID, sequence range) from the
 * plaintext headers only, so it works the same on a replica that reads the payloads and on a
 * blind anchor that cannot. Per clientID the entries tile [0, next) without overlap; an
 * author's compaction (one re-signed update covering several of its entries) replaces the
 * entries it covers.
 */
import type { SignedUpdate } from './signed-update.js'
import type { Vector } from './messages.js'

export interface UnsignedEntry {
  /** A plain Yjs update from an unauthenticated (stock y-webrtc) peer. */
  readonly update: Uint8Array
  /** clientID → [start, end) clocks it inserts. */
  readonly ranges: ReadonlyMap<number, readonly [number, number]>
}

/** What adding a signed update to the log would do. */
export type LogPlacement =
  | { readonly kind: 'append' | 'replace', readonly replaced: readonly SignedUpdate[] }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'gap', readonly next: number }
  | { readonly kind: 'misaligned' }

interface Slot { readonly update: SignedUpdate, readonly order: number }

/** Index of the first slot whose seqEnd is above `seq` (slots are sorted and tile); one exists. */
const firstEndingAfter = (slots: readonly Slot[], seq: number): number => {
  let lo = 0
  let hi = slots.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (slots[mid]!.update.seqEnd > seq) hi = mid
    else lo = mid + 1
  }
  return lo
}

export class UpdateLog {
  private readonly clients = new Map<number, Slot[]>()
  private readonly unsignedEntries: Array<{ entry: UnsignedEntry, order: number }> = []
  private nextOrder = 0

  /** Next sequence number expected from `clientId` (0 when none is held). */
  next (clientId: number): number {
    const slots = this.clients.get(clientId)
    return slots === undefined || slots.length === 0 ? 0 : slots[slots.length - 1]!.update.seqEnd
  }

  /** clientID → next sequence number, for every signed clientID held. */
  vector (): Map<number, number> {
    const vector = new Map<number, number>()
    for (const clientId of this.clients.keys()) vector.set(clientId, this.next(clientId))
    return vector
  }

  /** Where `update` would go; pure. */
  place (update: SignedUpdate): LogPlacement {
    const slots = this.clients.get(update.clientId) ?? []
    const next = this.next(update.clientId)
    if (update.seqStart > next) return { kind: 'gap', next }
    if (update.seqStart === next) return { kind: 'append', replaced: [] }
    const first = firstEndingAfter(slots, update.seqStart)
    const head = slots[first]!.update
    if (head.seqStart !== update.seqStart) {
      // Inside one entry: nothing new. Straddling a boundary: no honest author signs that.
      return head.seqEnd >= update.seqEnd ? { kind: 'duplicate' } : { kind: 'misaligned' }
    }
    let last = first
    while (last < slots.length && slots[last]!.update.seqEnd < update.seqEnd) last++
    if (last === slots.length) return { kind: 'replace', replaced: slots.slice(first).map((s) => s.update) }
    const tail = slots[last]!.update
    if (tail.seqEnd !== update.seqEnd) return last === first ? { kind: 'duplicate' } : { kind: 'misaligned' }
    if (last === first) return { kind: 'duplicate' }
    return { kind: 'replace', replaced: slots.slice(first, last + 1).map((s) => s.update) }
  }

  /** Adds a verified update; returns what it replaced (null when it was a duplicate, gap or misaligned). */
  add (update: SignedUpdate): readonly SignedUpdate[] | null {
    const placement = this.place(update)
    if (placement.kind !== 'append' && placement.kind !== 'replace') return null
    let slots = this.clients.get(update.clientId)
    if (slots === undefined) {
      slots = []
      this.clients.set(update.clientId, slots)
    }
    if (placement.replaced.length === 0) {
      slots.push({ update, order: this.nextOrder++ })
      return placement.replaced
    }
    const from = firstEndingAfter(slots, update.seqStart)
    // Keep the position of the last replaced entry: everything it depended on precedes it.
    const order = Math.max(...slots.slice(from, from + placement.replaced.length).map((s) => s.order))
    slots.splice(from, placement.replaced.length, { update, order })
    return placement.replaced
  }

  addUnsigned (entry: UnsignedEntry): void {
    this.unsignedEntries.push({ entry, order: this.nextOrder++ })
  }

  /** Every signed update held, in the order they were added (causal order). */
  updates (): SignedUpdate[] {
    const all: Slot[] = []
    for (const slots of this.clients.values()) all.push(...slots)
    return all.sort((a, b) => a.order - b.order).map((s) => s.update)
  }

  unsigned (): UnsignedEntry[] {
    return this.unsignedEntries.map((u) => u.entry)
  }

  /** The signed updates `logVector` lacks and the unsigned ones `stateVector` lacks, in causal order. */
  missing (logVector: Vector, stateVector: Vector): { updates: Uint8Array[], unsigned: Uint8Array[] } {
    const picked: Slot[] = []
    for (const [clientId, slots] of this.clients) {
      const have = logVector.get(clientId) ?? 0
      for (const slot of slots) if (slot.update.seqEnd > have) picked.push(slot)
    }
    const unsigned = this.unsignedEntries.filter(({ entry }) => {
      if (entry.ranges.size === 0) return true
      for (const [client, [, end]] of entry.ranges) if (end > (stateVector.get(client) ?? 0)) return true
      return false
    })
    return {
      updates: picked.sort((a, b) => a.order - b.order).map((s) => s.update.bytes),
      unsigned: unsigned.map((u) => u.entry.update)
    }
  }

  /** Number of signed entries held. */
  get size (): number {
    let n = 0
    for (const slots of this.clients.values()) n += slots.length
    return n
  }
}
