/**
 * createPeer(): one ymesh peer — signaling, links, authenticated connections, the connection
 * pool, frame dispatch and metrics — with start()/stop(). Everything lives in the instance,
 * so one process can run many peers (the simulator runs hundreds).
 */
import { ObservableV2 } from 'lib0/observable'
import type { Clock, Link, PeerId, Rng, SignalData, Timer, Transport } from '@ymesh/protocol'
import { topicFromRoomSecret, type Identity } from '@ymesh/crypto'
import { InvalidOptionsError, type HandshakeFailureReason } from './errors.js'
import type { Connection, ConnectionTuning } from './connections/connection.js'
import { FrameDispatcher, type FrameHandler } from './connections/dispatcher.js'
import { NeighbourSet, type Neighbours } from './connections/neighbours.js'
import {
  acceptIncoming, backoffDelay, planDials, planPrunes, resolvePoolOptions, type Candidate, type PoolOptions,
  type ResolvedPoolOptions
} from './connections/pool.js'
import { startHandshake, type PendingHandshake } from './handshake/handshake.js'
import { consoleLogger, type Logger } from './logger.js'
import { createCoreMetrics, type CoreMetrics } from './metrics/core-metrics.js'
import { ServerSignaling } from './signaling/server-signaling.js'
import type { SignalingAnnounce, SignalingSignal, SignalingSource, SignalingStatus } from './signaling/types.js'
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
  /** Accept stock y-webrtc peers as 'y-webrtc' connections. Default true. */
  readonly acceptStockPeers?: boolean
  readonly logger?: Logger
}

export type RoomSpec = string | { readonly name: string, readonly password?: string } | { readonly secret: Uint8Array, readonly name?: string }

export interface PeerEvents {
  'connection-open': (event: { readonly connection: Connection }) => void
  'connection-close': (event: { readonly connection: Connection, readonly reason: string }) => void
  'peer-discovered': (event: { readonly peer: PeerId, readonly room: string, readonly ymesh: boolean }) => void
  'handshake-failed': (event: { readonly peer: PeerId, readonly reason: HandshakeFailureReason }) => void
  status: (event: { readonly running: boolean, readonly signaling: boolean }) => void
}

interface Room {
  readonly name: string
  readonly topic: string
  readonly candidates: Map<PeerId, Candidate>
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
}

export interface Peer {
  readonly peerId: PeerId
  readonly running: boolean
  readonly metrics: CoreMetrics
  readonly neighbours: Neighbours
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
  private readonly dispatcher: FrameDispatcher
  private readonly signaling: SignalingSource
  private transport: Transport | null = null
  private ownTransport = false
  private readonly rooms = new Map<string, Room>() // by topic
  private readonly entries = new Map<PeerId, Entry>()
  private readonly membership = new Map<PeerId, Set<string>>()
  private tick: Timer | null = null
  private isRunning = false
  private readonly onAnnounce = (e: SignalingAnnounce): void => { this.guard(() => { this.announced(e) }) }
  private readonly onSignal = (e: SignalingSignal): void => { this.guard(() => { this.signalled(e) }) }
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
    this.dispatcher = new FrameDispatcher(this.metrics, this.logger)
    const s = options.signaling
    this.signaling = isSignalingSource(s)
      ? s
      : new ServerSignaling({ localPeer: this.peerId, urls: s, clock: this.clock, rng: this.rng, metrics: this.metrics, logger: this.logger })
    if (this.signaling.localPeer !== this.peerId) {
      throw new InvalidOptionsError(`the signaling source speaks for ${this.signaling.localPeer}, not for this peer (${this.peerId})`)
    }
    this.metrics.registry.gauge('ymesh_connections', 'Open connections by kind, and attempts in progress', () => {
      const counts = { ymesh: 0, 'y-webrtc': 0, connecting: 0 }
      for (const e of this.entries.values()) counts[e.connection?.kind ?? 'connecting']++
      return Object.entries(counts).map(([kind, n]) => [{ kind }, n] as const)
    })
  }

  get running (): boolean {
    return this.isRunning
  }

  /** Open connections (both kinds). */
  get connections (): Connection[] {
    const out: Connection[] = []
    for (const e of this.entries.values()) if (e.connection !== null) out.push(e.connection)
    return out
  }

  /** Open connections that serve `room` (its name). */
  connectionsIn (room: string): Connection[] {
    const topic = this.topicOf(room)
    return this.connections.filter((c) => topic !== undefined && this.serves(c.remotePeer, topic))
  }

  /** Register the handler of every inbound frame of `tag` (one per tag); returns the unregister function. */
  handle (tag: number, handler: FrameHandler): () => void {
    return this.dispatcher.handle(tag, handler)
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
    this.signaling.on('announce', this.onAnnounce)
    this.signaling.on('signal', this.onSignal)
    this.signaling.on('status', this.onStatus)
    for (const room of this.rooms.values()) this.signaling.join(room.topic, this.joinOptions.get(room.topic))
    this.signaling.start()
    this.tick = this.clock.setInterval(() => { this.guard(() => { this.maintain() }) }, this.pool.maintenanceIntervalMs)
    this.emitSafe('status', { running: true, signaling: this.signaling.connected })
  }

  /** Close every connection and attempt, stop signaling, release every timer. start() may follow. */
  stop (): void {
    if (!this.isRunning) return
    this.isRunning = false
    if (this.tick !== null) this.clock.clearInterval(this.tick)
    this.tick = null
    this.signaling.off('announce', this.onAnnounce)
    this.signaling.off('signal', this.onSignal)
    this.signaling.off('status', this.onStatus)
    for (const entry of [...this.entries.values()]) this.drop(entry, 'stopped')
    this.signaling.stop()
    if (this.ownTransport) {
      this.transport?.close()
      this.transport = null
    }
    this.emitSafe('status', { running: false, signaling: false })
  }

  private readonly joinOptions = new Map<string, { password?: string }>()

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
    if (this.rooms.has(topic)) return name
    this.rooms.set(topic, { name, topic, candidates: new Map() })
    const join = password === undefined ? {} : { password }
    this.joinOptions.set(topic, join)
    if (this.isRunning) this.signaling.join(topic, join)
    return name
  }

  leaveRoom (room: string): void {
    const topic = this.topicOf(room)
    if (topic === undefined) return
    this.rooms.delete(topic)
    this.joinOptions.delete(topic)
    if (this.isRunning) this.signaling.leave(topic)
    for (const members of this.membership.values()) members.delete(topic)
    for (const entry of [...this.entries.values()]) {
      if (!this.sharesRoom(entry)) this.drop(entry, 'left-room')
    }
  }

  /** Room names this peer is in. */
  get roomNames (): string[] {
    return [...this.rooms.values()].map((r) => r.name)
  }

  private topicOf (room: string): string | undefined {
    for (const r of this.rooms.values()) if (r.name === room || r.topic === room) return r.topic
    return undefined
  }

  private serves (remote: PeerId, topic: string): boolean {
    const entry = this.entries.get(remote)
    if (entry?.connection?.kind === 'y-webrtc' || (entry !== undefined && !entry.ymesh)) return entry.topic === topic
    return this.membership.get(remote)?.has(topic) === true || entry?.topic === topic
  }

  private sharesRoom (entry: Entry): boolean {
    for (const topic of this.rooms.keys()) if (this.serves(entry.remote, topic)) return true
    return false
  }

  private degree (topic: string): number {
    let n = 0
    for (const remote of this.entries.keys()) if (this.serves(remote, topic)) n++
    return n
  }

  private member (remote: PeerId, topic: string): void {
    let set = this.membership.get(remote)
    if (set === undefined) this.membership.set(remote, set = new Set())
    set.add(topic)
  }

  private candidate (room: Room, remote: PeerId, ymesh: boolean, fresh: boolean): void {
    const existing = room.candidates.get(remote)
    if (existing === undefined || existing.ymesh !== ymesh) {
      room.candidates.set(remote, { peer: remote, ymesh, failures: 0, notBefore: 0 })
      if (existing === undefined) this.emitSafe('peer-discovered', { peer: remote, room: room.name, ymesh })
    } else if (fresh && existing.failures >= this.pool.maxFailures) {
      existing.failures = 0
      existing.notBefore = 0
    }
  }

  private announced (e: SignalingAnnounce): void {
    const room = this.rooms.get(e.topic)
    if (room === undefined || e.from === this.peerId) return
    this.member(e.from, e.topic)
    this.candidate(room, e.from, e.ymesh, true)
    // A newcomer learns about existing ymesh peers from their replies (addressed, so cheap).
    if (e.to === undefined && e.ymesh) this.signaling.announce(e.topic, e.from)
  }

  private signalled (e: SignalingSignal): void {
    const room = this.rooms.get(e.topic)
    if (room === undefined || e.from === this.peerId || this.transport === null) return
    this.member(e.from, e.topic)
    this.candidate(room, e.from, e.ymesh, false)
    const entry = this.entries.get(e.from)
    const signal = e.signal
    if (signal.type !== 'offer') {
      if (entry === undefined || entry.connection !== null) return
      if (entry.ymesh && e.ymesh && entry.session !== e.session) return // a stale attempt's signal
      if (signal.type === 'answer' && !entry.initiator) return
      entry.link.signal(signal)
      return
    }
    if (entry !== undefined) {
      if (entry.initiator && entry.connection === null) {
        // Glare: both sides offered. ymesh peers: the smaller peer id's offer wins. Stock
        // peers: y-webrtc's rule, the higher token wins.
        const oursWins = e.ymesh ? this.peerId < e.from : (entry.token ?? 0) > (e.token ?? 0)
        this.metrics.glare.inc({ winner: oursWins ? 'local' : 'remote' })
        if (oursWins) return
        this.drop(entry, 'glare')
      } else if (e.ymesh && entry.ymesh && entry.session === e.session) {
        return // a repeated offer of the attempt we already answer
      } else {
        this.drop(entry, 'replaced') // the remote started over (restart, or it lost the connection)
      }
    }
    const degrees = [...this.rooms.keys()].filter((t) => t === e.topic || (e.ymesh && this.membership.get(e.from)?.has(t) === true)).map((t) => this.degree(t))
    if (!acceptIncoming(this.pool, e.from, degrees, this.entries.size)) {
      this.metrics.drops.inc({ reason: 'incoming-refused' })
      return
    }
    const created = this.open(e.from, e.topic, false, e.ymesh, e.session, undefined)
    created?.link.signal(signal)
  }

  private open (remote: PeerId, topic: string, initiator: boolean, ymesh: boolean, session: string | undefined, token: number | undefined): Entry | null {
    const transport = this.transport as Transport
    let link: Link
    const send = (signal: SignalData): void => {
      if (!this.isRunning || this.entries.get(remote)?.link !== link) return
      this.signaling.sendSignal(topic, remote, signal, { addressed: ymesh, ...(token === undefined ? {} : { token }), ...(ymesh && session !== undefined ? { session } : {}) })
    }
    try {
      link = transport.createLink({ remotePeer: remote, initiator, onSignal: send })
    } catch (error) {
      this.logger.warn('could not create a link', { remote, error })
      return null
    }
    const entry: Entry = { remote, topic, link, initiator, ymesh, session, token, handshake: null, connection: null }
    this.entries.set(remote, entry)
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

  private opened (entry: Entry, connection: Connection): void {
    if (this.entries.get(entry.remote) !== entry || !this.isRunning) {
      connection.close('replaced')
      return
    }
    entry.handshake = null
    entry.connection = connection
    const candidate = this.rooms.get(entry.topic)?.candidates.get(entry.remote)
    if (candidate !== undefined) { candidate.failures = 0; candidate.notBefore = 0 }
    connection.on('close', ({ reason }) => {
      if (this.entries.get(entry.remote) === entry) this.entries.delete(entry.remote)
      // Do not redial at once: a remote that pruned us would be pruned again.
      for (const room of this.rooms.values()) {
        const c = room.candidates.get(entry.remote)
        if (c !== undefined) c.notBefore = this.clock.now() + backoffDelay(this.pool, 1, this.rng)
      }
      this.emitSafe('connection-close', { connection, reason })
    })
    if (connection.kind === 'ymesh') this.neighbours.add(connection)
    this.emitSafe('connection-open', { connection })
  }

  private failed (entry: Entry, reason: HandshakeFailureReason): void {
    if (this.entries.get(entry.remote) === entry) this.entries.delete(entry.remote)
    if (reason === 'aborted') return
    for (const room of this.rooms.values()) {
      const c = room.candidates.get(entry.remote)
      if (c === undefined) continue
      c.failures++
      c.notBefore = this.clock.now() + backoffDelay(this.pool, c.failures, this.rng)
    }
    this.emitSafe('handshake-failed', { peer: entry.remote, reason })
  }

  private drop (entry: Entry, reason: string): void {
    if (this.entries.get(entry.remote) === entry) this.entries.delete(entry.remote)
    if (entry.connection !== null) entry.connection.close(reason)
    else entry.handshake?.abort()
  }

  private maintain (): void {
    if (!this.isRunning || this.transport === null) return
    const now = this.clock.now()
    const busy = new Set(this.entries.keys())
    for (const room of this.rooms.values()) {
      for (const [peer, c] of room.candidates) if (c.failures >= this.pool.maxFailures) room.candidates.delete(peer)
      const dials = planDials(this.pool, { candidates: room.candidates.values(), busy, degree: this.degree(room.topic), total: this.entries.size, now }, this.rng)
      for (const remote of dials) {
        const c = room.candidates.get(remote) as Candidate
        const session = c.ymesh ? randomSession(this.rng) : undefined
        const token = now + this.rng.float()
        if (this.open(remote, room.topic, true, c.ymesh, session, token) !== null) busy.add(remote)
      }
    }
    const degrees = new Map<string, number>()
    for (const topic of this.rooms.keys()) degrees.set(topic, this.degree(topic))
    const open = [...this.entries.values()].filter((e) => e.connection !== null).map((e) => ({
      peer: e.remote,
      quality: (e.connection as Connection).quality,
      rooms: [...this.rooms.keys()].filter((t) => this.serves(e.remote, t))
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

const isSignalingSource = (s: SignalingSource | readonly string[]): s is SignalingSource =>
  !Array.isArray(s) && typeof (s as SignalingSource).sendSignal === 'function'

const randomSession = (rng: Rng): string => {
  let out = ''
  for (const b of rng.bytes(8)) out += b.toString(16).padStart(2, '0')
  return out
}
