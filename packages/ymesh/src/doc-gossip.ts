/**
 * Plumtree (epidemic broadcast trees) for one document's signed updates and awareness
 * entries, over the room's ymesh neighbours, with one tree per source (the author's
 * clientID). A new item is pushed to every neighbour that has not PRUNEd that source; a
 * neighbour that receives a copy it already has PRUNEs the sender for that source, so each
 * source's eager edges settle into the tree of first arrivals (shortest paths, as fast as
 * flooding) and each peer receives ≈ one copy of each item. One shared tree for all sources
 * (plain Plumtree) was measured here: its paths are long for every source but one, and
 * duplicates from other sources keep pruning it apart (p99 time-to-all 5.8 × flooding's on
 * 50 peers). A peer's first awareness entry builds its tree before it edits. Pruned edges
 * carry IHAVE announcements (ids only); an announced item that does not arrive within
 * `graftTimeoutMs` is pulled with a GRAFT, which also makes that edge eager again for that
 * source, so the tree repairs itself. Two more repairs keep each tree the tree of first
 * arrivals while the neighbour graph changes under it (Plumtree's optimisation step): when an
 * item reaches us over its eager edge more than `optimizeAfterMs` after a lazy neighbour
 * announced it, that neighbour is a shortcut — we ask it for that source's items (EAGER) and
 * PRUNE the slow edge; and when the neighbour that brought a source's items goes away, the next
 * IHAVE for that source is pulled at once (GRAFT, making that edge eager) instead of after
 * `graftTimeoutMs`. (Asking every neighbour with EAGER as soon as a connection closes was
 * tried: its messages race the pool's other closing connections, and the same seed then
 * built a different neighbour graph.)
 * Anti-entropy (sync-request) stays underneath.
 *
 * Why not @ymesh/core's Gossip: its envelopes are signed and verified per message by the
 * envelope's source, and carry a random id. Our items are already signed by their authors
 * (the sync layer's signature, bound to the clientID), so an envelope would mean a second
 * signature and a second verification per item, and the same update arriving through
 * anti-entropy would not be recognised as a duplicate. Here an item's id is its signed
 * header (clientID, sequence range; clientID, awareness clock), and an id counts as seen only
 * once the engine accepted the item: a forged copy never shadows the real one.
 *
 * Control messages travel inside doc-sync frames, after the document id, under a message
 * type the sync grammar does not use:
 *
 *   gossip-control = 32 • kind:varUint (0 IHAVE | 1 GRAFT | 2 PRUNE | 3 EAGER) • count:varUint • id*
 *   id             = what:varUint (0 update | 1 awareness) • clientId:varUint • a:varUint • b:varUint
 *                    -- update: seqStart, seqEnd; awareness: clock, 0
 *   IHAVE: I have these; GRAFT: send me these, and push their sources' items to me again;
 *   PRUNE: stop pushing these ids' sources (clientIDs) to me, announce them instead.
 *   EAGER: push these ids' sources to me again (like GRAFT, without sending the items).
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { InvalidMessageError, decodeAll, readBoundedVarUint, type Clock, type PeerId, type Timer } from '@ymesh/protocol'
import { SyncMessageType, decodeSignedAwareness, decodeSignedUpdate, decodeSyncMessage } from '@ymesh/sync'

/** The first byte of a gossip control message (outside @ymesh/sync's message types 0–4). */
export const GOSSIP_CONTROL_TYPE = 32

const MAX_SAFE = Number.MAX_SAFE_INTEGER

export const GossipControlKind = Object.freeze({ IHave: 0, Graft: 1, Prune: 2, Eager: 3 } as const)
export type GossipControlKind = (typeof GossipControlKind)[keyof typeof GossipControlKind]

export interface ItemId {
  readonly what: 0 | 1
  readonly clientId: number
  readonly a: number
  readonly b: number
}

export interface GossipControl {
  readonly kind: GossipControlKind
  readonly ids: readonly ItemId[]
}

/** Most ids per control message; longer lists are split. */
export const MAX_CONTROL_IDS = 512

export const encodeGossipControl = (control: GossipControl): Uint8Array => encoding.encode((e) => {
  encoding.writeVarUint(e, GOSSIP_CONTROL_TYPE)
  encoding.writeVarUint(e, control.kind)
  encoding.writeVarUint(e, control.ids.length)
  for (const id of control.ids) {
    encoding.writeVarUint(e, id.what)
    encoding.writeVarUint(e, id.clientId)
    encoding.writeVarUint(e, id.a)
    encoding.writeVarUint(e, id.b)
  }
})

export const decodeGossipControl = (bytes: Uint8Array): GossipControl => decodeAll(bytes, 'gossip control', (d) => {
  const type = decoding.readVarUint(d)
  if (type !== GOSSIP_CONTROL_TYPE) throw new InvalidMessageError(`gossip control starts with ${GOSSIP_CONTROL_TYPE}, not ${type}`)
  const kind = readBoundedVarUint(d, GossipControlKind.Eager, 'gossip control kind') as GossipControlKind
  const count = readBoundedVarUint(d, MAX_CONTROL_IDS, 'gossip control id count')
  const ids: ItemId[] = []
  for (let i = 0; i < count; i++) {
    const what = readBoundedVarUint(d, 1, 'gossip id kind') as 0 | 1
    ids.push({ what, clientId: readBoundedVarUint(d, MAX_SAFE, 'gossip id clientId'), a: readBoundedVarUint(d, MAX_SAFE, 'gossip id a'), b: readBoundedVarUint(d, MAX_SAFE, 'gossip id b') })
  }
  return { kind, ids }
})

export const itemKey = (id: ItemId): string => `${id.what}:${id.clientId}:${id.a}:${id.b}`

/** The id of a signed update or awareness message; null for every other message (or a malformed one). */
export const itemIdOf = (message: Uint8Array): ItemId | null => {
  const type = message[0]
  if (type !== SyncMessageType.Update && type !== SyncMessageType.Awareness) return null
  try {
    const m = decodeSyncMessage(message)
    if (m.type === SyncMessageType.Update) {
      const u = decodeSignedUpdate(m.update)
      return { what: 0, clientId: u.clientId, a: u.seqStart, b: u.seqEnd }
    }
    if (m.type === SyncMessageType.Awareness) {
      const a = decodeSignedAwareness(m.entry)
      return { what: 1, clientId: a.clientId, a: a.clock, b: 0 }
    }
  } catch {
    // the engine reports malformed messages; gossip just does not track them
  }
  return null
}

export interface DocGossipOptions {
  readonly clock: Clock
  /** Sends a message (an item or a control) to one neighbour. */
  readonly send: (to: PeerId, message: Uint8Array) => void
  /** false: plain flooding (y-webrtc's strategy) — every new item to every neighbour, no PRUNE, no IHAVE. */
  readonly plumtree?: boolean
  readonly graftTimeoutMs?: number
  readonly ihaveDelayMs?: number
  /** An item arriving this much later than a lazy neighbour's IHAVE for it makes that neighbour eager for its source (and prunes the slow edge). Default 10 ms. */
  readonly optimizeAfterMs?: number
  readonly maxSeen?: number
  readonly maxCached?: number
  readonly cacheTtlMs?: number
  readonly maxPullAttempts?: number
}

export interface DocGossipStats {
  /** Item copies received from neighbours (first copies and duplicates). */
  received: number
  /** Of those, signed updates (the rest are awareness entries). */
  updatesReceived: number
  duplicates: number
  /** Item copies sent eagerly, or in answer to a GRAFT. */
  pushed: number
  announced: number
  grafts: number
  prunes: number
  /** Lazy edges made eager because they announced items sooner than the eager edge brought them. */
  shortcuts: number
  /** GRAFTs sent at once because the neighbour that brought that source's items went away. */
  reattached: number
}

interface Missing { id: ItemId, announcers: PeerId[], deadline: number, attempts: number, announcedAt: number }

export class DocGossip {
  readonly stats: DocGossipStats = { received: 0, updatesReceived: 0, duplicates: 0, pushed: 0, announced: 0, grafts: 0, prunes: 0, shortcuts: 0, reattached: 0 }
  private readonly neighbours = new Set<PeerId>()
  /** Source clientID → neighbours that PRUNEd it (they get IHAVEs instead of pushes). Oldest source first. */
  private readonly pruned = new Map<number, Set<PeerId>>()
  /** Source clientID → the neighbour its latest new item came from, and that item's id (our parent in its tree). */
  private readonly parents = new Map<number, { peer: PeerId, id: ItemId }>()
  /** Sources whose parent went away: their next IHAVE is pulled at once. Oldest first. */
  private readonly orphans = new Set<number>()
  /** Keys accepted (or being checked by the engine), oldest first. */
  private readonly seen = new Map<string, number>()
  private readonly checking = new Set<string>()
  private readonly cache = new Map<string, { message: Uint8Array, at: number }>()
  private readonly missing = new Map<string, Missing>()
  private readonly pendingIHave = new Map<PeerId, ItemId[]>()
  private flushTimer: Timer | null = null
  private pullTimer: Timer | null = null
  private readonly plumtree: boolean
  private readonly graftTimeoutMs: number
  private readonly ihaveDelayMs: number
  private readonly optimizeAfterMs: number
  private readonly maxSeen: number
  private readonly maxCached: number
  private readonly cacheTtlMs: number
  private readonly maxPullAttempts: number

  constructor (private readonly options: DocGossipOptions) {
    this.plumtree = options.plumtree ?? true
    this.graftTimeoutMs = options.graftTimeoutMs ?? 150
    this.ihaveDelayMs = options.ihaveDelayMs ?? 10
    this.optimizeAfterMs = options.optimizeAfterMs ?? 10
    this.maxSeen = options.maxSeen ?? 65_536
    this.maxCached = options.maxCached ?? 4_096
    this.cacheTtlMs = options.cacheTtlMs ?? 120_000
    this.maxPullAttempts = options.maxPullAttempts ?? 4
  }

  private static readonly MAX_SOURCES = 4_096

  /** A new neighbour starts eager for every source (Plumtree's initial state: first items flood, duplicates prune). */
  add (peer: PeerId): void {
    this.neighbours.add(peer)
  }

  remove (peer: PeerId): void {
    if (!this.neighbours.delete(peer)) return
    for (const set of this.pruned.values()) set.delete(peer)
    this.pendingIHave.delete(peer)
    for (const m of this.missing.values()) {
      const at = m.announcers.indexOf(peer)
      if (at >= 0) m.announcers.splice(at, 1)
    }
    // Sources whose items this neighbour brought us: the next one will only be announced.
    for (const [source, parent] of this.parents) {
      if (parent.peer !== peer) continue
      this.parents.delete(source)
      this.orphans.add(source)
      if (this.orphans.size > DocGossip.MAX_SOURCES) {
        const oldest = this.orphans.values().next().value
        if (oldest !== undefined) this.orphans.delete(oldest)
      }
    }
  }

  /** Neighbours we push `source`'s items to. */
  eagerPeers (source: number): PeerId[] {
    const pruned = this.pruned.get(source)
    return [...this.neighbours].filter((p) => pruned?.has(p) !== true)
  }

  /** Neighbours that PRUNEd `source` (they get IHAVEs). */
  lazyPeers (source: number): PeerId[] {
    return [...(this.pruned.get(source) ?? [])]
  }

  /**
   * An item arrived from `from` (a neighbour or a BroadcastChannel peer). 'duplicate': we
   * have it (or are checking a copy), drop it — and PRUNE that edge when it was eager. 'new':
   * hand it to the engine, then call settled().
   */
  received (id: ItemId, from: PeerId): 'new' | 'duplicate' {
    this.stats.received++
    if (id.what === 0) this.stats.updatesReceived++
    const key = itemKey(id)
    if (this.seen.has(key) || this.checking.has(key)) {
      this.stats.duplicates++
      if (this.plumtree && this.neighbours.has(from)) {
        this.stats.prunes++
        this.options.send(from, encodeGossipControl({ kind: GossipControlKind.Prune, ids: [id] }))
      }
      return 'duplicate'
    }
    this.checking.add(key)
    if (this.plumtree && this.neighbours.has(from)) this.arrivedFrom(id, key, from)
    return 'new'
  }

  /** A first copy from a neighbour: it is our parent for that source — unless a lazy neighbour announced it well before. */
  private arrivedFrom (id: ItemId, key: string, from: PeerId): void {
    const missing = this.missing.get(key)
    const shortcut = missing?.announcers[0]
    // Not when we pulled it (attempts > 0): then this copy answers our GRAFT, it is no eager edge.
    if (missing !== undefined && missing.attempts === 0 && shortcut !== undefined && shortcut !== from &&
      this.options.clock.now() - missing.announcedAt > this.optimizeAfterMs) {
      this.stats.shortcuts++
      this.stats.prunes++
      this.sendControl(shortcut, GossipControlKind.Eager, [id])
      this.options.send(from, encodeGossipControl({ kind: GossipControlKind.Prune, ids: [id] }))
      this.setParent(id, shortcut)
      return
    }
    this.setParent(id, from)
  }

  private setParent (id: ItemId, peer: PeerId): void {
    this.orphans.delete(id.clientId)
    this.parents.delete(id.clientId) // re-inserted: newest last, so the cap drops the stalest source
    this.parents.set(id.clientId, { peer, id })
    if (this.parents.size > DocGossip.MAX_SOURCES) {
      const oldest = this.parents.keys().next().value
      if (oldest !== undefined) this.parents.delete(oldest)
    }
  }

  private sendControl (to: PeerId, kind: GossipControlKind, ids: readonly ItemId[]): void {
    for (let at = 0; at < ids.length; at += MAX_CONTROL_IDS) {
      this.options.send(to, encodeGossipControl({ kind, ids: ids.slice(at, at + MAX_CONTROL_IDS) }))
    }
  }

  /** The engine finished with a copy received() called new; unless it was accepted, later copies may get through. */
  settled (id: ItemId): void {
    this.checking.delete(itemKey(id))
  }

  /** An item the engine accepted (ours, or a neighbour's): push it on eagerly, announce it lazily. */
  deliver (id: ItemId, message: Uint8Array, from: PeerId | null): void {
    const key = itemKey(id)
    this.checking.delete(key)
    if (this.seen.has(key)) return
    const now = this.options.clock.now()
    this.remember(key, now)
    this.missing.delete(key)
    this.cache.set(key, { message, at: now })
    this.trimCache(now)
    const pruned = this.plumtree ? this.pruned.get(id.clientId) : undefined
    for (const peer of this.neighbours) {
      if (peer === from) continue
      if (pruned?.has(peer) !== true) {
        this.stats.pushed++
        this.options.send(peer, message)
        continue
      }
      let ids = this.pendingIHave.get(peer)
      if (ids === undefined) this.pendingIHave.set(peer, ids = [])
      ids.push(id)
    }
    if (this.pendingIHave.size > 0) this.flushTimer ??= this.options.clock.setTimeout(() => { this.flushIHave() }, this.ihaveDelayMs)
  }

  /** A gossip control message from a neighbour. Throws InvalidMessageError when malformed. */
  control (message: Uint8Array, from: PeerId): void {
    const c = decodeGossipControl(message)
    if (!this.neighbours.has(from)) return // not (or no longer) a neighbour in this room
    switch (c.kind) {
      case GossipControlKind.Prune:
        for (const id of c.ids) this.prune(id.clientId, from)
        return
      case GossipControlKind.Eager:
        for (const id of c.ids) this.pruned.get(id.clientId)?.delete(from)
        return
      case GossipControlKind.Graft:
        for (const id of c.ids) {
          this.pruned.get(id.clientId)?.delete(from)
          const entry = this.cache.get(itemKey(id))
          if (entry === undefined) continue // expired: anti-entropy will bring it
          this.stats.pushed++
          this.options.send(from, entry.message)
        }
        return
      case GossipControlKind.IHave:
        if (!this.plumtree) return
        for (const id of c.ids) this.noteMissing(id, from)
    }
  }

  /** Releases timers; the state stays (a provider that reconnects re-adds its neighbours). */
  stop (): void {
    if (this.flushTimer !== null) this.options.clock.clearTimeout(this.flushTimer)
    if (this.pullTimer !== null) this.options.clock.clearTimeout(this.pullTimer)
    this.flushTimer = null
    this.pullTimer = null
    this.pendingIHave.clear()
    this.missing.clear()
    this.neighbours.clear()
    this.pruned.clear()
    this.parents.clear()
    this.orphans.clear()
  }

  private prune (source: number, peer: PeerId): void {
    let set = this.pruned.get(source)
    if (set === undefined) {
      this.pruned.set(source, set = new Set())
      if (this.pruned.size > DocGossip.MAX_SOURCES) {
        const oldest = this.pruned.keys().next().value
        if (oldest !== undefined) this.pruned.delete(oldest) // that source floods again until re-pruned
      }
    }
    set.add(peer)
  }

  private remember (key: string, now: number): void {
    this.seen.set(key, now)
    if (this.seen.size > this.maxSeen) {
      const oldest = this.seen.keys().next().value
      if (oldest !== undefined) this.seen.delete(oldest)
    }
  }

  private trimCache (now: number): void {
    for (const [key, entry] of this.cache) {
      if (this.cache.size <= this.maxCached && now - entry.at <= this.cacheTtlMs) break
      this.cache.delete(key)
    }
  }

  private flushIHave (): void {
    this.flushTimer = null
    for (const [peer, ids] of this.pendingIHave) {
      this.stats.announced += ids.length
      for (let at = 0; at < ids.length; at += MAX_CONTROL_IDS) {
        this.options.send(peer, encodeGossipControl({ kind: GossipControlKind.IHave, ids: ids.slice(at, at + MAX_CONTROL_IDS) }))
      }
    }
    this.pendingIHave.clear()
  }

  private noteMissing (id: ItemId, from: PeerId): void {
    const key = itemKey(id)
    if (this.seen.has(key) || this.checking.has(key)) return
    const known = this.missing.get(key)
    if (known !== undefined) {
      if (!known.announcers.includes(from)) known.announcers.push(from)
      return
    }
    if (this.missing.size >= this.maxSeen) return // anti-entropy will bring it
    const now = this.options.clock.now()
    if (this.orphans.delete(id.clientId)) {
      // No eager edge brings this source any more: pull it now, which also makes this edge its new one.
      this.stats.reattached++
      this.stats.grafts++
      this.missing.set(key, { id, announcers: [from], deadline: now + this.graftTimeoutMs, attempts: 1, announcedAt: now })
      this.sendControl(from, GossipControlKind.Graft, [id])
      this.pullTimer ??= this.options.clock.setTimeout(() => { this.pull() }, this.graftTimeoutMs)
      return
    }
    this.missing.set(key, { id, announcers: [from], deadline: now + this.graftTimeoutMs, attempts: 0, announcedAt: now })
    this.pullTimer ??= this.options.clock.setTimeout(() => { this.pull() }, this.graftTimeoutMs)
  }

  /** What was announced but has not arrived: GRAFT the next announcer (pull it, and make that edge eager). */
  private pull (): void {
    this.pullTimer = null
    const now = this.options.clock.now()
    const wants = new Map<PeerId, ItemId[]>()
    let next = Infinity
    for (const [key, m] of this.missing) {
      if (m.deadline > now) { next = Math.min(next, m.deadline); continue }
      const peer = m.announcers[m.attempts % Math.max(1, m.announcers.length)]
      if (peer === undefined || m.attempts >= this.maxPullAttempts) { this.missing.delete(key); continue }
      m.attempts++
      m.deadline = now + this.graftTimeoutMs * (1 + m.attempts)
      next = Math.min(next, m.deadline)
      let ids = wants.get(peer)
      if (ids === undefined) wants.set(peer, ids = [])
      ids.push(m.id)
    }
    for (const [peer, ids] of wants) {
      this.stats.grafts++
      for (let at = 0; at < ids.length; at += MAX_CONTROL_IDS) {
        this.options.send(peer, encodeGossipControl({ kind: GossipControlKind.Graft, ids: ids.slice(at, at + MAX_CONTROL_IDS) }))
      }
    }
    if (next !== Infinity) this.pullTimer = this.options.clock.setTimeout(() => { this.pull() }, Math.max(0, next - now))
  }
}
