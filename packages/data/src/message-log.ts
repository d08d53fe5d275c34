/**
 * A conversation's message log as bounded segment documents plus a small index document.
 *
 *   log/<conversation>/index   Y.Map 'segments' (segment number → true), Y.Array 'keys'
 *   log/<conversation>/seg/<k> Y.Array 'entries' (signed entries), Y.Array 'receipts'
 *
 *   (and Y.Array 'batches': the batch entries that sign bursts of entries, see signed-entry.ts)
 *
 * Total order: (segment number, position in the segment's Y.Array). It respects causality:
 * a writer appends to the newest segment it knows, so whatever it had seen is in that
 * segment or an older one; inside one segment, Yjs places an insert after every item its
 * author had integrated (YATA), and orders concurrent inserts identically on every replica.
 * Segments are full at `segmentSize` entries; concurrent writers may overfill one a little.
 * A writer that fills a segment compacts its stored form to one update (fast to load).
 */
import type * as Y from 'yjs'
import type { PeerId } from '@ymesh/protocol'
import type { DocSource } from './doc-store.js'
import type { ModelOptions } from './room-registry.js'
import { tryDecodeEntry, peekEntryId, EntryVerifier, signEntries, newEntryIdBytes, entryIdFromBytes, MAX_BATCH } from './signed-entry.js'
import type { BatchLookup, Entry, EntryDraft, EntryId } from './signed-entry.js'
import { bodyKind, decodeMessageBody, encodeMessageBody, MessageKind } from './message-body.js'
import type { MessageBody } from './message-body.js'
import { ClosedError, InvalidDataArgumentError } from './errors.js'
import { orderMessages } from './message-view.js'
import type { LogView, ViewOptions } from './message-view.js'

/** Seals and opens message bodies; absent for plaintext logs (advisory, e.g. public rooms). */
export interface MessageCipher {
  seal: (plaintext: Uint8Array) => Promise<Uint8Array>
  /** Rejects when this replica has no key for it. */
  open: (sealed: Uint8Array) => Promise<Uint8Array>
}

/** Who may write what, prepared once per view (e.g. from the room's resolved state). */
export type Authorizer = () => Promise<(entry: Entry, body: MessageBody) => boolean>

export interface MessageLogOptions extends ModelOptions {
  readonly conversationId: string
  readonly cipher?: MessageCipher
  readonly authorizer?: Authorizer
  /** Deps a new entry carries (a room log names the room heads its author had seen). */
  readonly depsForSend?: () => Promise<readonly EntryId[]>
  /** Entries per segment document (default 1,000). */
  readonly segmentSize?: number
  /** Segment documents kept open at most; older ones are released (default 4). */
  readonly maxLoadedSegments?: number
}

export interface SendOptions {
  readonly replyTo?: EntryId
  readonly attachments?: readonly string[]
}

interface Queued { readonly id: Uint8Array, readonly draft: EntryDraft, readonly body: MessageBody }

export const logDomain = (conversationId: string): string => `ymesh/data/log/v1/${conversationId}`
export const indexDocId = (conversationId: string): string => `log/${conversationId}/index`
export const segmentDocId = (conversationId: string, k: number): string => `log/${conversationId}/seg/${k}`

export class MessageLog {
  readonly conversationId: string
  readonly domain: string
  readonly segmentSize: number
  private readonly opts: MessageLogOptions
  private readonly source: DocSource
  readonly verifier: EntryVerifier
  private index: Y.Doc | null = null
  private readonly loaded = new Map<number, Y.Doc>()
  private readonly plaintext = new WeakMap<Uint8Array, Promise<MessageBody | null>>()
  /** Where each message id was seen: segment number (for replies across segments). */
  private readonly segmentOf = new Map<EntryId, number>()
  private queue: Queued[] = []
  private flushScheduled = false
  private closed = false

  constructor (opts: MessageLogOptions) {
    if (opts.segmentSize !== undefined && (!Number.isSafeInteger(opts.segmentSize) || opts.segmentSize < 1)) {
      throw new InvalidDataArgumentError(`segmentSize is a positive integer, got ${opts.segmentSize}.`)
    }
    this.opts = opts
    this.source = opts.source
    this.conversationId = opts.conversationId
    this.domain = logDomain(opts.conversationId)
    this.segmentSize = opts.segmentSize ?? 1000
    this.verifier = new EntryVerifier(this.domain)
  }

  /** Opens the index document (cheap); segments open on demand. */
  async open (): Promise<this> {
    this.index ??= await this.source.open(indexDocId(this.conversationId))
    return this
  }

  private requireIndex (): Y.Doc {
    if (this.closed) throw new ClosedError('This MessageLog was closed; open a new one.')
    if (this.index === null) throw new ClosedError('Call open() before using a MessageLog.')
    return this.index
  }

  get indexDoc (): Y.Doc {
    return this.requireIndex()
  }

  /** Segment numbers this replica knows of, ascending. */
  segments (): number[] {
    const map = this.requireIndex().getMap<boolean>('segments')
    return [...map.keys()].map(Number).filter((k) => Number.isSafeInteger(k) && k >= 0).sort((a, b) => a - b)
  }

  async segment (k: number): Promise<Y.Doc> {
    let doc = this.loaded.get(k)
    if (doc === undefined) {
      doc = await this.source.open(segmentDocId(this.conversationId, k))
      if (this.loaded.has(k)) return this.loaded.get(k) as Y.Doc
      this.loaded.set(k, doc)
      this.evict(k)
    } else {
      // Most recently used last.
      this.loaded.delete(k)
      this.loaded.set(k, doc)
    }
    return doc
  }

  private evict (keep: number): void {
    const max = this.opts.maxLoadedSegments ?? 4
    const release = this.source.release
    if (release === undefined) return
    for (const k of this.loaded.keys()) {
      if (this.loaded.size <= max) break
      if (k === keep || k === this.writeSegment) continue
      this.loaded.delete(k)
      release.call(this.source, segmentDocId(this.conversationId, k))
    }
  }

  private writeSegment = -1

  /** The segment new entries go to: the newest known, or the next one once it is full. */
  private async targetSegment (): Promise<Y.Array<Uint8Array>> {
    const index = this.requireIndex()
    const known = this.segments()
    let k = known.length === 0 ? 0 : (known[known.length - 1] as number)
    let doc = await this.segment(k)
    if (doc.getArray('entries').length >= this.segmentSize) {
      k++
      doc = await this.segment(k)
    }
    if (!index.getMap('segments').has(String(k))) index.getMap<boolean>('segments').set(String(k), true)
    this.writeSegment = k
    return doc.getArray<Uint8Array>('entries')
  }

  /** Seals `body`, signs it (with the other entries of its burst) and appends it; resolves to its id once it is in the document. */
  async append (body: MessageBody): Promise<EntryId> {
    this.requireIndex()
    const plain = encodeMessageBody(body)
    const sealed = this.opts.cipher !== undefined ? await this.opts.cipher.seal(plain) : plain
    const deps = this.opts.depsForSend !== undefined ? await this.opts.depsForSend() : []
    const id = newEntryIdBytes(this.opts.random)
    await this.enqueue({ id, draft: { kind: bodyKind(body), time: (this.opts.now ?? Date.now)(), deps, body: sealed }, body })
    return entryIdFromBytes(id)
  }

  // Group commit: entries queued in the same turn are signed together (one signature per
  // batch) and go into one transaction, so a burst of sends costs one signature, one Yjs
  // update and one store write instead of one each.
  private pendingFlush: Promise<void> | null = null
  private enqueue (item: Queued): Promise<void> {
    this.queue.push(item)
    if (!this.flushScheduled) {
      this.flushScheduled = true
      this.pendingFlush = new Promise<void>((resolve, reject) => {
        setTimeout(() => { this.flush().then(resolve, reject) }, 0)
      })
    }
    return this.pendingFlush as Promise<void>
  }

  private async flush (): Promise<void> {
    this.flushScheduled = false
    const queued = this.queue
    this.queue = []
    let i = 0
    while (i < queued.length) {
      const arr = await this.targetSegment()
      const room = Math.max(1, this.segmentSize - arr.length)
      const part = queued.slice(i, i + Math.min(room, MAX_BATCH))
      const { entries, batch } = await signEntries(this.opts.identity, this.domain, part, this.opts.random)
      entries.forEach((e, j) => {
        this.plaintext.set(e.bytes, Promise.resolve(part[j]!.body))
        this.verifier.seed(e.bytes)
        this.segmentOf.set(e.id, this.writeSegment)
      })
      const doc = arr.doc as Y.Doc
      doc.transact(() => {
        if (batch !== null) doc.getArray<Uint8Array>('batches').push([batch.bytes])
        arr.push(entries.map((e) => e.bytes))
      })
      i += part.length
      if (arr.length >= this.segmentSize) await this.source.compact?.(segmentDocId(this.conversationId, this.writeSegment))
    }
  }

  send (text: string, options: SendOptions = {}): Promise<EntryId> {
    const reply = options.replyTo
    const replyTo = reply === undefined ? null : { id: reply, segment: this.segmentOf.get(reply) ?? this.writeSegment }
    return this.append({ type: 'message', text, replyTo, attachments: [...(options.attachments ?? [])] })
  }

  edit (target: EntryId, text: string): Promise<EntryId> { return this.append({ type: 'edit', target, text }) }
  react (target: EntryId, emoji: string): Promise<EntryId> { return this.append({ type: 'reaction', target, emoji }) }
  delete (target: EntryId): Promise<EntryId> { return this.append({ type: 'delete', target }) }

  /** The decrypted body of a stored entry, or null if it cannot be opened or is malformed. */
  async bodyOf (entry: Entry): Promise<MessageBody | null> {
    let p = this.plaintext.get(entry.bytes)
    if (p === undefined) {
      const cipher = this.opts.cipher
      p = (cipher !== undefined ? cipher.open(entry.body) : Promise.resolve(entry.body))
        .then((plain) => decodeMessageBody(entry.kind, plain), () => null)
      this.plaintext.set(entry.bytes, p)
    }
    return await p
  }

  /** Entries of segment `k` in Yjs order, decoded (not yet verified). */
  async entriesOf (k: number): Promise<Entry[]> {
    const doc = await this.segment(k)
    const out: Entry[] = []
    for (const bytes of doc.getArray<Uint8Array>('entries').toArray()) {
      const e = this.decoded(bytes)
      if (e !== null) out.push(e)
    }
    return out
  }

  private readonly decodedCache = new WeakMap<Uint8Array, Entry | null>()
  private decoded (bytes: Uint8Array): Entry | null {
    let e = this.decodedCache.get(bytes)
    if (e === undefined) this.decodedCache.set(bytes, (e = tryDecodeEntry(bytes)))
    return e
  }

  /** The batch entries segment `k` holds, by id (what its batched entries are verified against). */
  async batchesOf (k: number): Promise<BatchLookup> {
    const arr = (await this.segment(k)).getArray<Uint8Array>('batches')
    const byId = new Map<EntryId, Entry[]>()
    for (const bytes of arr.toArray()) {
      const b = this.decoded(bytes)
      if (b === null) continue
      const list = byId.get(b.id)
      if (list === undefined) byId.set(b.id, [b])
      else list.push(b)
    }
    return (id) => byId.get(id)
  }

  /** Verifies one entry of segment `k` (batched entries against the segment's batches). */
  async verifyEntry (entry: Entry, k: number): Promise<boolean> {
    return await this.verifier.verify(entry, entry.batch === null ? undefined : await this.batchesOf(k))
  }

  /**
   * The conversation as the user sees it: the last `last` messages (default: all), in the
   * total order, verified, decrypted, deduplicated, with edits, reactions and deletions
   * applied. Loads segments from the newest back until it has enough, and verifies and
   * opens only the tail of entries that can affect what is shown (widened when some of
   * it turns out invalid or hidden).
   */
  async view (options: ViewOptions = {}): Promise<LogView> {
    const segs = this.segments()
    const want = options.last ?? Infinity
    const hide = options.hide
    const shownKind = (e: Entry | null): boolean => e !== null && e.kind === MessageKind.message && hide?.(e.author) !== true
    // Segments are loaded from the newest back until they hold `need` message entries (a
    // segment's other entries — reactions, edits, receipts — do not count towards a view).
    const chosen: number[] = []
    const raw: Array<{ bytes: Uint8Array, segment: number }> = []
    const lookups = new Map<number, BatchLookup>()
    let messagesLoaded = 0
    const loadUntil = async (need: number): Promise<void> => {
      for (let i = segs.length - 1 - chosen.length; i >= 0 && messagesLoaded < need; i--) {
        const k = segs[i] as number
        chosen.unshift(k)
        const entries = (await this.segment(k)).getArray<Uint8Array>('entries').toArray()
        raw.unshift(...entries.map((bytes) => ({ bytes, segment: k })))
        for (const bytes of entries) if (shownKind(this.decoded(bytes))) messagesLoaded++
        lookups.set(k, await this.batchesOf(k))
      }
    }
    await loadUntil(want)
    const allow = this.opts.authorizer !== undefined ? await this.opts.authorizer() : () => true
    const verify = (e: Entry, segment: number): Promise<boolean> => this.verifier.verify(e, lookups.get(segment))
    const run = async (start: number): Promise<LogView> => {
      const perSegment: Array<{ segment: number, entries: Entry[] }> = []
      for (let i = start; i < raw.length; i++) {
        const { bytes, segment } = raw[i]!
        const e = this.decoded(bytes)
        if (e === null) continue
        const last = perSegment[perSegment.length - 1]
        if (last !== undefined && last.segment === segment) last.entries.push(e)
        else perSegment.push({ segment, entries: [e] })
      }
      // Entries left out are only looked at (cheaply, by id) when the tail names one.
      let ids: Map<EntryId, number[]> | null = null
      const before = async (id: EntryId): Promise<boolean> => {
        if (ids === null) {
          ids = new Map()
          for (let i = 0; i < start; i++) {
            const peeked = peekEntryId(raw[i]!.bytes)
            if (peeked !== null) ids.set(peeked, [...(ids.get(peeked) ?? []), i])
          }
        }
        for (const i of ids.get(id) ?? []) {
          const e = this.decoded(raw[i]!.bytes)
          if (e === null || e.id !== id || !(await verify(e, raw[i]!.segment))) continue
          const body = await this.bodyOf(e)
          if (body !== null && allow(e, body) && hide?.(e.author) !== true) return true
        }
        return false
      }
      return await orderMessages(perSegment, { verify, open: (e) => this.bodyOf(e), allow, hide, oldestLoaded: chosen[0] ?? 0, before: start > 0 ? before : undefined })
    }
    // Start where the last `want` visible message entries begin; widen if too few survive.
    let need = want
    let view: LogView
    for (;;) {
      let start = 0
      if (Number.isFinite(need)) {
        let seen = 0
        for (start = raw.length; start > 0 && seen < need;) {
          if (shownKind(this.decoded(raw[--start]!.bytes))) seen++
        }
      }
      view = await run(start)
      if (view.messages.length >= want) break
      if (start === 0) {
        // Too few survive in what is loaded: load older segments, if there are any.
        if (chosen.length === segs.length) break
        need = need * 2 + 16
        await loadUntil(need)
        continue
      }
      need = need * 2 + 16
    }
    for (const m of view.messages) this.segmentOf.set(m.id, m.segment)
    if (options.last !== undefined && view.messages.length > options.last) {
      return { ...view, messages: view.messages.slice(view.messages.length - options.last) }
    }
    return view
  }

  /** Waits for queued sends to be in their documents. */
  async settled (): Promise<void> {
    while (this.pendingFlush !== null && (this.flushScheduled || this.queue.length > 0)) await this.pendingFlush
    await this.pendingFlush
  }

  close (): void {
    this.closed = true
    const release = this.source.release
    if (release !== undefined) for (const k of this.loaded.keys()) release.call(this.source, segmentDocId(this.conversationId, k))
    this.loaded.clear()
  }

  /** The author's own identity peer id. */
  get me (): PeerId {
    return this.opts.identity.peerId
  }
}
