/**
 * AuthenticatedDoc: a Y.Doc whose every update is signed by its author, bound to the
 * author's identity through its clientID, validated before it touches the document, logged
 * for catch-up, and persisted. Network-free: MeshProvider feeds receive() and sends what the
 * 'message' event emits.
 */
import * as Y from 'yjs'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as encoding from 'lib0/encoding'
import { ObservableV2 } from 'lib0/observable'
import type { Clock, PeerId, Rng, Timer } from '@ymesh/protocol'
import { openWithRoomKey, sealWithRoomKey, type Identity, type RoomKey } from '@ymesh/crypto'
import { ClientBinding } from './client-binding.js'
import type { DropReason } from './drop-reasons.js'
import { NotStartedError, StorageCorruptionError, StorageError } from './errors.js'
import {
  DEFAULT_BATCH_WINDOW_MS, DEFAULT_PENDING_MAX_AGE_MS, DEFAULT_PENDING_MAX_BYTES, DEFAULT_PENDING_MAX_COUNT, DEFAULT_SNAPSHOT_AFTER,
  MAX_UPDATES_PER_RESPONSE, PAYLOAD_SEAL_DOMAIN, SyncMessageType
} from './limits.js'
import { decodeSyncMessage, encodeSyncMessage, type SyncMessage } from './messages.js'
import { PendingQueue, type PendingLimits } from './pending-queue.js'
import { RoomPolicy } from './room-policy.js'
import { createSignedAwareness, decodeSignedAwareness, verifySignedAwareness } from './signed-awareness.js'
import { driveAwarenessByClock } from './awareness-clock.js'
import { createSignedUpdate, decodeSignedUpdate, decodeStoredSignedUpdate, verifySignedUpdate, type SignedUpdate } from './signed-update.js'
import type { DocStore, StoredLog } from './storage/doc-store.js'
import { analyseUpdate, dependencyStatus, parentsAreTypes, type UpdateAnalysis } from './update-analysis.js'
import { UpdateLog } from './update-log.js'

export type Authorship = { readonly kind: 'signed', readonly author: PeerId, readonly clientIndex: number } | { readonly kind: 'unauthenticated' }

export interface AuthenticatedDocEvents {
  /** A message to send: to one peer (`to`), or to every peer of the document (`to` null). */
  message: (event: { message: Uint8Array, to: PeerId | null }) => void
  /** A signed update was accepted; `bytes` are the author's, unchanged, for forwarding. */
  accepted: (event: { bytes: Uint8Array, author: PeerId, clientId: number, from: PeerId | null }) => void
  /** Unsigned (stock peer) content was applied and marked unauthenticated. */
  'unauthenticated-applied': (event: { clientIds: number[], from: PeerId }) => void
  /** Something inbound was refused. Nothing it carried touched the document. */
  drop: (event: { reason: DropReason, from: PeerId | null, detail: string }) => void
  /** A local batch was signed. */
  signed: (event: { update: SignedUpdate, transactions: number }) => void
  /** Storage failed or a stored record failed its integrity check; the in-memory doc is intact. */
  'storage-error': (event: { error: StorageError }) => void
}

export interface AuthenticatedDocOptions {
  readonly doc: Y.Doc
  readonly docId: string
  readonly identity: Identity
  readonly clock: Clock
  readonly policy?: RoomPolicy
  /** When set, update payloads are sealed with it: anchors without it store and forward blind. */
  readonly roomKey?: RoomKey | null
  readonly store?: DocStore | null
  /** Local transactions within this window are merged and signed once. Default 16 ms. */
  readonly batchWindowMs?: number
  readonly pending?: Partial<PendingLimits>
  /** This session's clientID index; default random (from rng, else crypto). */
  readonly clientIndex?: number
  readonly rng?: Rng
  /**
   * Rewrites the store with a snapshot (as compact() does, without re-signing) once this many
   * records were appended since the last snapshot, and at least a quarter as many as it
   * covers, so a restart applies one update and indexes the rest by header, and rewrites
   * cost O(1) per record amortised. Default 1,000; Infinity turns it off.
   */
  readonly snapshotAfter?: number
}

export interface SyncStats {
  signed: number
  transactions: number
  verified: number
  applied: number
  duplicates: number
  pending: number
  drops: Partial<Record<DropReason, number>>
}

interface Candidate {
  readonly kind: 'signed' | 'unsigned'
  readonly update: SignedUpdate | null
  readonly plain: Uint8Array
  readonly analysis: UpdateAnalysis
  readonly from: PeerId | null
}

const INDEX_BOUND = 2 ** 21

export class AuthenticatedDoc extends ObservableV2<AuthenticatedDocEvents> {
  readonly doc: Y.Doc
  readonly docId: string
  readonly identity: Identity
  readonly policy: RoomPolicy
  readonly log = new UpdateLog()
  readonly stats: SyncStats = { signed: 0, transactions: 0, verified: 0, applied: 0, duplicates: 0, pending: 0, drops: {} }
  private readonly clock: Clock
  private readonly roomKey: RoomKey | null
  private readonly store: DocStore | null
  private readonly batchWindowMs: number
  private readonly pendingLimits: PendingLimits
  private readonly pending: PendingQueue<Candidate>
  private readonly binding = new ClientBinding()
  private readonly authorship = new Map<number, Authorship>()
  private readonly rng: Rng | null
  private clientIndexValue: number | null
  private awarenessValue: awarenessProtocol.Awareness | null = null
  private batch: Uint8Array[] = []
  private batchTimer: Timer | null = null
  private awarenessTimer: Timer | null = null
  private releaseAwarenessClock: (() => void) | null = null
  private sweepTimer: Timer | null = null
  private nextSeq = 0
  private signTail: Promise<void> = Promise.resolve()
  private receiveTail: Promise<void> = Promise.resolve()
  /** Store writes, one at a time in order, so a rewrite never races an append. */
  private storeTail: Promise<void> = Promise.resolve()
  private readonly snapshotAfter: number
  private recordsInSnapshot = 0
  private recordsSinceSnapshot = 0
  private started = false
  private readonly onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === this) return
    this.batch.push(update)
    this.stats.transactions++
    if (this.batchTimer !== null) return
    // Nothing was signed in the last window: sign now (with whatever else this task writes,
    // hence the microtask), and batch what follows until the window closes. An isolated edit
    // thus pays no window; a stream of them still costs one signature per window.
    this.batchTimer = this.clock.setTimeout(this.closeWindow, this.batchWindowMs)
    queueMicrotask(() => { this.signBatched() })
  }

  private readonly closeWindow = (): void => {
    this.batchTimer = null
    if (this.batch.length === 0) return
    this.signBatched()
    this.batchTimer = this.clock.setTimeout(this.closeWindow, this.batchWindowMs)
  }

  private readonly onAwarenessUpdate = (_change: unknown, origin: unknown): void => {
    if (origin !== 'local') return
    this.awarenessTimer ??= this.clock.setTimeout(() => {
      this.awarenessTimer = null
      this.signTail = this.signTail.then(async () => { await this.signAwareness() })
    }, this.batchWindowMs)
  }

  constructor (options: AuthenticatedDocOptions) {
    super()
    this.doc = options.doc
    this.docId = options.docId
    this.identity = options.identity
    this.clock = options.clock
    this.policy = options.policy ?? new RoomPolicy()
    this.roomKey = options.roomKey ?? null
    this.store = options.store ?? null
    this.snapshotAfter = options.snapshotAfter ?? DEFAULT_SNAPSHOT_AFTER
    this.batchWindowMs = options.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS
    this.pendingLimits = {
      maxCount: options.pending?.maxCount ?? DEFAULT_PENDING_MAX_COUNT,
      maxBytes: options.pending?.maxBytes ?? DEFAULT_PENDING_MAX_BYTES,
      maxAgeMs: options.pending?.maxAgeMs ?? DEFAULT_PENDING_MAX_AGE_MS
    }
    this.pending = new PendingQueue(this.pendingLimits)
    this.rng = options.rng ?? null
    this.clientIndexValue = options.clientIndex ?? null
  }

  /** This session's clientID index (set by start()). */
  get clientIndex (): number {
    if (this.clientIndexValue === null) throw new NotStartedError('clientIndex is chosen by start(); await start() first.')
    return this.clientIndexValue
  }

  /** Signed presence for this document, bound to this session's clientID. */
  get awareness (): awarenessProtocol.Awareness {
    if (this.awarenessValue === null) throw new NotStartedError('awareness exists after start(); await start() first.')
    return this.awarenessValue
  }

  /** Binds the doc's clientID to the identity, loads the stored log, and starts batching. */
  async start (): Promise<void> {
    if (this.started) return
    if (this.clientIndexValue === null) {
      const r = this.rng
      this.clientIndexValue = r !== null
        ? r.int(INDEX_BOUND) * 2 ** 32 + r.int(2 ** 32)
        : Number(crypto.getRandomValues(new BigUint64Array(1))[0]! % BigInt(2 ** 53))
    }
    const clientId = await this.clock.settle(this.binding.clientIdOf(this.identity.peerId, this.clientIndexValue))
    this.doc.clientID = clientId!
    this.authorship.set(clientId!, { kind: 'signed', author: this.identity.peerId, clientIndex: this.clientIndexValue })
    if (this.store !== null) await this.loadStore(this.store)
    this.awarenessValue = new awarenessProtocol.Awareness(this.doc)
    this.releaseAwarenessClock = driveAwarenessByClock(this.awarenessValue, this.clock)
    this.awarenessValue.on('update', this.onAwarenessUpdate)
    this.doc.on('update', this.onDocUpdate)
    this.sweepTimer = this.clock.setInterval(() => { this.sweep() }, Math.max(1, this.pendingLimits.maxAgeMs))
    this.started = true
  }

  /** Signs what is batched, waits for in-flight work, and releases timers and listeners. */
  async stop (): Promise<void> {
    if (!this.started) return
    await this.flush()
    await this.receiveTail
    await this.storeTail
    this.started = false
    this.doc.off('update', this.onDocUpdate)
    if (this.sweepTimer !== null) this.clock.clearInterval(this.sweepTimer)
    if (this.awarenessTimer !== null) this.clock.clearTimeout(this.awarenessTimer)
    this.sweepTimer = null
    this.awarenessTimer = null
    const awareness = this.awarenessValue
    this.releaseAwarenessClock?.()
    this.releaseAwarenessClock = null
    if (awareness !== null) {
      awareness.off('update', this.onAwarenessUpdate)
      awareness.destroy()
    }
    this.pending.clear()
  }

  /** Who wrote under `clientId`: a verified identity, 'unauthenticated' content, or undefined. */
  authorOf (clientId: number): Authorship | undefined {
    return this.authorship.get(clientId)
  }

  /** Every clientID seen, with its authorship. */
  authors (): ReadonlyMap<number, Authorship> {
    return this.authorship
  }

  /** The message that asks a peer for everything this replica lacks (send on connect). */
  syncRequest (): Uint8Array {
    return encodeSyncMessage({ type: SyncMessageType.SyncRequest, logVector: this.log.vector(), stateVector: Y.decodeStateVector(Y.encodeStateVector(this.doc)) })
  }

  /** Signs the local transactions batched so far now, instead of at the end of the window. */
  async flush (): Promise<void> {
    if (this.batchTimer !== null) {
      this.clock.clearTimeout(this.batchTimer)
      this.batchTimer = null
    }
    this.signBatched()
    await this.signTail
  }

  private signBatched (): void {
    const updates = this.batch
    this.batch = []
    if (updates.length > 0) this.signTail = this.signTail.then(async () => { await this.signBatch(updates) })
  }

  /** Handles one sync message from `from`. Never throws; every refusal is a 'drop' event. */
  async receive (message: Uint8Array, context: { from: PeerId }): Promise<void> {
    const run = this.receiveTail.then(async () => {
      let decoded: SyncMessage
      try {
        decoded = decodeSyncMessage(message)
      } catch (err) {
        this.drop('malformed', context.from, err instanceof Error ? err.message : String(err))
        return
      }
      await this.dispatch(decoded, context.from)
    }).catch((err: unknown) => { this.drop('malformed', context.from, `unexpected: ${String(err)}`) })
    this.receiveTail = run
    await run
  }

  /** Applies a plain Yjs update from a stock y-webrtc peer under the room's policy. */
  async receiveUnsigned (update: Uint8Array, context: { from: PeerId }): Promise<void> {
    await this.receive(encodeSyncMessage({ type: SyncMessageType.UnsignedUpdate, update }), context)
  }

  /**
   * Re-signs this identity's updates as one update per clientID (its own sessions), so the
   * log stops growing with every edit; rewrites the store with a snapshot; broadcasts the
   * compacted updates so other replicas can shrink their logs too.
   */
  async compact (): Promise<{ before: number, after: number }> {
    await this.flush()
    const before = this.log.size
    const work = this.signTail.then(async () => {
      const byClient = new Map<number, SignedUpdate[]>()
      for (const u of this.log.updates()) {
        if (u.author !== this.identity.peerId) continue
        const list = byClient.get(u.clientId) ?? []
        list.push(u)
        byClient.set(u.clientId, list)
      }
      for (const list of byClient.values()) {
        if (list.length < 2) continue
        list.sort((a, b) => a.seqStart - b.seqStart)
        const payloads = await Promise.all(list.map(async (u) => await this.openPayload(u)))
        const merged = Y.mergeUpdates(payloads.filter((p): p is Uint8Array => p !== null))
        const first = list[0]!
        const last = list[list.length - 1]!
        const meta = Y.parseUpdateMeta(merged)
        const compacted = await this.clock.settle(createSignedUpdate(this.identity, {
          docId: this.docId,
          clientIndex: first.clientIndex,
          clientId: first.clientId,
          seqStart: first.seqStart,
          seqEnd: last.seqEnd,
          clockStart: meta.from.get(first.clientId) ?? first.clockStart,
          clockEnd: meta.to.get(first.clientId) ?? first.clockStart,
          sealed: this.roomKey !== null
        }, await this.sealPayload(merged)))
        this.stats.signed++
        this.log.add(compacted)
        this.emit('message', [{ message: encodeSyncMessage({ type: SyncMessageType.Update, update: compacted.bytes }), to: null }])
      }
      await this.persistAll()
    })
    this.signTail = work.catch(() => undefined)
    await work
    return { before, after: this.log.size }
  }

  // --- local side ---------------------------------------------------------------------

  private async signBatch (updates: Uint8Array[]): Promise<void> {
    const merged = updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates)
    const clientId = this.doc.clientID
    const meta = Y.parseUpdateMeta(merged)
    for (const client of meta.from.keys()) {
      if (client !== clientId) {
        this.drop('foreign-local-update', null, `a local transaction wrote under clientID ${client}, not this session's ${clientId}; apply remote updates through receive(), not Y.applyUpdate`)
        return
      }
    }
    const state = Y.getState(this.doc.store, clientId)
    const update = await this.clock.settle(createSignedUpdate(this.identity, {
      docId: this.docId,
      clientIndex: this.clientIndex,
      clientId,
      seqStart: this.nextSeq,
      seqEnd: this.nextSeq + 1,
      clockStart: meta.from.get(clientId) ?? state,
      clockEnd: meta.to.get(clientId) ?? state,
      sealed: this.roomKey !== null
    }, await this.sealPayload(merged)))
    this.nextSeq++
    this.stats.signed++
    this.log.add(update)
    this.emit('signed', [{ update, transactions: updates.length }])
    this.emit('message', [{ message: encodeSyncMessage({ type: SyncMessageType.Update, update: update.bytes }), to: null }])
    await this.persist(async (store) => {
      await store.appendSigned(update.bytes)
      this.recordsSinceSnapshot++
    })
    await this.maybeSnapshot()
  }

  private async signAwareness (): Promise<void> {
    const awareness = this.awarenessValue
    if (awareness === null) return
    const meta = awareness.meta.get(awareness.clientID)
    const entry = await this.clock.settle(createSignedAwareness(this.identity, {
      docId: this.docId,
      clientIndex: this.clientIndex,
      clientId: awareness.clientID,
      clock: meta?.clock ?? 0,
      state: JSON.stringify(awareness.getLocalState())
    }))
    this.emit('message', [{ message: encodeSyncMessage({ type: SyncMessageType.Awareness, entry: entry.bytes }), to: null }])
  }

  private async sealPayload (update: Uint8Array): Promise<Uint8Array> {
    return this.roomKey === null ? update : await this.clock.settle(sealWithRoomKey(this.roomKey, PAYLOAD_SEAL_DOMAIN, update))
  }

  /** The plain Yjs update of a signed update, or null if it cannot be opened. */
  private async openPayload (update: SignedUpdate): Promise<Uint8Array | null> {
    if (!update.sealed) return update.payload
    if (this.roomKey === null) return null
    try {
      return await this.clock.settle(openWithRoomKey(this.roomKey, PAYLOAD_SEAL_DOMAIN, update.payload))
    } catch {
      return null
    }
  }

  // --- inbound ------------------------------------------------------------------------

  private async dispatch (message: SyncMessage, from: PeerId): Promise<void> {
    this.sweep()
    switch (message.type) {
      case SyncMessageType.SyncRequest:
        this.answer(message.logVector, message.stateVector, from)
        return
      case SyncMessageType.SyncResponse:
        await this.receiveSigned(message.updates, from)
        for (const u of message.unsigned) await this.handleUnsigned(u, from)
        return
      case SyncMessageType.Update:
        await this.receiveSigned([message.update], from)
        return
      case SyncMessageType.UnsignedUpdate:
        await this.handleUnsigned(message.update, from)
        return
      case SyncMessageType.Awareness:
        await this.handleAwareness(message.entry, from)
    }
  }

  private answer (logVector: ReadonlyMap<number, number>, stateVector: ReadonlyMap<number, number>, to: PeerId): void {
    const { updates, unsigned } = this.log.missing(logVector, stateVector)
    const maxBytes = 4 * 1024 * 1024
    let batch: Uint8Array[] = []
    let bytes = 0
    const send = (list: Uint8Array[], extra: Uint8Array[]): void => {
      this.emit('message', [{ message: encodeSyncMessage({ type: SyncMessageType.SyncResponse, updates: list, unsigned: extra }), to }])
    }
    for (const u of updates) {
      if (batch.length > 0 && (batch.length >= MAX_UPDATES_PER_RESPONSE || bytes + u.length > maxBytes)) {
        send(batch, [])
        batch = []
        bytes = 0
      }
      batch.push(u)
      bytes += u.length
    }
    send(batch, unsigned)
  }

  /** Decodes, authenticates and applies (or holds) signed updates, in the order given. */
  private async receiveSigned (list: readonly Uint8Array[], from: PeerId): Promise<void> {
    const decoded: SignedUpdate[] = []
    for (const bytes of list) {
      let update: SignedUpdate
      try {
        update = decodeSignedUpdate(bytes)
      } catch (err) {
        this.drop('malformed', from, err instanceof Error ? err.message : String(err))
        continue
      }
      if (update.docId !== this.docId) {
        this.drop('wrong-document', from, `update for '${update.docId}' sent to '${this.docId}'`)
        continue
      }
      const placement = this.log.place(update)
      if (placement.kind === 'duplicate') {
        this.stats.duplicates++
        continue
      }
      if (placement.kind === 'misaligned') {
        this.drop('misaligned', from, `update ${update.seqStart}..${update.seqEnd} of clientID ${update.clientId} straddles entries its author signed differently`)
        continue
      }
      // Refuse before paying for a signature check when it could only wait in a full queue.
      if (placement.kind === 'gap' && !this.pending.fits(from, update.bytes.length)) {
        this.drop('pending-overflow', from, `pending queue of ${from} is full (${this.pendingLimits.maxCount} updates / ${this.pendingLimits.maxBytes} bytes)`)
        continue
      }
      decoded.push(update)
    }
    const checked = await this.clock.settle(Promise.all(decoded.map(async (u) => await this.authenticate(u))))
    const candidates: Candidate[] = []
    for (let i = 0; i < decoded.length; i++) {
      const update = decoded[i]!
      const failure = checked[i]!
      if (failure !== null) {
        this.drop(failure[0], from, failure[1])
        continue
      }
      const candidate = await this.toCandidate(update, from)
      if (candidate !== null) candidates.push(candidate)
    }
    // A catch-up response is in causal order but compaction can move entries: retry the
    // batch itself until it stops making progress before anything goes to the pending queue.
    let rest = candidates
    let progress = true
    while (rest.length > 0 && progress) {
      progress = false
      const next: Candidate[] = []
      for (const c of rest) {
        const outcome = this.tryApply(c)
        if (outcome === 'missing') next.push(c)
        else progress = true
      }
      rest = next
    }
    for (const c of rest) this.hold(c)
    await this.persistPending()
  }

  /** null when the signature and the clientID binding check out, else [reason, detail]. */
  private async authenticate (update: SignedUpdate): Promise<[DropReason, string] | null> {
    const [ok, bound] = await Promise.all([verifySignedUpdate(update), this.binding.clientIdOf(update.author, update.clientIndex)])
    this.stats.verified++
    if (!ok) return ['bad-signature', `signature of ${update.author} does not verify`]
    if (bound !== update.clientId) return ['clientid-not-bound', `clientID ${update.clientId} is not ${update.author}'s clientID number ${update.clientIndex}`]
    const known = this.authorship.get(update.clientId)
    if (known !== undefined && (known.kind !== 'signed' || known.author !== update.author)) {
      return ['clientid-bound-to-other', `clientID ${update.clientId} already belongs to ${known.kind === 'signed' ? known.author : 'unauthenticated content'}`]
    }
    return null
  }

  /** Opens and structurally checks an authenticated update's payload. */
  private async toCandidate (update: SignedUpdate, from: PeerId | null): Promise<Candidate | null> {
    return this.candidateFrom(update, await this.openPayload(update), from)
  }

  /** `plain` is the opened payload, null when it could not be opened. */
  private candidateFrom (update: SignedUpdate, plain: Uint8Array | null, from: PeerId | null): Candidate | null {
    if (plain === null) {
      this.drop('decrypt-failed', from, this.roomKey === null ? 'the payload is sealed and this replica has no room key' : 'the room key does not open this payload')
      return null
    }
    let analysis: UpdateAnalysis
    try {
      analysis = analyseUpdate(plain)
    } catch (err) {
      this.drop('malformed', from, `the payload is not a valid Yjs update: ${err instanceof Error ? err.message : String(err)}`)
      return null
    }
    for (const client of analysis.ranges.keys()) {
      if (client !== update.clientId) {
        this.drop('clientid-not-bound', from, `${update.author} inserted content under clientID ${client}, which is not its own (${update.clientId})`)
        return null
      }
    }
    const range = analysis.ranges.get(update.clientId)
    const [start, end] = range ?? [update.clockStart, update.clockStart]
    if (start !== update.clockStart || end !== update.clockEnd) {
      this.drop('header-mismatch', from, `header says clocks ${update.clockStart}..${update.clockEnd}, payload has ${start}..${end}`)
      return null
    }
    return { kind: 'signed', update, plain, analysis, from }
  }

  private ready (c: Candidate): 'ready' | 'missing' | 'duplicate' {
    if (c.update !== null) {
      const placement = this.log.place(c.update)
      if (placement.kind === 'gap') return 'missing'
      if (placement.kind === 'duplicate' || placement.kind === 'misaligned') return 'duplicate'
    }
    return dependencyStatus(c.analysis, (client) => Y.getState(this.doc.store, client))
  }

  /** Applies `c` if it can be (then drains the pending queue); 'missing' leaves it to the caller. */
  private tryApply (c: Candidate): 'applied' | 'missing' | 'dropped' {
    const status = this.ready(c)
    if (status === 'missing') return 'missing'
    if (status === 'ready' && !parentsAreTypes(c.analysis, this.doc)) {
      this.drop('malformed', c.from, 'an item\'s parent is not a shared type')
      return 'dropped'
    }
    this.applyNow(c, status === 'ready')
    for (let item = this.pending.takeReady((p) => this.ready(p) !== 'missing'); item !== null; item = this.pending.takeReady((p) => this.ready(p) !== 'missing')) {
      this.stats.pending = this.pending.size
      const p = item.value
      const s = this.ready(p)
      if (s === 'ready' && !parentsAreTypes(p.analysis, this.doc)) this.drop('malformed', p.from, 'an item\'s parent is not a shared type')
      else this.applyNow(p, s === 'ready')
    }
    return 'applied'
  }

  private applyNow (c: Candidate, touchesDoc: boolean): void {
    // Before the doc changes: the app's observers of this very change may ask who wrote it
    // (the signature and the clientID binding are checked, so this holds whatever follows).
    if (c.update !== null) this.authorship.set(c.update.clientId, { kind: 'signed', author: c.update.author, clientIndex: c.update.clientIndex })
    if (touchesDoc) {
      try {
        Y.applyUpdate(this.doc, c.plain, this)
      } catch (err) {
        // Unreachable for updates that passed analysis; reported rather than thrown.
        this.drop('malformed', c.from, `Yjs refused the update after validation: ${String(err)}`)
        return
      }
      this.stats.applied++
    } else {
      this.stats.duplicates++
    }
    if (c.update !== null) {
      const u = c.update
      this.log.add(u)
      this.unpersisted.push({ signed: true, bytes: u.bytes })
      this.emit('accepted', [{ bytes: u.bytes, author: u.author, clientId: u.clientId, from: c.from }])
    } else {
      const clientIds = [...c.analysis.ranges.keys()]
      for (const client of clientIds) this.authorship.set(client, { kind: 'unauthenticated' })
      this.log.addUnsigned({ update: c.plain, ranges: c.analysis.ranges })
      this.unpersisted.push({ signed: false, bytes: c.plain })
      this.emit('unauthenticated-applied', [{ clientIds, from: c.from as PeerId }])
    }
  }

  private readonly unpersisted: Array<{ signed: boolean, bytes: Uint8Array }> = []
  private loading = false

  private hold (c: Candidate): void {
    const from = c.from ?? ('local-store' as PeerId)
    if (!this.pending.add(from, c, c.plain.length + (c.update?.bytes.length ?? 0), this.clock.now())) {
      this.drop('pending-overflow', c.from, `pending queue of ${from} is full (${this.pendingLimits.maxCount} updates / ${this.pendingLimits.maxBytes} bytes)`)
    }
    this.stats.pending = this.pending.size
  }

  private sweep (): void {
    for (const item of this.pending.expire(this.clock.now())) {
      this.drop('pending-expired', item.value.from, `held ${this.pendingLimits.maxAgeMs} ms without its dependencies arriving`)
    }
    this.stats.pending = this.pending.size
  }

  private async handleUnsigned (update: Uint8Array, from: PeerId): Promise<void> {
    this.acceptUnsigned(update, from)
    await this.persistPending()
  }

  private acceptUnsigned (update: Uint8Array, from: PeerId): void {
    if (!this.policy.allowsUnauthenticated) {
      this.drop('unauthenticated-not-allowed', from, 'this room requires authentication; unsigned updates are refused')
      return
    }
    let analysis: UpdateAnalysis
    let plain: Uint8Array
    try {
      // Content already present (a stock peer's step 2 repeats everyone's) is not its claim.
      plain = Y.diffUpdate(update, Y.encodeStateVector(this.doc))
      analysis = analyseUpdate(plain)
    } catch (err) {
      this.drop('malformed', from, `not a valid Yjs update: ${err instanceof Error ? err.message : String(err)}`)
      return
    }
    for (const client of analysis.ranges.keys()) {
      const known = this.authorship.get(client)
      if (known?.kind === 'signed') {
        this.drop('clientid-bound-to-other', from, `unsigned content under clientID ${client}, which belongs to ${known.author}`)
        return
      }
    }
    const c: Candidate = { kind: 'unsigned', update: null, plain, analysis, from }
    const status = this.ready(c)
    if (status === 'duplicate' || (status === 'ready' && analysis.ranges.size === 0 && analysis.needs.size === 0)) {
      this.stats.duplicates++
      return
    }
    if (this.tryApply(c) === 'missing') this.hold(c)
  }

  private async handleAwareness (bytes: Uint8Array, from: PeerId): Promise<void> {
    let entry
    try {
      entry = decodeSignedAwareness(bytes)
      JSON.parse(entry.state)
    } catch (err) {
      this.drop('malformed', from, `awareness: ${err instanceof Error ? err.message : String(err)}`)
      return
    }
    if (entry.docId !== this.docId) {
      this.drop('wrong-document', from, `awareness for '${entry.docId}' sent to '${this.docId}'`)
      return
    }
    const [ok, bound] = await this.clock.settle(Promise.all([verifySignedAwareness(entry), this.binding.clientIdOf(entry.author, entry.clientIndex)]))
    this.stats.verified++
    if (!ok) { this.drop('bad-signature', from, `awareness signature of ${entry.author} does not verify`); return }
    if (bound !== entry.clientId) { this.drop('clientid-not-bound', from, `awareness clientID ${entry.clientId} is not ${entry.author}'s`); return }
    const known = this.authorship.get(entry.clientId)
    if (known !== undefined && (known.kind !== 'signed' || known.author !== entry.author)) {
      this.drop('clientid-bound-to-other', from, `awareness clientID ${entry.clientId} belongs to another author`)
      return
    }
    if (entry.clientId === this.doc.clientID || this.awarenessValue === null) return
    this.authorship.set(entry.clientId, { kind: 'signed', author: entry.author, clientIndex: entry.clientIndex })
    const update = encoding.encode((e) => {
      encoding.writeVarUint(e, 1)
      encoding.writeVarUint(e, entry.clientId)
      encoding.writeVarUint(e, entry.clock)
      encoding.writeVarString(e, entry.state)
    })
    awarenessProtocol.applyAwarenessUpdate(this.awarenessValue, update, from)
  }

  // --- persistence ---------------------------------------------------------------------

  private async loadStore (store: DocStore): Promise<void> {
    let stored: StoredLog
    try {
      stored = await this.clock.settle(store.load())
    } catch (err) {
      this.storageError(err)
      return
    }
    if (stored.corrupt > 0) {
      this.emit('storage-error', [{ error: new StorageCorruptionError(`${stored.corrupt} stored record(s) of '${this.docId}' failed the integrity check (corrupted or altered on disk) and were skipped; everything else loaded, and peers will resend what is missing.`) }])
    }
    this.loading = true
    const covered = stored.snapshot?.logVector ?? new Map<number, number>()
    // The MAC vouches for every record: no signature checks. Sealed payloads are opened
    // first (async), so the pass that touches the document is one synchronous transaction.
    const entries: Array<{ update: SignedUpdate, plain: Uint8Array | null, covered: boolean } | Uint8Array> = []
    // Unsigned records carry no sequence numbers: with a snapshot, count them as covered.
    let uncovered = stored.snapshot !== null ? 0 : stored.entries.filter((e) => !e.signed).length
    for (const entry of stored.entries) {
      if (!entry.signed) {
        entries.push(entry.bytes)
        continue
      }
      let update: SignedUpdate
      try {
        update = decodeStoredSignedUpdate(entry.bytes)
      } catch {
        continue
      }
      const isCovered = update.seqEnd <= (covered.get(update.clientId) ?? 0)
      const plain = isCovered ? null : update.sealed ? await this.openPayload(update) : update.payload
      entries.push({ update, plain, covered: isCovered })
      if (!isCovered) uncovered++
    }
    const local = 'local-store' as PeerId
    // One transaction for the whole log: Yjs cleans up, and observers and 'update'
    // listeners run, once rather than once per stored update.
    Y.transact(this.doc, () => {
      if (stored.snapshot !== null) {
        try {
          Y.applyUpdate(this.doc, stored.snapshot.update, this)
        } catch (err) {
          this.storageError(err)
        }
      }
      for (const entry of entries) {
        if (entry instanceof Uint8Array) {
          // Stored order is applied order, so unsigned content precedes what builds on it.
          if (this.policy.allowsUnauthenticated) this.acceptUnsigned(entry, local)
        } else if (entry.covered) {
          // In the snapshot already: index by header only.
          this.log.add(entry.update)
          this.authorship.set(entry.update.clientId, { kind: 'signed', author: entry.update.author, clientIndex: entry.update.clientIndex })
        } else {
          const c = this.candidateFrom(entry.update, entry.plain, local)
          if (c !== null && this.tryApply(c) === 'missing') this.hold(c)
        }
      }
    }, this)
    this.unpersisted.length = 0
    this.loading = false
    this.recordsInSnapshot = entries.length - uncovered
    this.recordsSinceSnapshot = uncovered
    // In the background: the document is already shown; stop() waits for it.
    void this.maybeSnapshot()
  }

  private async persistPending (): Promise<void> {
    if (this.loading || this.unpersisted.length === 0) return
    const items = this.unpersisted.splice(0)
    await this.persist(async (store) => {
      for (const item of items) {
        if (item.signed) await store.appendSigned(item.bytes)
        else await store.appendUnsigned(item.bytes)
        this.recordsSinceSnapshot++
      }
    })
    await this.maybeSnapshot()
  }

  private async maybeSnapshot (): Promise<void> {
    if (this.recordsSinceSnapshot >= Math.max(this.snapshotAfter, this.recordsInSnapshot / 4)) await this.persistAll()
  }

  private async persistAll (): Promise<void> {
    await this.persist(async (store) => {
      const records = this.log.updates().map((u) => u.bytes)
      const unsigned = this.log.unsigned().map((u) => u.update)
      await store.replace(records, unsigned, { update: Y.encodeStateAsUpdate(this.doc), logVector: this.log.vector() })
      this.recordsInSnapshot = records.length + unsigned.length
      this.recordsSinceSnapshot = 0
    })
  }

  private async persist (work: (store: DocStore) => Promise<void>): Promise<void> {
    const store = this.store
    if (store === null) return
    const run = this.storeTail.then(async () => {
      try {
        await this.clock.settle(work(store))
      } catch (err) {
        this.storageError(err)
      }
    })
    this.storeTail = run
    await run
  }

  private storageError (err: unknown): void {
    const error = err instanceof StorageError ? err : new StorageError(`Storage failed for '${this.docId}': ${err instanceof Error ? err.message : String(err)}. The document stays in memory; free space or fix the store, then call compact() to rewrite it.`, { cause: err })
    this.emit('storage-error', [{ error }])
  }

  private drop (reason: DropReason, from: PeerId | null, detail: string): void {
    this.stats.drops[reason] = (this.stats.drops[reason] ?? 0) + 1
    this.emit('drop', [{ reason, from, detail }])
  }
}
