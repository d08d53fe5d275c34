/**
 * createPeer(): one ymesh peer — signaling, links, authenticated connections, the connection
 * pool, frame dispatch and metrics — with start()/stop(). Everything lives in the instance,
 * so one process can run many peers (the simulator runs hundreds).
 */
import { ObservableV2 } from 'lib0/observable'
import { decodeEnvelope, Tag, type Clock, type Frame, type Link, type PeerId, type Rng, type SignalData, type Timer, type Transport } from '@ymesh/protocol'
import { topicFromRoomSecret, type Identity } from '@ymesh/crypto'
import { CapabilityAdvertiser, type CapabilityAdvertiserOptions } from './capabilities/advertiser.js'
import { PeerRoleClassifier, type RoleThresholds } from './capabilities/classifier.js'
import { PeerCapabilityManager, type PeerCapabilityManagerOptions } from './capabilities/manager.js'
import type { CapabilityFields, CapabilityRoleName } from './capabilities/record.js'
import { Gossip } from './gossip/gossip.js'
import type { GossipTuning } from './gossip/options.js'
import { MessageRouter } from './routing/message-router.js'
import type { RouterOptions } from './routing/options.js'
import { InvalidOptionsError, type HandshakeFailureReason } from './errors.js'
import type { Connection, ConnectionTuning } from './connections/connection.js'
import { FrameDispatcher, type FrameHandler } from './connections/dispatcher.js'
import { NeighbourSet, type Neighbours } from './connections/neighbours.js'
import { RoomBook } from './connections/room-book.js'
import {
  acceptIncoming, backoffDelay, glareOursWins, planDials, planPrunes, resolvePoolOptions, type Candidate, type PoolOptions,
  type ResolvedPoolOptions
} from './connections/pool.js'
import { startHandshake, type PendingHandshake } from './handshake/handshake.js'
import { consoleLogger, type Logger } from './logger.js'
import { createCoreMetrics, type CoreMetrics } from './metrics/core-metrics.js'
import { HybridSignaling, type HybridSignalingOptions } from './signaling/hybrid.js'
import { ServerSignaling } from './signaling/server-signaling.js'
import { REACH_NAMED, type SignalingAnnounce, type SignalingSignal, type SignalingSource, type SignalingStatus, type SignalingUnreachable, type SignalPath } from './signaling/types.js'
import { createSystemRng } from './system-rng.js'
import { createSystemClock } from './transport/system-clock.js'
import { WebRtcTransport, type WebRtcTransportOptions } from './transport/webrtc-transport.js'

export interface PeerOptions {
  readonly identity: Identity
  /** A SignalingSource, or signaling server URLs (ws://, wss://) for a ServerSignaling. No default server. */
  readonly signaling: SignalingSource | readonly string[]
  /** Default: a WebRtcTransport built from iceServers / relayOnly / webrtc, made at start(). */
  readonly transport?: Transport
  readonly clock?: Clock
  readonly rng?: Rng
  /** STUN/TURN servers for the default transport. Nothing defaults to a public server. */
  readonly iceServers?: readonly RTCIceServer[]
  /** Only relayed (TURN) candidates: other members never learn this peer's IP addresses. */
  readonly relayOnly?: boolean
  /** More options for the default WebRtcTransport (candidateFilter, rtc, ...). */
  readonly webrtc?: Partial<Omit<WebRtcTransportOptions, 'localPeer'>>
  readonly pool?: PoolOptions
  readonly connection?: ConnectionTuning
  /** Accept stock y-webrtc peers as 'y-webrtc' connections. Default true. false: never signal with them (their announces and offers are ignored), and refuse them in the handshake. */
  readonly acceptStockPeers?: boolean
  readonly logger?: Logger
  /** Multi-hop routing (peer.router). false: no router, and signaling through the server only. Default on. */
  readonly routing?: boolean | RouterOptions
  /** Topic gossip (peer.gossip). false: no gossip, and therefore no capability records. Default on. */
  readonly gossip?: boolean | GossipTuning
  /** Capability records, advertisement and role classification (peer.capabilities). Default on (needs gossip). */
  readonly capabilities?: boolean | CapabilityOptions
  /**
   * Hybrid signaling (default on, needs routing): once connected to the mesh, signals travel
   * through peers, sealed to the target (authenticated), with the server as fallback; members learn each other
   * through the mesh and most leave the server topic. false: every signal through the server
   * (addressed to its target) — the plain path.
   */
  readonly hybridSignaling?: boolean | HybridSignalingOptions
}

export interface CapabilityOptions {
  readonly store?: PeerCapabilityManagerOptions['store']
  /** Time stamped into records; default Date.now with the system clock, the injected clock's now otherwise. */
  readonly now?: () => number
  readonly maxRecordAgeMs?: number
  readonly thresholds?: Partial<RoleThresholds>
  readonly advertiser?: Partial<Omit<CapabilityAdvertiserOptions, 'manager' | 'clock' | 'rng' | 'logger' | 'measure'>>
  /** Our figures beyond what the peer measures itself (platform, bandwidth, storage quota, roles). */
  readonly fields?: Partial<CapabilityFields>
}

/** The capability layer of a peer: records of every peer, our advertiser, and role classification. */
export interface PeerCapabilities {
  readonly manager: PeerCapabilityManager
  readonly advertiser: CapabilityAdvertiser
  readonly classifier: PeerRoleClassifier
}

export type RoomSpec = string | { readonly name: string, readonly password?: string } | { readonly secret: Uint8Array, readonly name?: string }

export interface PeerEvents {
  'connection-open': (event: { readonly connection: Connection }) => void
  'connection-close': (event: { readonly connection: Connection, readonly reason: string }) => void
  'peer-discovered': (event: { readonly peer: PeerId, readonly room: string, readonly ymesh: boolean }) => void
  'handshake-failed': (event: { readonly peer: PeerId, readonly reason: HandshakeFailureReason }) => void
  status: (event: { readonly running: boolean, readonly signaling: boolean }) => void
}

interface Entry {
  readonly remote: PeerId
  readonly topic: string
  readonly link: Link
  readonly initiator: boolean
  readonly ymesh: boolean
  readonly session: string | undefined
  readonly token: number | undefined
  handshake: PendingHandshake | null
  connection: Connection | null
  /** The paths the remote's signals of this attempt came by. */
  readonly paths: Set<SignalPath>
  readonly startedAt: number
  /** Hybrid signaling found no relay with a way to the remote (see unreachable()). */
  unreachable: boolean
}

/**
 * Crossing offers (glare) leave both sides within a signaling round trip of each other. An
 * attempt of ours older than this that never heard from the remote went to a previous
 * incarnation of it (it restarted): it yields to the remote's new offer instead of winning.
 */
const GLARE_WINDOW_MS = 2_000

export interface Peer {
  readonly peerId: PeerId
  readonly running: boolean
  readonly metrics: CoreMetrics
  readonly neighbours: Neighbours
  /** Routed unicast (null with `routing: false`). */
  readonly router: MessageRouter | null
  /** Topic gossip (null with `gossip: false`). */
  readonly gossip: Gossip | null
  /** Capability records and roles (null with `capabilities: false` or `gossip: false`). */
  readonly capabilities: PeerCapabilities | null
  start(): void
  stop(): void
  on: ObservableV2<PeerEvents>['on']
  once: ObservableV2<PeerEvents>['once']
  off: ObservableV2<PeerEvents>['off']
}

export const createPeer = (options: PeerOptions): MeshPeer => new MeshPeer(options)

export class MeshPeer extends ObservableV2<PeerEvents> implements Peer {
  readonly peerId: PeerId
  readonly metrics: CoreMetrics
  readonly neighbours = new NeighbourSet()
  readonly pool: ResolvedPoolOptions
  private readonly clock: Clock
  private readonly rng: Rng
  private readonly logger: Logger
  readonly router: MessageRouter | null
  readonly gossip: Gossip | null
  readonly capabilities: PeerCapabilities | null
  /** The hybrid signaling layer (null with `hybridSignaling: false` or `routing: false`). */
  readonly hybrid: HybridSignaling | null
  private readonly dispatcher: FrameDispatcher
  private readonly signaling: SignalingSource
  private readonly serviceStops: Array<() => void> = []
  private startedAt = 0
  private transport: Transport | null = null
  private ownTransport = false
  private readonly rooms: RoomBook
  private readonly entries = new Map<PeerId, Entry>()
  /** A new attempt from a connected ymesh peer, kept apart until it authenticates (see signalled). */
  private readonly replacements = new Map<PeerId, Entry>()
  private tick: Timer | null = null
  private early: Timer | null = null
  private isRunning = false
  private readonly onAnnounce = (e: SignalingAnnounce): void => { this.guard(() => { this.announced(e) }) }
  private readonly onSignal = (e: SignalingSignal): void => { this.guard(() => { this.signalled(e) }) }
  private readonly onUnreachable = (e: SignalingUnreachable): void => { this.guard(() => { this.unreachable(e) }) }
  private readonly onStatus = (e: SignalingStatus): void => { this.emitSafe('status', { running: this.isRunning, signaling: e.connected }) }

  constructor (private readonly options: PeerOptions) {
    super()
    if (options.identity === undefined || typeof options.identity.peerId !== 'string') {
      throw new InvalidOptionsError('createPeer needs an identity from generateIdentity() (@ymesh/crypto)')
    }
    this.peerId = options.identity.peerId
    this.clock = options.clock ?? createSystemClock()
    this.rng = options.rng ?? createSystemRng()
    this.logger = options.logger ?? consoleLogger
    this.metrics = createCoreMetrics()
    this.pool = resolvePoolOptions(options.pool)
    this.rooms = new RoomBook(this.pool.welcomeMs)
    this.dispatcher = new FrameDispatcher(this.metrics, this.logger)
    const s = options.signaling
    const server = isSignalingSource(s)
      ? s
      : new ServerSignaling({ localPeer: this.peerId, urls: s, clock: this.clock, rng: this.rng, metrics: this.metrics, logger: this.logger })
    if (server.localPeer !== this.peerId) {
      throw new InvalidOptionsError(`the signaling source speaks for ${server.localPeer}, not for this peer (${this.peerId})`)
    }
    this.router = this.createRouter()
    this.gossip = this.createGossip()
    this.capabilities = this.createCapabilities()
    this.hybrid = this.createHybrid(server)
    this.signaling = this.hybrid ?? server
    this.metrics.registry.gauge('ymesh_connections', 'Open connections by kind, and attempts in progress', () => {
      const counts = { ymesh: 0, 'y-webrtc': 0, connecting: 0 }
      for (const e of this.entries.values()) counts[e.connection?.kind ?? 'connecting']++
      return Object.entries(counts).map(([kind, n]) => [{ kind }, n] as const)
    })
  }

  get running (): boolean {
    return this.isRunning
  }

  private createRouter (): MessageRouter | null {
    const o = this.options.routing
    if (o === false) return null
    return new MessageRouter({
      identity: this.options.identity,
      neighbours: this.neighbours,
      dispatcher: this.dispatcher,
      clock: this.clock,
      rng: this.rng,
      metrics: this.metrics,
      logger: this.logger,
      options: o === true || o === undefined ? {} : o,
      registerEnvelopeHandler: false
    })
  }

  private createHybrid (server: SignalingSource): HybridSignaling | null {
    const o = this.options.hybridSignaling
    if (o === false || this.router === null) return null
    return new HybridSignaling({
      inner: server,
      identity: this.options.identity,
      router: this.router,
      neighbours: this.neighbours,
      dispatcher: this.dispatcher,
      clock: this.clock,
      rng: this.rng,
      logger: this.logger,
      metrics: this.metrics,
      capacityOf: (peer) => {
        const record = this.capabilities?.manager.get(peer)
        return record === undefined ? undefined : { relay: record.roles.includes('relay'), load: record.load, freeSlots: record.freeSlots }
      },
      servesTopic: (peer, topic) => this.serves(peer, topic),
      wantsNeighbours: (topic) => this.rooms.get(topic) !== undefined && this.degree(topic, 'open') < this.pool.degree.low,
      underWay: (topic) => {
        for (const [remote, e] of this.entries) if (e.connection === null && e.paths.size > 0 && this.serves(remote, topic)) return true
        return false
      },
      liveMs: liveMs(this.options.connection),
      options: o === true || o === undefined ? {} : o
    })
  }

  private createGossip (): Gossip | null {
    const o = this.options.gossip
    if (o === false) return null
    return new Gossip({
      neighbours: this.neighbours,
      dispatcher: this.dispatcher,
      clock: this.clock,
      rng: this.rng,
      metrics: this.metrics,
      logger: this.logger,
      identity: this.options.identity,
      handleEnvelopeFrames: false,
      options: o === true || o === undefined ? {} : o
    })
  }

  private createCapabilities (): PeerCapabilities | null {
    const o = this.options.capabilities
    if (o === false || this.gossip === null) return null
    const c: CapabilityOptions = o === true || o === undefined ? {} : o
    const manager = new PeerCapabilityManager({
      gossip: this.gossip,
      clock: this.clock,
      rng: this.rng,
      metrics: this.metrics,
      logger: this.logger,
      identity: this.options.identity,
      // Records carry wall-clock stamps that other peers check; the injected clock is only shared on the simulator.
      now: c.now ?? (this.options.clock === undefined ? Date.now : () => this.clock.now()),
      ...(c.store === undefined ? {} : { store: c.store }),
      ...(c.maxRecordAgeMs === undefined ? {} : { maxRecordAgeMs: c.maxRecordAgeMs })
    })
    const advertiser = new CapabilityAdvertiser({
      ...c.advertiser,
      manager,
      clock: this.clock,
      rng: this.rng,
      logger: this.logger,
      measure: () => this.measure(c.fields ?? {})
    })
    return { manager, advertiser, classifier: new PeerRoleClassifier(c.thresholds) }
  }

  /** Our capability figures: free slots and load from the pool, the rest from options. */
  private measure (fields: Partial<CapabilityFields>): CapabilityFields {
    const max = this.pool.maxConnections
    const used = this.entries.size
    const roles: CapabilityRoleName[] = [...(fields.roles ?? (this.relaying() ? ['relay'] : []))]
    return {
      platform: fields.platform ?? (typeof (globalThis as { document?: unknown }).document === 'undefined' ? 'node' : 'browser'),
      roles,
      freeSlots: fields.freeSlots ?? Math.max(0, Math.min(0xffff, max - used)),
      bandwidth: fields.bandwidth ?? 10_000_000,
      uptimeMs: Math.max(0, Math.floor(this.clock.now() - this.startedAt)),
      load: fields.load ?? Math.min(1000, Math.round(1000 * used / Math.max(1, max))),
      storageQuota: fields.storageQuota ?? 0,
      protocolVersions: fields.protocolVersions ?? [1]
    }
  }

  /** Whether this peer forwards routed messages (and so relayed signaling) for others. */
  private relaying (): boolean {
    const h = this.options.hybridSignaling
    const relayOff = typeof h === 'object' && h.relay === false
    return this.router !== null && this.router.options.routing && this.router.options.forwarding && !relayOff
  }

  private envelopeOff: (() => void) | null = null

  /** One handler for 'envelope' frames, shared by routing (peer destinations) and gossip (topics). */
  private readonly onEnvelope = (frame: Frame, connection: Connection): void => {
    let envelope
    try {
      envelope = decodeEnvelope(frame.payload)
    } catch (error) {
      this.metrics.drops.inc({ reason: 'malformed-envelope' })
      this.logger.debug('malformed envelope', { remotePeer: connection.remotePeer, error })
      return
    }
    if (envelope.destination.kind === 'peer') this.router?.receiveEnvelope(envelope, connection)
    else this.gossip?.receiveEnvelope(envelope, connection)
  }

  private startServices (): void {
    const { router, gossip, capabilities } = this
    if ((router !== null || gossip !== null) && !this.dispatcher.has(Tag.Envelope)) {
      this.envelopeOff = this.dispatcher.handle(Tag.Envelope, this.onEnvelope)
      this.serviceStops.push(() => { this.envelopeOff?.(); this.envelopeOff = null })
    }
    if (router !== null) { router.start(); this.serviceStops.push(() => { router.stop() }) }
    if (gossip !== null) { gossip.start(); this.serviceStops.push(() => { gossip.stop() }) }
    if (capabilities !== null) {
      const detach = capabilities.classifier.attach(capabilities.manager)
      const changed = (): void => { capabilities.advertiser.changed() }
      this.on('connection-open', changed)
      this.on('connection-close', changed)
      capabilities.manager.start().then(() => {
        if (this.isRunning && capabilities.manager.started) capabilities.advertiser.start()
      }, (error: unknown) => { this.logger.warn('capability manager failed to start', { error }) })
      this.serviceStops.push(() => {
        this.off('connection-open', changed)
        this.off('connection-close', changed)
        detach()
        capabilities.advertiser.stop()
        capabilities.manager.stop()
      })
    }
  }

  private stopServices (): void {
    // Reverse order: capabilities use gossip, everything uses the envelope handler.
    for (const stop of this.serviceStops.splice(0).reverse()) stop()
  }

  /** Open connections (both kinds). */
  get connections (): Connection[] {
    const out: Connection[] = []
    for (const e of this.entries.values()) if (e.connection !== null) out.push(e.connection)
    return out
  }

  /**
   * How the connection to `remote` was signaled: every signal of the remote came through the
   * mesh (relayed, hybrid signaling), through the server, or some each way ('mixed', e.g. a relay
   * path timed out and the fallback went to the server). Undefined when not connected.
   */
  signalPathOf (remote: PeerId): 'mesh' | 'server' | 'mixed' | undefined {
    const entry = this.entries.get(remote)
    return entry?.connection === null || entry === undefined ? undefined : pathOf(entry.paths)
  }

  /** Open connections that serve `room` (its name). */
  connectionsIn (room: string): Connection[] {
    const topic = this.rooms.topicOf(room)
    return this.connections.filter((c) => topic !== undefined && this.serves(c.remotePeer, topic))
  }

  /** Register the handler of every inbound frame of `tag` (one per tag); returns the unregister function. */
  handle (tag: number, handler: FrameHandler): () => void {
    if (tag !== Tag.Envelope || this.envelopeOff === null) return this.dispatcher.handle(tag, handler)
    // Backwards compatibility: an app that claims 'envelope' frames takes them over from
    // routing and gossip until it unregisters.
    this.logger.warn('an app handler takes over envelope frames: routing and gossip receive none until it unregisters')
    this.envelopeOff()
    this.envelopeOff = null
    const off = this.dispatcher.handle(tag, handler)
    return () => {
      off()
      if (this.isRunning && this.envelopeOff === null && !this.dispatcher.has(Tag.Envelope)) this.envelopeOff = this.dispatcher.handle(Tag.Envelope, this.onEnvelope)
    }
  }

  /** Prometheus text exposition of this peer's metrics. */
  metricsText (): string {
    return this.metrics.registry.render()
  }

  start (): void {
    if (this.isRunning) return
    this.isRunning = true
    if (this.transport === null) {
      this.ownTransport = this.options.transport === undefined
      this.transport = this.options.transport ?? new WebRtcTransport({
        ...this.options.webrtc,
        localPeer: this.peerId,
        iceServers: this.options.iceServers ?? this.options.webrtc?.iceServers ?? [],
        relayOnly: this.options.relayOnly ?? this.options.webrtc?.relayOnly ?? false,
        clock: this.clock
      })
    }
    this.startedAt = this.clock.now()
    this.startServices()
    this.signaling.on('announce', this.onAnnounce)
    this.signaling.on('signal', this.onSignal)
    this.signaling.on('status', this.onStatus)
    this.signaling.on('unreachable', this.onUnreachable)
    for (const room of this.rooms.all()) this.signaling.join(room.topic, room.join)
    this.signaling.start()
    this.tick = this.clock.setInterval(() => { this.guard(() => { this.maintain() }) }, this.pool.maintenanceIntervalMs)
    this.emitSafe('status', { running: true, signaling: this.signaling.connected })
  }

  /** Close every connection and attempt, stop signaling, release every timer. start() may follow. */
  stop (): void {
    if (!this.isRunning) return
    this.isRunning = false
    if (this.tick !== null) this.clock.clearInterval(this.tick)
    if (this.early !== null) this.clock.clearTimeout(this.early)
    this.tick = this.early = null
    this.signaling.off('announce', this.onAnnounce)
    this.signaling.off('signal', this.onSignal)
    this.signaling.off('status', this.onStatus)
    this.signaling.off('unreachable', this.onUnreachable)
    for (const entry of [...this.entries.values(), ...this.replacements.values()]) this.drop(entry, 'stopped')
    this.rooms.clearWelcomes()
    this.stopServices()
    this.signaling.stop()
    if (this.ownTransport) {
      this.transport?.close()
      this.transport = null
    }
    this.emitSafe('status', { running: false, signaling: false })
  }

  /** Join a room: by name (y-webrtc compatible), with a y-webrtc password, or by invite secret (the topic hides the name). */
  async joinRoom (spec: RoomSpec): Promise<string> {
    let name: string
    let topic: string
    let password: string | undefined
    if (typeof spec === 'string') {
      name = topic = spec
    } else if ('secret' in spec) {
      topic = await this.clock.settle(topicFromRoomSecret(spec.secret))
      name = spec.name ?? topic
    } else {
      name = topic = spec.name
      password = spec.password
    }
    if (typeof name !== 'string' || name.length === 0) throw new InvalidOptionsError('a room needs a non-empty name')
    const join = password === undefined ? {} : { password }
    if (!this.rooms.add(name, topic, join)) return name
    if (this.isRunning) this.signaling.join(topic, join)
    return name
  }

  leaveRoom (room: string): void {
    const topic = this.rooms.topicOf(room)
    if (topic === undefined) return
    this.rooms.remove(topic)
    if (this.isRunning) this.signaling.leave(topic)
    for (const entry of [...this.entries.values()]) {
      if (!this.sharesRoom(entry)) this.drop(entry, 'left-room')
    }
  }

  /** Room names this peer is in. */
  get roomNames (): string[] {
    return [...this.rooms.all()].map((r) => r.name)
  }

  private serves (remote: PeerId, topic: string): boolean {
    const entry = this.entries.get(remote)
    if (entry?.connection?.kind === 'y-webrtc' || (entry !== undefined && !entry.ymesh)) return entry.topic === topic
    return this.rooms.isMember(remote, topic) || entry?.topic === topic
  }

  private sharesRoom (entry: Entry): boolean {
    for (const topic of this.rooms.topics()) if (this.serves(entry.remote, topic)) return true
    return false
  }

  /**
   * Connections and attempts serving `topic`. 'open': open connections only. 'plan': what a
   * review plans with: attempts that no relay found a way to, and that heard nothing back, do
   * not hold places (they most likely went to a member that is gone; see unreachable()).
   */
  private degree (topic: string, count: 'all' | 'open' | 'plan' = 'all'): number {
    let n = 0
    for (const [remote, entry] of this.entries) {
      if (count === 'open' && entry.connection === null) continue
      if (count === 'plan' && entry.connection === null && entry.unreachable && entry.paths.size === 0) continue
      if (this.serves(remote, topic)) n++
    }
    return n
  }

  /** Records `remote` as a candidate of `room`, announcing the discovery of a new one. */
  private candidate (topic: string, remote: PeerId, ymesh: boolean, fresh: boolean): void {
    const room = this.rooms.get(topic)
    if (room !== undefined && this.rooms.candidate(room, remote, ymesh, fresh, this.pool.maxFailures)) {
      this.emitSafe('peer-discovered', { peer: remote, room: room.name, ymesh })
    }
  }

  /**
   * A peer that refuses stock y-webrtc peers does not signal with them at all: connecting and
   * then refusing in the handshake made them retry, and a stock peer that gets an answer for a
   * connection it has just dropped throws in its signaling handler and exits (y-webrtc 10.3,
   * `existingConn.glareToken` on an undefined connection).
   */
  private refusesStock (ymesh: boolean): boolean {
    return !ymesh && this.options.acceptStockPeers === false
  }

  private announced (e: SignalingAnnounce): void {
    const room = this.rooms.get(e.topic)
    if (room === undefined || e.from === this.peerId || this.refusesStock(e.ymesh)) return
    this.rooms.member(e.from, e.topic)
    this.candidate(e.topic, e.from, e.ymesh, true)
    // A member learned while the room has neighbours, but fewer than `low` (a newcomer reading its
    // first neighbour's roster), is dialed at once rather than at the next review: it is signaled
    // through that neighbour, so nothing is gained by waiting. A room with no neighbour keeps the
    // review cadence, so that a newcomer's server answers gather into one round of dials.
    // Likewise a reply that comes while our only attempts have gone unanswered (the member we
    // dialed first may have crashed since it answered us): the round of dials already happened.
    const open = this.degree(e.topic, 'open')
    if (e.to !== undefined && open < this.pool.degree.low && !this.entries.has(e.from) && (open > 0 || this.degree(e.topic) > 0)) this.reviewSoon()
    // A newcomer learns about existing ymesh peers from their replies (addressed, so cheap).
    // (Hybrid signaling passes a broadcast announce on only when this peer is to answer it.)
    if (e.to === undefined && e.ymesh) {
      this.rooms.welcome(e.from, this.clock.now())
      this.signaling.announce(e.topic, e.from)
    }
  }

  /**
   * No relay found a way to a member we are dialing (it may have crashed or left since a roster
   * named it). The attempt stays, since its signals may still reach the member through the
   * server, and it is dropped as usual if nothing comes back in answerTimeoutMs; but until it
   * hears back it holds no place in the room's degree, and a room below `low` dials others now
   * rather than at the next review.
   */
  private unreachable (e: SignalingUnreachable): void {
    const entry = this.entries.get(e.to)
    if (entry === undefined || entry.connection !== null || (e.session !== undefined && entry.session !== e.session) || this.rooms.get(e.topic) === undefined) return
    entry.unreachable = true
    if (this.degree(e.topic, 'open') < this.pool.degree.low) this.reviewSoon()
  }

  private reviewSoon (): void {
    if (this.early !== null || !this.isRunning) return
    // A few ms: every member of one roster is in before the review.
    this.early = this.clock.setTimeout(() => { this.early = null; this.guard(() => { this.maintain() }) }, 1)
  }

  /** A newcomer we answered recently: we may be its only way in, so we accept its link when at `high` and keep it. */
  private isWelcomed (remote: PeerId): boolean {
    return this.rooms.isWelcomed(remote, this.clock.now())
  }

  private signalled (e: SignalingSignal): void {
    const room = this.rooms.get(e.topic)
    if (room === undefined || e.from === this.peerId || this.transport === null || this.refusesStock(e.ymesh)) return
    this.rooms.member(e.from, e.topic)
    this.candidate(e.topic, e.from, e.ymesh, false)
    const replacement = this.replacements.get(e.from)
    const entry = replacement !== undefined && replacement.session === e.session ? replacement : this.entries.get(e.from)
    const signal = e.signal
    if (signal.type !== 'offer') {
      if (entry === undefined || entry.connection !== null) return
      if (entry.ymesh && e.ymesh && entry.session !== e.session) return // a stale attempt's signal
      if (signal.type === 'answer' && !entry.initiator) return
      if (isRefusal(signal)) {
        if (entry.ymesh && e.ymesh) this.refused(entry)
        return
      }
      entry.paths.add(e.via ?? 'server')
      entry.link.signal(signal)
      return
    }
    if (entry !== undefined) {
      if (entry.initiator && entry.connection === null) {
        const oursWins = glareOursWins(this.peerId, e.from, e.ymesh, {
          token: entry.token, heardBack: entry.paths.size > 0, ageMs: this.clock.now() - entry.startedAt
        }, e.token, GLARE_WINDOW_MS)
        this.metrics.glare.inc({ winner: oursWins ? 'local' : 'remote' })
        if (oursWins) return
        this.drop(entry, 'glare')
      } else if (e.ymesh && entry.ymesh && entry.session === e.session) {
        return // a repeated offer of the attempt we already answer
      } else if (e.ymesh && entry.ymesh && entry.connection !== null) {
        // A new attempt while connected: the remote restarted, or anyone on the signaling path
        // forged an offer in its name. Keep the working connection until the new attempt
        // authenticates (the handshake binds the identity); only then does it replace it.
        if (replacement !== undefined) this.drop(replacement, 'replaced')
        const created = this.open(e.from, e.topic, false, true, e.session, undefined, true)
        created?.paths.add(e.via ?? 'server')
        created?.link.signal(signal)
        return
      } else {
        this.drop(entry, 'replaced') // the remote started over (restart, or it lost the connection)
      }
    }
    const degrees = this.rooms.topics().filter((t) => t === e.topic || (e.ymesh && this.rooms.isMember(e.from, t))).map((t) => this.degree(t))
    // An author still joining (its sealed capsule names fewer relaying neighbours than a member
    // at `low` has) is let in like a newcomer we answered: members at `high` make room for it.
    const joining = e.via === 'mesh' && e.authorReach !== undefined && e.authorReach < Math.min(this.pool.degree.low, REACH_NAMED)
    if (joining && !this.isWelcomed(e.from)) this.rooms.welcome(e.from, this.clock.now())
    if (!acceptIncoming(this.pool, e.from, degrees, this.entries.size, e.ymesh && this.isWelcomed(e.from))) {
      this.metrics.drops.inc({ reason: 'incoming-refused' })
      // Say so (ymesh peers only): the dialer tries another member now instead of waiting out
      // its connect timeout, which matters most to a newcomer still below `low`.
      if (e.ymesh && e.session !== undefined) this.signaling.sendSignal(e.topic, e.from, REFUSAL, { addressed: true, session: e.session })
      return
    }
    const created = this.open(e.from, e.topic, false, e.ymesh, e.session, undefined)
    created?.paths.add(e.via ?? 'server')
    created?.link.signal(signal)
  }

  private open (remote: PeerId, topic: string, initiator: boolean, ymesh: boolean, session: string | undefined, token: number | undefined, replacing = false): Entry | null {
    const transport = this.transport as Transport
    let link: Link
    const send = (signal: SignalData): void => {
      if (!this.isRunning || (this.entries.get(remote)?.link !== link && this.replacements.get(remote)?.link !== link)) return
      this.signaling.sendSignal(topic, remote, signal, { addressed: ymesh, ...(token === undefined ? {} : { token }), ...(ymesh && session !== undefined ? { session } : {}) })
    }
    try {
      link = transport.createLink({ remotePeer: remote, initiator, onSignal: send })
    } catch (error) {
      this.logger.warn('could not create a link', { remote, error })
      return null
    }
    const entry: Entry = { remote, topic, link, initiator, ymesh, session, token, handshake: null, connection: null, paths: new Set(), startedAt: this.clock.now(), unreachable: false }
    if (replacing) this.replacements.set(remote, entry)
    else this.entries.set(remote, entry)
    const handshake = startHandshake({
      identity: this.options.identity,
      link,
      remoteIsYmesh: ymesh,
      room: topic,
      clock: this.clock,
      rng: this.rng,
      dispatcher: this.dispatcher,
      metrics: this.metrics,
      logger: this.logger,
      timeoutMs: this.pool.connectTimeoutMs,
      acceptStockPeers: this.options.acceptStockPeers,
      connection: this.options.connection
    })
    entry.handshake = handshake
    handshake.promise.then((connection) => { this.opened(entry, connection) }, (error: { reason: HandshakeFailureReason }) => { this.failed(entry, error.reason) })
    return entry
  }

  /** The remote refused our offer (at its degree limit): back off from it a little, and dial another. */
  private refused (entry: Entry): void {
    this.metrics.drops.inc({ reason: 'refused-by-remote' })
    this.drop(entry, 'refused')
    this.rooms.holdOff(entry.remote, this.clock.now() + backoffDelay(this.pool, 1, this.rng))
    this.reviewSoon()
  }

  private opened (entry: Entry, connection: Connection): void {
    if (this.replacements.get(entry.remote) === entry && this.isRunning) {
      // The new attempt authenticated as the remote: now it replaces the old connection.
      this.replacements.delete(entry.remote)
      const old = this.entries.get(entry.remote)
      if (old !== undefined) this.drop(old, 'replaced')
      this.entries.set(entry.remote, entry)
    }
    if (this.entries.get(entry.remote) !== entry || !this.isRunning) {
      connection.close('replaced')
      return
    }
    entry.handshake = null
    entry.connection = connection
    this.metrics.connectionsOpened.inc({ path: pathOf(entry.paths) })
    this.rooms.succeeded(entry.topic, entry.remote)
    connection.on('close', ({ reason }) => {
      if (this.entries.get(entry.remote) === entry) this.entries.delete(entry.remote)
      // Do not redial at once: a remote that pruned us would be pruned again.
      this.rooms.holdOff(entry.remote, this.clock.now() + backoffDelay(this.pool, 1, this.rng))
      this.emitSafe('connection-close', { connection, reason })
    })
    if (connection.kind === 'ymesh') this.neighbours.add(connection)
    this.emitSafe('connection-open', { connection })
  }

  private failed (entry: Entry, reason: HandshakeFailureReason): void {
    if (this.replacements.get(entry.remote) === entry) {
      // A replacement that never authenticated (a forged offer): the working connection stays.
      this.replacements.delete(entry.remote)
      this.metrics.drops.inc({ reason: 'replacement-failed' })
      return
    }
    if (this.entries.get(entry.remote) === entry) this.entries.delete(entry.remote)
    if (reason === 'aborted') return
    this.rooms.failed(entry.remote, this.clock.now(), (failures) => backoffDelay(this.pool, failures, this.rng))
    this.emitSafe('handshake-failed', { peer: entry.remote, reason })
  }

  private drop (entry: Entry, reason: string): void {
    if (this.entries.get(entry.remote) === entry) this.entries.delete(entry.remote)
    if (this.replacements.get(entry.remote) === entry) this.replacements.delete(entry.remote)
    if (entry.connection !== null) entry.connection.close(reason)
    else entry.handshake?.abort()
  }

  private maintain (): void {
    if (!this.isRunning || this.transport === null) return
    const now = this.clock.now()
    // Our dials that heard nothing back: the remote is gone (a live ymesh peer answers or refuses).
    for (const entry of [...this.entries.values()]) {
      if (!entry.initiator || entry.connection !== null || entry.paths.size > 0 || now - entry.startedAt < this.pool.answerTimeoutMs) continue
      this.drop(entry, 'no-answer')
      this.metrics.handshakeFailures.inc({ reason: 'no-answer' })
      this.rooms.failed(entry.remote, now, (failures) => backoffDelay(this.pool, failures, this.rng))
    }
    const busy = new Set(this.entries.keys())
    for (const room of this.rooms.all()) {
      for (const [peer, c] of room.candidates) if (c.failures >= this.pool.maxFailures) room.candidates.delete(peer)
      const hybrid = this.hybrid
      const rank = hybrid === null ? undefined : (p: PeerId): number => hybrid.dialRank(room.topic, p)
      const open = this.degree(room.topic, 'open')
      // With a room neighbour, hybrid signaling relays our dials through the mesh: spare ones are cheap.
      const spare = hybrid !== null && open > 0 ? hybrid.spareDials : 0
      const dials = planDials(this.pool, { candidates: room.candidates.values(), busy, degree: this.degree(room.topic, 'plan'), open, total: this.entries.size, now, spare, ...(rank === undefined ? {} : { rank }) }, this.rng)
      for (const remote of dials) {
        const c = room.candidates.get(remote) as Candidate
        const session = c.ymesh ? randomSession(this.rng) : undefined
        const token = now + this.rng.float()
        if (this.open(remote, room.topic, true, c.ymesh, session, token) !== null) busy.add(remote)
      }
    }
    // Open connections only: an attempt in flight may fail, and must not cost us a working link.
    const degrees = new Map<string, number>()
    for (const topic of this.rooms.topics()) degrees.set(topic, this.degree(topic, 'open'))
    // A newcomer we let in keeps that link until it found other neighbours.
    const open = [...this.entries.values()].filter((e) => e.connection !== null && !this.isWelcomed(e.remote)).map((e) => ({
      peer: e.remote,
      quality: (e.connection as Connection).quality,
      rooms: this.rooms.topics().filter((t) => this.serves(e.remote, t))
    }))
    for (const peer of planPrunes(this.pool, open, degrees, this.entries.size)) {
      const entry = this.entries.get(peer)
      if (entry !== undefined) this.drop(entry, 'pruned')
    }
  }

  private guard (fn: () => void): void {
    try {
      fn()
    } catch (error) {
      this.metrics.drops.inc({ reason: 'internal-error' })
      this.logger.warn('a peer event handler failed', { error })
    }
  }

  private emitSafe<N extends keyof PeerEvents> (name: N, event: Parameters<PeerEvents[N]>[0]): void {
    try {
      this.emit(name, [event] as unknown as Parameters<PeerEvents[N]>)
    } catch (error) {
      this.logger.warn(`a '${name}' listener threw`, { error })
    }
  }
}

/** How long a silent neighbour still counts as connected now (HybridSignalingInit.liveMs): 2.5 pings, at most half the dead-peer timeout. */
const liveMs = (tuning: ConnectionTuning | undefined): number =>
  Math.min(2.5 * (tuning?.pingIntervalMs ?? 2_000), (tuning?.deadPeerTimeoutMs ?? 10_000) / 2)

const isSignalingSource = (s: SignalingSource | readonly string[]): s is SignalingSource =>
  !Array.isArray(s) && typeof (s as SignalingSource).sendSignal === 'function'

/**
 * A ymesh peer's answer to an offer it refuses: an answer without a description. Stock peers
 * never get one; a ymesh peer that predates it fails the attempt on it, which is what it means.
 */
const REFUSAL: SignalData = Object.freeze({ type: 'answer', sdp: '' })
const isRefusal = (s: SignalData): boolean => s.type === 'answer' && s.sdp === ''

const pathOf = (paths: ReadonlySet<SignalPath>): 'mesh' | 'server' | 'mixed' =>
  paths.size > 1 ? 'mixed' : paths.has('mesh') ? 'mesh' : 'server'

const randomSession = (rng: Rng): string => {
  let out = ''
  for (const b of rng.bytes(8)) out += b.toString(16).padStart(2, '0')
  return out
}
