/**
 * MeshProvider: y-webrtc's WebrtcProvider API over the ymesh peer. Between ymesh peers every
 * update and awareness state goes through @ymesh/sync (signed, verified, clientID-bound),
 * documents are multiplexed on shared connections (doc-sync / doc-awareness frames), new
 * updates are pushed once per neighbour (duplicates are never re-sent), and a periodic
 * sync-request to one neighbour (anti-entropy) repairs whatever was lost. Stock y-webrtc
 * peers in the room are served with y-webrtc's own messages. Content is exchanged only with
 * connections that serve the room: the peer lists them for the room's topic (checked by the
 * router on every frame) and they passed the room admission (room-admission.ts; in password
 * rooms a proof of the room key). docs/mesh-provider.md has the design.
 */
import * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness'
import { ObservableV2 } from 'lib0/observable'
import type { Clock, PeerId, Rng, Timer } from '@ymesh/protocol'
import { deriveYWebrtcKey, generateIdentity, type Identity } from '@ymesh/crypto'
import {
  consoleLogger, createPeer, createSystemClock, createSystemRng, type Connection, type Logger, type MeshPeer, type PeerOptions, type SignalingSource,
  type WebRtcTransportOptions
} from '@ymesh/core'
import {
  AuthenticatedDoc, DocStore, RoomPolicy, SyncMessageType, driveAwarenessByClock, encodeSyncMessage, storeKeyFromIdentity,
  type StorageError, type SyncStorage
} from '@ymesh/sync'
import { bridgeAwareness, rebindLocalClient } from './awareness-bridge.js'
import { BcKind, BroadcastLink, type BcMessage } from './broadcast.js'
import { DocGossip, GOSSIP_CONTROL_TYPE, itemIdOf, type DocGossipStats, type ItemId } from './doc-gossip.js'
import { DocRouter, type DocEndpoint } from './doc-router.js'
import { Farewell } from './farewell.js'
import { RELAYED_AWARENESS_TYPE, decodeRelayedAwareness, encodeDocFrame, encodeRelayedAwareness, tagOfSyncMessage } from './doc-wire.js'
import { InvalidProviderOptionsError } from './errors.js'
import { NoSignaling } from './no-signaling.js'
import { ROOM_ADMISSION_TYPE, RoomAdmission } from './room-admission.js'
import { StockPeers, filterAwarenessUpdate } from './stock-peers.js'

/** y-webrtc's `peerOpts` (simple-peer options) map onto the WebRTC transport's. */
export type MeshPeerOpts = Partial<Omit<WebRtcTransportOptions, 'localPeer'>>

export interface MeshProviderOptions {
  /** Signaling server URLs or a SignalingSource. Default none: nothing talks to a public server. */
  readonly signaling?: readonly string[] | SignalingSource
  /** y-webrtc's room password: signaling and BroadcastChannel traffic are encrypted with its key. */
  readonly password?: string | null
  /** Default `new Awareness(doc)`. */
  readonly awareness?: Awareness
  /** Most neighbours in this room (the pool's degree high). Default 8. */
  readonly maxConns?: number
  /** Accepted for y-webrtc compatibility; BroadcastChannel peers are deduplicated by the engine instead. */
  readonly filterBcConns?: boolean
  /** WebRTC options: iceServers, relayOnly, candidateFilter, rtc, ... */
  readonly peerOpts?: MeshPeerOpts
  /** A peer shared with other providers (pass its `identity` too); the provider then neither starts nor stops it. */
  readonly peer?: MeshPeer
  /** The shared peer's router, when several providers share `peer`: `new DocRouter(peer)`, passed to each. */
  readonly router?: DocRouter
  /** This peer's identity. Default: a fresh one (or required with `peer`). */
  readonly identity?: Identity
  /** Refuse stock y-webrtc peers and unsigned content. Default false. One-way: never switched off. */
  readonly requireAuth?: boolean
  /** Where the signed log persists: MemoryStorage, FileStorage (@ymesh/sync/node), ... Default none. */
  readonly persistence?: SyncStorage | null
  /** How often one neighbour is asked for what we miss (anti-entropy). 0 disables. Default 5 000 ms. */
  readonly antiEntropyIntervalMs?: number
  /** Same-browser tabs sync over a BroadcastChannel. Default true where BroadcastChannel exists. */
  readonly broadcastChannel?: boolean
  /**
   * Peer-assisted (hybrid) signaling of the peer this provider creates (@ymesh/core's
   * `createPeer({ hybridSignaling })`): true or options (default on), false for server-only
   * signaling. Ignored with a shared `peer` (it was created with its own).
   */
  readonly hybridSignaling?: PeerOptions['hybridSignaling']
  /** Local transactions within this window are signed once. Default 16 ms. */
  readonly batchWindowMs?: number
  /**
   * How updates and awareness spread between ymesh neighbours: true (default) Plumtree gossip
   * (eager tree + lazy IHAVE/GRAFT repair, ≈ one copy per peer); false: flooding, every new
   * item to every neighbour (y-webrtc's strategy), the fallback.
   */
  readonly gossip?: boolean
  /** An announced item not received within this is pulled (GRAFT). Default 150 ms. */
  readonly graftTimeoutMs?: number
  readonly clock?: Clock
  readonly rng?: Rng
  readonly logger?: Logger
}

export interface MeshProviderPeersEvent {
  readonly added: string[]
  readonly removed: string[]
  readonly webrtcPeers: string[]
  readonly bcPeers: string[]
}

export interface MeshProviderEvents {
  status: (event: { connected: boolean }) => void
  synced: (event: { synced: boolean }) => void
  peers: (event: MeshProviderPeersEvent) => void
  /** The engine started: the doc's clientID is bound to `peerId`, stored content is loaded. */
  ready: (event: { peerId: PeerId }) => void
  /** Inbound content refused (nothing of it touched the document). */
  drop: (event: { reason: string, from: string | null, detail: string }) => void
  /** Storage failed (quota, corruption); the in-memory document is intact. */
  'storage-error': (event: { error: StorageError }) => void
}

interface Neighbour {
  readonly connection: Connection
  /** It answered a sync request of ours (y-webrtc: answered sync step 1 with step 2). */
  synced: boolean
  /** Sync requests sent while it had not answered, and when the last went out. */
  requests: number
  requestedAt: number
}

const TICK_MS = 1_000
/** An unanswered sync request is sent again after 2, 4, 8, 8 ... s (it may have been lost, or refused before the neighbour admitted us). */
const SYNC_RETRY_BASE_MS = 2_000
const SYNC_RETRY_MAX_MS = 8_000
/** After the first answer, how long the other neighbours' answers are awaited before 'synced' turns true without them. */
const SYNC_WAIT_MS = 5_000
/** Origin of stock peers' awareness entries applied from a ymesh neighbour's relay. */
const RELAYED_ORIGIN = 'ymesh-relay'
/** Origin of awareness removals because the connection that carried them closed (as y-webrtc names it). */
const CONNECTION_CLOSED = 'connection closed'

export class MeshProvider extends ObservableV2<MeshProviderEvents> {
  readonly roomName: string
  readonly doc: Y.Doc
  readonly awareness: Awareness
  readonly filterBcConns: boolean
  readonly maxConns: number
  readonly peerOpts: MeshPeerOpts
  readonly requireAuth: boolean
  /** Resolves once the engine runs (the 'ready' event). */
  readonly whenReady: Promise<void>
  shouldConnect = false
  private readonly options: MeshProviderOptions
  private readonly clock: Clock
  private readonly rng: Rng
  private readonly logger: Logger
  private engine: AuthenticatedDoc | null = null
  private peer: MeshPeer | null = null
  private router: DocRouter | null = null
  private ownsPeer = false
  private unregister: (() => void) | null = null
  private unbridge: (() => void) | null = null
  private releaseAwarenessClock: (() => void) | null = null
  private bc: BroadcastLink | null = null
  private readonly bcPeers = new Set<string>()
  private readonly neighbours = new Map<PeerId, Neighbour>()
  private readonly stock: StockPeers
  private readonly stockSynced = new WeakSet<Connection>()
  private readonly awarenessEntries = new Map<number, Uint8Array>()
  private syncedState = false
  /** When the first answer came plus SYNC_WAIT_MS; null before it. */
  private syncWaitUntil: number | null = null
  private isReady = false
  private isConnected = false
  private destroyed = false
  private preStart: Uint8Array | null = null
  private farewellSigner: Farewell | null = null
  /** A closing page says goodbye (y-webrtc removes its awareness on 'beforeunload' too). */
  private readonly onUnload = (): void => { this.disconnect() }
  /** Settles once the last close() said goodbye (its awareness removal went out) and released the room. */
  private farewell: Promise<void> = Promise.resolve()
  private unsignedApplied = 0
  private tick: Timer | null = null
  private lastAntiEntropy = 0
  private readonly endpoint: DocEndpoint
  private readonly gossip: DocGossip
  private readonly stockClients = new Set<number>()
  private admission: RoomAdmission | null = null
  private readonly drops: Record<string, number> = {}
  private readonly onDocUpdate = (update: Uint8Array): void => { this.stock.broadcastUpdate(update) }
  /** ClientIDs whose awareness each stock peer sent us directly (dropped when its connection closes). */
  private readonly stockAwareness = new Map<PeerId, Set<number>>()
  private readonly onAppAwareness = ({ added, updated, removed }: { added: number[], updated: number[], removed: number[] }, origin: unknown): void => {
    // Our local view of a closed connection: other stock peers may still reach that peer.
    if (origin === CONNECTION_CLOSED) return
    this.stock.broadcastAwareness([...added, ...updated, ...removed])
  }

  constructor (roomName: string, doc: Y.Doc, options: MeshProviderOptions = {}) {
    super()
    if (typeof roomName !== 'string' || roomName.length === 0) throw new InvalidProviderOptionsError('MeshProvider needs a non-empty room name')
    if (!(doc instanceof Y.Doc)) throw new InvalidProviderOptionsError('MeshProvider needs a Y.Doc as its second argument')
    if (options.peer !== undefined && options.identity?.peerId !== options.peer.peerId) {
      throw new InvalidProviderOptionsError('a shared `peer` needs its `identity` too (the engine signs with it): pass { peer, identity }')
    }
    if (options.router !== undefined && options.peer !== undefined && options.router.peer !== options.peer) {
      throw new InvalidProviderOptionsError('`router` belongs to another peer than `peer`')
    }
    this.roomName = roomName
    this.doc = doc
    this.options = options
    this.awareness = options.awareness ?? new Awareness(doc)
    this.filterBcConns = options.filterBcConns ?? true
    this.maxConns = options.maxConns ?? 8
    this.peerOpts = options.peerOpts ?? {}
    this.requireAuth = options.requireAuth === true
    this.clock = options.clock ?? createSystemClock()
    this.rng = options.rng ?? createSystemRng()
    this.logger = options.logger ?? consoleLogger
    // An Awareness we made keeps time by the injected clock (the app's own keeps its own timer).
    if (options.awareness === undefined) this.releaseAwarenessClock = driveAwarenessByClock(this.awareness, this.clock)
    this.stock = new StockPeers({
      doc,
      awareness: this.awareness,
      applyUnsigned: (update, from) => { this.applyUnsigned(update, from) },
      acceptsStockAwareness: (clientId) => this.acceptsStockAwareness(clientId),
      synced: (connection) => { this.stockSynced.add(connection); this.checkSynced() },
      malformed: (from, detail) => { this.drop('malformed', from, detail) },
      awarenessApplied: (update, clients, from) => {
        let carried = this.stockAwareness.get(from)
        if (carried === undefined) this.stockAwareness.set(from, carried = new Set())
        for (const c of clients) { this.stockClients.add(c); carried.add(c) }
        this.sendToMesh(encodeRelayedAwareness(update), null, null)
      }
    })
    this.gossip = new DocGossip({
      clock: this.clock,
      plumtree: options.gossip !== false,
      ...(options.graftTimeoutMs === undefined ? {} : { graftTimeoutMs: options.graftTimeoutMs }),
      send: (to, message) => { const n = this.neighbours.get(to); if (n !== undefined) this.sendTo(n.connection, message) }
    })
    this.endpoint = {
      docId: roomName,
      topic: roomName,
      docFrame: (message, connection) => { this.receiveFromMesh(message, connection.remotePeer, connection) },
      stockFrame: (frame, connection) => { this.receiveFromStock(frame, connection) },
      connectionOpen: (connection) => { this.connectionOpened(connection) },
      connectionClose: (connection) => { this.connectionClosed(connection) },
      refused: (connection, detail) => { this.drop('not-a-member', connection.remotePeer, detail) }
    }
    this.destroy = this.destroy.bind(this)
    doc.on('destroy', this.destroy)
    this.whenReady = this.init()
    this.whenReady.catch((err: unknown) => { this.logger.warn('MeshProvider could not start', { room: roomName, error: err }) })
    this.connect()
  }

  get connected (): boolean {
    return this.isReady && this.shouldConnect
  }

  get synced (): boolean {
    return this.syncedState
  }

  /** The engine (signed log, authorship, stats); null before 'ready'. */
  get authenticated (): AuthenticatedDoc | null {
    return this.engine
  }

  /** Dissemination counters (item copies received, duplicates, pushes, IHAVE ids, GRAFTs, PRUNEs) since creation. */
  get gossipStats (): Readonly<DocGossipStats> {
    return { ...this.gossip.stats }
  }

  /**
   * ClientIDs whose awareness came from stock y-webrtc peers (directly, or relayed by ymesh
   * neighbours): unsigned, so an app may show them as unverified.
   */
  get stockAwarenessClients (): ReadonlySet<number> {
    return this.stockClients
  }

  /**
   * Inbound frames this provider refused before they reached the engine, by reason:
   * 'not-a-member' (a connection that does not serve this room, or not admitted to it),
   * 'malformed'. The engine's own drops are in `authenticated.stats.drops`.
   */
  get providerDrops (): Readonly<Record<string, number>> {
    return { ...this.drops }
  }

  /** The peer this provider uses; null before 'ready'. */
  get meshPeer (): MeshPeer | null {
    return this.peer
  }

  connect (): void {
    if (this.destroyed) return
    this.shouldConnect = true
    if (this.isReady && !this.isConnected) this.open()
  }

  disconnect (): void {
    this.shouldConnect = false
    if (this.isConnected) this.close()
  }

  /** Disconnects, stops the engine (signing what is batched) and, if it owns it, the peer. */
  override async destroy (): Promise<void> {
    if (this.destroyed) return
    this.destroyed = true
    this.disconnect()
    this.doc.off('destroy', this.destroy)
    await this.whenReady.catch(() => undefined)
    if (this.isConnected) this.close()
    await this.farewell
    this.farewellSigner?.stop()
    if (typeof window !== 'undefined') window.removeEventListener('beforeunload', this.onUnload)
    this.unbridge?.()
    this.unbridge = null
    this.doc.off('update', this.onDocUpdate)
    this.awareness.off('update', this.onAppAwareness)
    await this.engine?.stop()
    if (this.ownsPeer) this.peer?.stop()
    // An Awareness we made holds a timer; the app's own is the app's to destroy.
    this.releaseAwarenessClock?.()
    this.releaseAwarenessClock = null
    if (this.options.awareness === undefined) this.awareness.destroy()
    super.destroy()
  }

  private async init (): Promise<void> {
    const o = this.options
    const identity = o.identity ?? await this.clock.settle(generateIdentity())
    const key = typeof o.password === 'string' && o.password.length > 0 ? await this.clock.settle(deriveYWebrtcKey(o.password, this.roomName)) : null
    const store = o.persistence === undefined || o.persistence === null
      ? null
      : new DocStore(o.persistence, this.roomName, await this.clock.settle(storeKeyFromIdentity(identity)))
    if (this.destroyed) return
    this.admission = new RoomAdmission({
      docId: this.roomName,
      localPeer: identity.peerId,
      key,
      clock: this.clock,
      rng: this.rng,
      send: (connection, message) => { this.sendTo(connection, message) },
      admitted: (connection) => { this.adopt(connection) },
      deliver: (connection, message) => { this.receiveFromMesh(message, connection.remotePeer, connection) },
      refused: (connection, reason, detail) => { this.drop(reason, connection.remotePeer, detail) }
    })
    // Content made before the engine runs is under another clientID: it can only travel unsigned.
    if (this.doc.store.clients.size > 0) this.preStart = Y.encodeStateAsUpdate(this.doc)
    const engine = new AuthenticatedDoc({
      doc: this.doc,
      docId: this.roomName,
      identity,
      clock: this.clock,
      rng: this.rng,
      policy: new RoomPolicy({ requireAuth: this.requireAuth }),
      store,
      ...(o.batchWindowMs === undefined ? {} : { batchWindowMs: o.batchWindowMs })
    })
    this.engine = engine
    engine.on('message', ({ message, to }) => {
      const id = to === null ? itemIdOf(message) : null
      if (id?.what === 1 && id.clientId === this.doc.clientID) this.farewellSigner?.signed(id, message)
      if (id !== null) this.spread(id, message, null)
      else this.sendToMesh(message, to, null)
    })
    engine.on('accepted', ({ bytes, from }) => {
      if (from === null || from === ('local-store' as PeerId)) return
      const message = encodeSyncMessage({ type: SyncMessageType.Update, update: bytes })
      const id = itemIdOf(message)
      if (id !== null) this.spread(id, message, from)
    })
    engine.on('unauthenticated-applied', () => { this.unsignedApplied++ })
    engine.on('drop', (e) => { this.emitSafe('drop', e) })
    engine.on('storage-error', (e) => { this.emitSafe('storage-error', e) })
    await engine.start()
    if (this.destroyed) { await engine.stop(); return }
    this.farewellSigner = new Farewell({ identity, docId: this.roomName, clientIndex: engine.clientIndex, awareness: engine.awareness, clock: this.clock })
    if (typeof window !== 'undefined') window.addEventListener('beforeunload', this.onUnload)
    rebindLocalClient(this.awareness, this.doc.clientID)
    this.unbridge = bridgeAwareness(this.awareness, engine.awareness)
    this.doc.on('update', this.onDocUpdate)
    this.awareness.on('update', this.onAppAwareness)
    if (o.peer !== undefined) {
      this.peer = o.peer
    } else {
      const high = Math.max(3, Math.floor(this.maxConns))
      const target = Math.min(6, high)
      const low = Math.min(4, target)
      this.peer = createPeer({
        identity,
        signaling: o.signaling === undefined || (Array.isArray(o.signaling) && o.signaling.length === 0) ? new NoSignaling(identity.peerId) : o.signaling,
        clock: this.clock,
        rng: this.rng,
        logger: this.logger,
        webrtc: this.peerOpts,
        pool: { degree: { low, target, high }, redundancy: Math.min(3, low), maxConnections: Math.max(64, high) },
        acceptStockPeers: !this.requireAuth,
        ...(o.hybridSignaling === undefined ? {} : { hybridSignaling: o.hybridSignaling })
      })
      this.ownsPeer = true
    }
    this.router = o.router ?? new DocRouter(this.peer)
    if (BroadcastLink.available() && o.broadcastChannel !== false) {
      this.bc = new BroadcastLink({
        room: this.roomName,
        id: `bc-${hex(this.rng.bytes(8))}`,
        key,
        receive: (m) => { this.receiveFromBc(m) },
        error: (detail) => { this.drop('broadcast-channel', null, detail) }
      })
    }
    this.isReady = true
    this.emitSafe('ready', { peerId: identity.peerId })
    if (this.shouldConnect) this.open()
    else this.emitSafe('status', { connected: false })
  }

  private open (): void {
    const peer = this.peer as MeshPeer
    this.unregister = (this.router as DocRouter).register(this.endpoint)
    this.isConnected = true
    if (this.ownsPeer) peer.start()
    const spec = this.options.password === undefined || this.options.password === null ? this.roomName : { name: this.roomName, password: this.options.password }
    peer.joinRoom(spec).catch((err: unknown) => { this.logger.warn('could not join the room', { room: this.roomName, error: err }) })
    for (const c of peer.connectionsIn(this.roomName)) this.connectionOpened(c)
    if (this.bc !== null) {
      this.bc.start()
      this.bc.post(BcKind.Hello, '', new Uint8Array(0))
    }
    this.tick = this.clock.setInterval(() => { this.onTick() }, TICK_MS)
    this.lastAntiEntropy = this.clock.now()
    this.emitSafe('status', { connected: true })
  }

  /**
   * Stops serving the room at once; the connections (and the BroadcastChannel) stay open until
   * our signed awareness removal went out on them (or FAREWELL_TIMEOUT_MS passed), so the
   * room sees us leave now instead of when our entry times out (30 s).
   */
  private close (): void {
    this.isConnected = false
    const farewellTo = [...this.neighbours.values()].map((n) => n.connection)
    // The app's entry (stock peers hear its removal from onAppAwareness), then the engine's signed one.
    removeAwarenessStates(this.awareness, [this.doc.clientID], 'disconnect')
    const bye = this.farewellSigner?.leave() ?? { now: null, later: Promise.resolve(null) }
    // Presigned: sent now, so a closing page (beforeunload) still says it.
    if (bye.now !== null) {
      for (const c of farewellTo) this.sendTo(c, bye.now)
      this.bc?.post(BcKind.Message, '', bye.now)
    }
    if (this.tick !== null) this.clock.clearInterval(this.tick)
    this.tick = null
    this.gossip.stop()
    const removed = [...this.neighbours.keys(), ...[...this.stock.all()].map((c) => c.remotePeer), ...this.bcPeers]
    for (const c of [...this.stock.all()]) this.stock.remove(c)
    this.stockAwareness.clear()
    this.neighbours.clear()
    this.admission?.clear()
    this.bcPeers.clear()
    this.unregister?.()
    this.unregister = null
    if (removed.length > 0) this.emitPeers([], removed)
    this.syncWaitUntil = null
    this.setSynced(false)
    this.emitSafe('status', { connected: false })
    this.farewell = bye.later.then((message) => {
      if (this.isConnected) return // connect() again meanwhile: the connections serve the room again
      if (message !== null) for (const c of farewellTo) if (c.state === 'open') this.sendTo(c, message)
      if (this.bc !== null) {
        if (message !== null) this.bc.post(BcKind.Message, '', message)
        this.bc.post(BcKind.Bye, '', new Uint8Array(0))
        void this.bc.stop()
      }
      if (this.ownsPeer) this.peer?.stop()
      else this.peer?.leaveRoom(this.roomName)
    })
  }

  /**
   * A neighbour's connection closed and we hold no other connection (nor a route) to that
   * peer: its presence goes now (y-webrtc's full mesh learns a departure the same way, from
   * the closed connection), not when its entries time out. Should the peer still be in the
   * room after all, its next awareness renewal (≤ 15 s) brings it back.
   */
  private forgetPresenceOf (remote: PeerId): void {
    const engine = this.engine
    if (engine === null || this.peer === null) return
    if (this.peer.connections.some((c) => c.remotePeer === remote && c.state === 'open')) return
    // Still reachable through another neighbour (the pool pruned this edge, in a large room a
    // common case): it is likely still here, and its removal or timeout will tell.
    // (The direct route may still be in the table now: another neighbour's counts too.)
    const route = this.peer.router?.routes().find((r) => r.destination === remote)
    if (route !== undefined && ((route.nextHop !== null && route.nextHop !== remote) || route.alternatives > 1)) return
    const clients: number[] = []
    for (const clientId of engine.awareness.getStates().keys()) {
      const author = engine.authorOf(clientId)
      if (author?.kind === 'signed' && author.author === remote) clients.push(clientId)
    }
    if (clients.length === 0) return
    // Not offered to later neighbours any more either.
    for (const c of clients) this.awarenessEntries.delete(c)
    removeAwarenessStates(engine.awareness, clients, CONNECTION_CLOSED)
  }

  // --- mesh side -----------------------------------------------------------------------

  /** `connection` serves this room (the peer lists it): stock peers are served at once, ymesh peers once admitted. */
  private connectionOpened (connection: Connection): void {
    if (!this.isConnected || connection.state !== 'open') return
    if (connection.kind === 'y-webrtc') {
      this.addStock(connection)
      return
    }
    if (this.neighbours.get(connection.remotePeer)?.connection === connection) return
    const admission = this.admission as RoomAdmission
    if (admission.isAdmitted(connection)) this.adopt(connection)
    else admission.offer(connection)
  }

  /** An admitted connection becomes a neighbour in this room: sync with it. */
  private adopt (connection: Connection): void {
    if (!this.isConnected || connection.state !== 'open' || this.neighbours.get(connection.remotePeer)?.connection === connection) return
    if (this.router?.serves(this.endpoint, connection) !== true) return
    const neighbour: Neighbour = { connection, synced: false, requests: 0, requestedAt: 0 }
    this.neighbours.set(connection.remotePeer, neighbour)
    this.gossip.add(connection.remotePeer)
    this.requestSync(neighbour)
    for (const entry of this.awarenessEntries.values()) this.sendTo(connection, entry)
    if (this.preStart !== null && !this.requireAuth) this.sendTo(connection, encodeSyncMessage({ type: SyncMessageType.UnsignedUpdate, update: this.preStart }))
    this.emitPeers([connection.remotePeer], [])
    this.checkSynced()
  }

  private requestSync (n: Neighbour): void {
    n.requests++
    n.requestedAt = this.clock.now()
    this.sendTo(n.connection, (this.engine as AuthenticatedDoc).syncRequest())
  }

  private connectionClosed (connection: Connection): void {
    this.admission?.forget(connection)
    const tracked = this.neighbours.get(connection.remotePeer)
    let gone = false
    if (tracked?.connection === connection) {
      this.neighbours.delete(connection.remotePeer)
      this.gossip.remove(connection.remotePeer)
      if (connection.state !== 'open') this.forgetPresenceOf(connection.remotePeer)
      gone = true
    }
    if (this.stock.remove(connection)) {
      gone = true
      this.forgetStockPresenceOf(connection.remotePeer)
    }
    if (!gone) return
    this.emitPeers([], [connection.remotePeer])
    this.checkSynced()
  }

  /** A stock peer's connection closed: the entries it sent go now (unless another connection to it is still served). */
  private forgetStockPresenceOf (remote: PeerId): void {
    if ([...this.stock.all()].some((c) => c.remotePeer === remote)) return
    const carried = this.stockAwareness.get(remote)
    this.stockAwareness.delete(remote)
    if (carried === undefined) return
    const clients = [...carried].filter((c) => this.awareness.getStates().has(c))
    if (clients.length > 0) removeAwarenessStates(this.awareness, clients, CONNECTION_CLOSED)
  }

  private addStock (connection: Connection): void {
    if (this.stock.has(connection)) return
    if (this.requireAuth) {
      this.drop('unauthenticated-not-allowed', connection.remotePeer, 'this room requires authentication; the stock y-webrtc peer was disconnected')
      connection.close('auth-required')
      return
    }
    this.stock.add(connection)
    this.emitPeers([connection.remotePeer], [])
    this.checkSynced()
  }

  private receiveFromStock (frame: { tag: number, payload: Uint8Array }, connection: Connection): void {
    if (!this.isConnected) return
    this.addStock(connection)
    if (this.stock.has(connection)) this.stock.receive(frame as Parameters<StockPeers['receive']>[0], connection)
  }

  private applyUnsigned (update: Uint8Array, from: PeerId): void {
    const engine = this.engine
    if (engine === null) return
    const before = this.unsignedApplied
    void engine.receiveUnsigned(update, { from }).then(() => {
      // Relay stock content to ymesh peers (they apply it under their own policy).
      if (this.unsignedApplied > before) this.sendToMesh(encodeSyncMessage({ type: SyncMessageType.UnsignedUpdate, update }), null, from)
    })
  }

  private acceptsStockAwareness (clientId: number): boolean {
    const engine = this.engine
    if (engine === null || clientId === this.doc.clientID) return false
    return engine.authorOf(clientId)?.kind !== 'signed' && !engine.awareness.getStates().has(clientId)
  }

  /** A @ymesh/sync message from a ymesh neighbour or a BroadcastChannel peer. */
  private receiveFromMesh (message: Uint8Array, from: PeerId, connection: Connection | null): void {
    const engine = this.engine
    if (engine === null || !this.isConnected) return
    const type = message[0]
    if (connection !== null) {
      // The router checked that the peer lists this connection for the room; content also needs its admission.
      if (type === ROOM_ADMISSION_TYPE) { this.admission?.receive(connection, message); return }
      if (this.neighbours.get(from)?.connection !== connection) {
        if (this.admission?.hold(connection, message) !== true) this.drop('not-a-member', from, 'content from a connection not admitted to this room (no valid room admission yet)')
        return
      }
    } else if (type === ROOM_ADMISSION_TYPE) {
      return // BroadcastChannel peers share the browser (and the room key), they are not admitted per connection
    }
    if (type === GOSSIP_CONTROL_TYPE) {
      try {
        this.gossip.control(message, from)
      } catch (err) {
        this.drop('malformed', from, `gossip control: ${err instanceof Error ? err.message : String(err)}`)
      }
      return
    }
    if (type === RELAYED_AWARENESS_TYPE) {
      this.receiveRelayedAwareness(message, from)
      return
    }
    const id = itemIdOf(message)
    if (id !== null && this.gossip.received(id, from) === 'duplicate') return
    if (type === SyncMessageType.Awareness) {
      this.receiveAwareness(engine, message, from, id)
      return
    }
    const before = this.unsignedApplied
    void engine.receive(message, { from }).then(() => {
      if (id !== null) this.gossip.settled(id)
      if (type === SyncMessageType.SyncResponse) {
        const n = this.neighbours.get(from)
        if (n !== undefined && !n.synced) {
          n.synced = true
          this.checkSynced()
        }
      } else if (type === SyncMessageType.UnsignedUpdate && this.unsignedApplied > before) {
        this.sendToMesh(message, null, from)
      }
    })
  }

  /** Verified awareness that advanced someone's clock is forwarded once (the clock dedupes). */
  private receiveAwareness (engine: AuthenticatedDoc, message: Uint8Array, from: PeerId, id: ItemId | null): void {
    if (id === null) {
      void engine.receive(message, { from }) // malformed: the engine reports it as a drop
      return
    }
    const clientId = id.clientId
    const before = engine.awareness.meta.get(clientId)?.clock ?? -1
    void engine.receive(message, { from }).then(() => {
      this.gossip.settled(id)
      const after = engine.awareness.meta.get(clientId)?.clock ?? -1
      if (after <= before) return
      this.awarenessEntries.set(clientId, message)
      this.spread(id, message, from)
    })
  }

  /** Stock peers' awareness relayed by a neighbour: applied under the stock rules, passed on when it changed something. */
  private receiveRelayedAwareness (message: Uint8Array, from: PeerId): void {
    let kept
    try {
      kept = filterAwarenessUpdate(decodeRelayedAwareness(message), (c) => this.acceptsStockAwareness(c))
    } catch (err) {
      this.drop('malformed', from, `relayed awareness: ${err instanceof Error ? err.message : String(err)}`)
      return
    }
    if (kept === null) return
    const before = kept.clients.map((c) => this.awareness.meta.get(c)?.clock ?? -1)
    applyAwarenessUpdate(this.awareness, kept.update, RELAYED_ORIGIN)
    if (!kept.clients.some((c, i) => (this.awareness.meta.get(c)?.clock ?? -1) > (before[i] as number))) return
    for (const c of kept.clients) this.stockClients.add(c)
    this.sendToMesh(encodeRelayedAwareness(kept.update), null, from)
  }

  /** A new signed update or awareness entry: gossip to the room's neighbours, and to the BroadcastChannel. */
  private spread (id: ItemId, message: Uint8Array, from: PeerId | null): void {
    if (from === null && id.what === 1) this.awarenessEntries.set(this.doc.clientID, message)
    if (!this.isConnected) return
    this.gossip.deliver(id, message, from)
    if (this.bc !== null && !(from !== null && this.bcPeers.has(from))) this.bc.post(BcKind.Message, '', message)
  }

  /** To one peer (`to`), or to every neighbour and the BroadcastChannel except `except`. */
  private sendToMesh (message: Uint8Array, to: PeerId | null, except: PeerId | null): void {
    if (message[0] === SyncMessageType.Awareness && to === null && except === null) {
      this.awarenessEntries.set(this.doc.clientID, message)
    }
    if (!this.isConnected) return
    if (to !== null) {
      const n = this.neighbours.get(to)
      if (n !== undefined) this.sendTo(n.connection, message)
      else if (this.bcPeers.has(to)) this.bc?.post(BcKind.Message, to, message)
      return
    }
    for (const [peer, n] of this.neighbours) if (peer !== except) this.sendTo(n.connection, message)
    if (this.bc !== null && !(except !== null && this.bcPeers.has(except))) this.bc.post(BcKind.Message, '', message)
  }

  private sendTo (connection: Connection, message: Uint8Array): void {
    connection.send(tagOfSyncMessage(message), encodeDocFrame(this.roomName, message))
  }

  // --- BroadcastChannel ------------------------------------------------------------------

  private receiveFromBc (m: BcMessage): void {
    if (!this.isConnected || this.engine === null) return
    const from = m.from as PeerId
    if (m.kind === BcKind.Bye) {
      if (this.bcPeers.delete(m.from)) this.emitPeers([], [m.from])
      return
    }
    if (!this.bcPeers.has(m.from)) {
      this.bcPeers.add(m.from)
      this.emitPeers([m.from], [])
      if (m.kind === BcKind.Hello && m.to === '') this.bc?.post(BcKind.Hello, m.from, new Uint8Array(0))
      this.bc?.post(BcKind.Message, m.from, this.engine.syncRequest())
      for (const entry of this.awarenessEntries.values()) this.bc?.post(BcKind.Message, m.from, entry)
    }
    if (m.kind === BcKind.Message && m.body.length > 0) this.receiveFromMesh(m.body.slice(), from, null)
  }

  // --- housekeeping ----------------------------------------------------------------------

  private onTick (): void {
    if (!this.isConnected || this.peer === null || this.engine === null) return
    // Connections that start serving this room later (the remote joined it after connecting),
    // and admissions not answered yet (they may have been lost), are retried here.
    const serving = this.peer.connectionsIn(this.roomName)
    for (const c of serving) {
      if (c.kind === 'ymesh' ? this.neighbours.get(c.remotePeer)?.connection !== c : !this.stock.has(c)) this.connectionOpened(c)
    }
    // Nothing of this room goes to a connection the peer no longer lists for it.
    for (const n of [...this.neighbours.values()]) if (!serving.includes(n.connection)) this.connectionClosed(n.connection)
    // A neighbour that never answered would keep 'synced' false for good: ask it again.
    const now = this.clock.now()
    for (const n of this.neighbours.values()) {
      if (!n.synced && now - n.requestedAt >= Math.min(SYNC_RETRY_MAX_MS, SYNC_RETRY_BASE_MS * 2 ** (n.requests - 1))) this.requestSync(n)
    }
    this.checkSynced()
    const interval = this.options.antiEntropyIntervalMs ?? 5_000
    if (interval <= 0 || this.neighbours.size === 0 || this.clock.now() - this.lastAntiEntropy < interval) return
    this.lastAntiEntropy = this.clock.now()
    const list = [...this.neighbours.values()]
    const pick = list[this.rng.int(list.length)]
    if (pick !== undefined) this.sendTo(pick.connection, this.engine.syncRequest())
  }

  /**
   * y-webrtc's 'synced': true once every connected peer answered our sync request, and it
   * stays true while connected (y-webrtc does not go back to unsynced when another peer
   * connects; in a mesh where peers keep arriving, "all answered at one instant" would flap
   * and, with enough arrivals, never hold). False again after disconnect(). One bound more:
   * SYNC_WAIT_MS after the first answer (we hold a neighbour's whole state by then), it turns
   * true even if some neighbour is still silent — the pool keeps replacing neighbours in a
   * large room, and a new one every few seconds would otherwise keep it false. The silent ones
   * are still asked again (onTick), and anti-entropy runs underneath.
   */
  private checkSynced (): void {
    if (this.syncedState || !this.isConnected) return
    let answered = 0
    let silent = 0
    for (const n of this.neighbours.values()) if (n.synced) answered++; else silent++
    for (const c of this.stock.all()) if (this.stockSynced.has(c)) answered++; else silent++
    if (answered === 0) return
    const now = this.clock.now()
    this.syncWaitUntil ??= now + SYNC_WAIT_MS
    if (silent === 0 || now >= this.syncWaitUntil) this.setSynced(true)
  }

  private setSynced (synced: boolean): void {
    if (synced === this.syncedState) return
    this.syncedState = synced
    this.emitSafe('synced', { synced })
  }

  /** A frame refused before the engine saw it: counted and emitted like the engine's drops. */
  private drop (reason: string, from: string | null, detail: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1
    this.emitSafe('drop', { reason, from, detail })
  }

  private emitPeers (added: string[], removed: string[]): void {
    this.emitSafe('peers', {
      added,
      removed,
      webrtcPeers: [...this.neighbours.keys(), ...[...this.stock.all()].map((c) => c.remotePeer)],
      bcPeers: [...this.bcPeers]
    })
  }

  private emitSafe<N extends keyof MeshProviderEvents> (name: N, event: Parameters<MeshProviderEvents[N]>[0]): void {
    try {
      this.emit(name, [event] as unknown as Parameters<MeshProviderEvents[N]>)
    } catch (error) {
      this.logger.warn(`a '${name}' listener threw`, { error })
    }
  }
}

const hex = (bytes: Uint8Array): string => {
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}
