/**
 * The part of a signaling source that does not depend on how it reaches the server: topics,
 * announces and signals in y-webrtc's format with ymesh's additive fields, y-webrtc password
 * encryption, reconnection with exponential backoff and jitter, and a keepalive. A connector
 * supplies the actual channel (a WebSocket, or the in-memory hub).
 */
import { ObservableV2 } from 'lib0/observable'
import * as buffer from 'lib0/buffer'
import { isValidPeerIdString, type Clock, type PeerId, type Rng, type SignalData, type Timer } from '@ymesh/protocol'
import { decryptYWebrtcJson, deriveYWebrtcKey, encryptYWebrtcJson } from '@ymesh/crypto'
import type { CoreMetrics } from '../metrics/core-metrics.js'
import type { Logger } from '../logger.js'
import { announceData, MAX_BUNDLED_SIGNALS, parseData, signalData, type BundledSignal } from './messages.js'
import type { AnnounceOptions, JoinOptions, SendSignalOptions, SignalingEvents, SignalingSource } from './types.js'

/** Peers remembered as reading packed signals; beyond it the longest unheard is forgotten (it then gets unpacked signals). */
const MAX_PACKERS = 4096

/** One connection to a signaling server. */
export interface SignalingChannel {
  send(message: Record<string, unknown>): void
  close(): void
}

export interface ChannelHandlers {
  open(): void
  /** A parsed JSON message (anything; the client validates). */
  message(message: unknown): void
  /** The channel closed or failed; called at most once, also after a failed connect. */
  closed(): void
}

export type SignalingConnector = (handlers: ChannelHandlers) => SignalingChannel

export interface SignalingClientOptions {
  readonly localPeer: PeerId
  readonly connector: SignalingConnector
  readonly clock: Clock
  readonly rng: Rng
  readonly metrics: CoreMetrics
  readonly logger: Logger
  /** First reconnect delay; doubles per failure up to reconnectMaxMs, with ±50 % jitter. Default 500 ms. */
  readonly reconnectMinMs?: number
  readonly reconnectMaxMs?: number
  /** A y-webrtc `{type:'ping'}` this often; a server silent for 2.5× this is dropped and redialed. Default 20 000 ms. */
  readonly keepaliveMs?: number
  /**
   * Addressed signals of one ymesh link attempt sent within this window go out as one publish
   * (the description with its ICE candidates). Default 10 ms; 0 sends each signal alone.
   */
  readonly bundleMs?: number
}

interface Bundle { readonly topic: string, readonly to: PeerId, readonly session: string, readonly token?: number, readonly signals: BundledSignal[], timer: Timer | null }

interface TopicState {
  readonly key: Promise<CryptoKey> | null
  /** Unsubscribed from the server but still publishable (hybrid signaling's non-rendezvous members). */
  parked: boolean
  /** Subscribed quietly (see SignalingSource.quiet). */
  quiet: boolean
}

export class SignalingClient extends ObservableV2<SignalingEvents> implements SignalingSource {
  readonly localPeer: PeerId
  private readonly topics = new Map<string, TopicState>()
  private channel: SignalingChannel | null = null
  private isConnected = false
  private running = false
  private failures = 0
  private reconnectTimer: Timer | null = null
  private keepaliveTimer: Timer | null = null
  private lastHeard = 0
  /** Encryption and decryption are chained so signals keep their order through async crypto. */
  private outbound: Promise<void> = Promise.resolve()
  private inbound: Promise<void> = Promise.resolve()
  private epoch = 0
  private readonly bundles = new Map<string, Bundle>()
  /** Peers whose marker said they read packed signals, oldest first (bounded by MAX_PACKERS). */
  private readonly packers = new Set<PeerId>()

  constructor (private readonly options: SignalingClientOptions) {
    super()
    this.localPeer = options.localPeer
  }

  get connected (): boolean {
    return this.isConnected
  }

  start (): void {
    if (this.running) return
    this.running = true
    this.dial()
  }

  stop (): void {
    if (!this.running) return
    this.running = false
    this.epoch++
    if (this.reconnectTimer !== null) this.options.clock.clearTimeout(this.reconnectTimer)
    this.reconnectTimer = null
    this.stopKeepalive()
    for (const b of this.bundles.values()) if (b.timer !== null) this.options.clock.clearTimeout(b.timer)
    this.bundles.clear()
    const channel = this.channel
    this.channel = null
    channel?.close()
    this.setConnected(false)
  }

  join (topic: string, options: JoinOptions = {}): void {
    if (this.topics.has(topic)) return
    const key = options.password === undefined ? null : deriveYWebrtcKey(options.password, topic)
    key?.catch(() => {}) // a failure shows when the key is used
    this.topics.set(topic, { key, parked: false, quiet: false })
    if (this.isConnected) {
      this.sendRaw({ type: 'subscribe', topics: [topic], peerId: this.localPeer })
      this.announce(topic)
    }
  }

  leave (topic: string): void {
    if (!this.topics.delete(topic)) return
    if (this.isConnected) this.sendRaw({ type: 'unsubscribe', topics: [topic] })
  }

  /** Unsubscribe from `topic` at the server but keep publishing to it (no announces). */
  park (topic: string): void {
    const state = this.topics.get(topic)
    if (state === undefined || state.parked) return
    state.parked = true
    if (this.isConnected) this.sendRaw({ type: 'unsubscribe', topics: [topic] })
  }

  /** Subscribe to a parked topic again, and announce ourselves there. */
  unpark (topic: string): void {
    const state = this.topics.get(topic)
    if (state === undefined || !state.parked) return
    state.parked = false
    state.quiet = false
    if (this.isConnected) {
      this.sendRaw({ type: 'subscribe', topics: [topic], peerId: this.localPeer })
      this.announce(topic)
    }
  }

  quiet (topic: string, quiet: boolean): void {
    const state = this.topics.get(topic)
    if (state === undefined || state.quiet === quiet) return
    state.quiet = quiet
    if (this.isConnected && !state.parked) this.sendRaw(this.subscribeMessage([topic], quiet))
  }

  private subscribeMessage (topics: string[], quiet: boolean): Record<string, unknown> {
    return quiet ? { type: 'subscribe', topics, peerId: this.localPeer, quiet: true } : { type: 'subscribe', topics, peerId: this.localPeer }
  }

  /** Topics joined and not parked. */
  get subscribedTopics (): string[] {
    return [...this.topics].filter(([, s]) => !s.parked).map(([t]) => t)
  }

  announce (topic: string, to?: PeerId, options: AnnounceOptions = {}): void {
    const again = to === undefined ? Math.max(0, Math.floor(options.repeat ?? 0)) : 0
    this.publish(topic, announceData(this.localPeer, to, again), to, again > 0)
  }

  sendSignal (topic: string, to: PeerId, signal: SignalData, options: SendSignalOptions): void {
    const bundleMs = this.options.bundleMs ?? 10
    const session = options.session
    if (!options.addressed || session === undefined || bundleMs <= 0) {
      this.publish(topic, signalData(this.localPeer, to, signal, options.token, session, options.index, [], options.addressed && this.packers.has(to)), options.addressed ? to : undefined)
      return
    }
    const key = `${topic}\u0000${to}\u0000${session}`
    let bundle = this.bundles.get(key)
    if (bundle === undefined) {
      const b: Bundle = { topic, to, session, ...(options.token === undefined ? {} : { token: options.token }), signals: [], timer: null }
      b.timer = this.options.clock.setTimeout(() => { b.timer = null; this.flushBundle(key, b) }, bundleMs)
      this.bundles.set(key, bundle = b)
    }
    bundle.signals.push(options.index === undefined ? { signal } : { index: options.index, signal })
    if (bundle.signals.length > MAX_BUNDLED_SIGNALS) {
      if (bundle.timer !== null) this.options.clock.clearTimeout(bundle.timer)
      this.flushBundle(key, bundle)
    }
  }

  private flushBundle (key: string, bundle: Bundle): void {
    if (this.bundles.get(key) === bundle) this.bundles.delete(key)
    const [first, ...more] = bundle.signals
    if (first === undefined) return
    this.publish(bundle.topic, signalData(this.localPeer, bundle.to, first.signal, bundle.token, bundle.session, first.index, more, this.packers.has(bundle.to)), bundle.to)
  }

  /** `peer` said it reads packed signals: what we address to it from now on goes packed. */
  private notePacker (peer: PeerId): void {
    this.packers.delete(peer)
    this.packers.add(peer)
    if (this.packers.size > MAX_PACKERS) for (const oldest of this.packers) { this.packers.delete(oldest); break }
  }

  /** `all`: a broadcast that quiet subscribers get too (ymesh extension). */
  private publish (topic: string, data: Record<string, unknown>, to: PeerId | undefined, all = false): void {
    const state = this.topics.get(topic)
    if (state === undefined || !this.isConnected) {
      this.options.metrics.signalingDrops.inc({ reason: state === undefined ? 'not-joined' : 'not-connected' })
      return
    }
    const envelope = (payload: unknown): Record<string, unknown> =>
      to === undefined ? { type: 'publish', topic, data: payload, ...(all ? { all: true } : {}) } : { type: 'publish', topic, data: payload, to }
    if (state.key === null) {
      this.sendRaw(envelope(data))
      return
    }
    const key = state.key
    const epoch = this.epoch
    const clock = this.options.clock
    this.outbound = this.outbound.then(async () => {
      const sealed = await clock.settle(key.then((k) => encryptYWebrtcJson(data, k)))
      if (epoch === this.epoch) this.sendRaw(envelope(buffer.toBase64(sealed)))
    }).catch((error: unknown) => {
      this.options.metrics.signalingDrops.inc({ reason: 'encrypt-failed' })
      this.options.logger.warn('could not encrypt a signaling message', { topic, error })
    })
  }

  private sendRaw (message: Record<string, unknown>): void {
    try {
      this.channel?.send(message)
    } catch (error) {
      this.options.metrics.signalingDrops.inc({ reason: 'send-failed' })
      this.options.logger.debug('signaling send failed', { error })
    }
  }

  private dial (): void {
    if (!this.running) return
    const epoch = ++this.epoch
    const handlers: ChannelHandlers = {
      open: () => { if (epoch === this.epoch) this.opened() },
      message: (message) => { if (epoch === this.epoch) this.received(message) },
      closed: () => { if (epoch === this.epoch) this.lost() }
    }
    try {
      this.channel = this.options.connector(handlers)
    } catch (error) {
      this.options.logger.warn('could not connect to the signaling server', { error })
      this.lost()
    }
  }

  private opened (): void {
    this.failures = 0
    this.lastHeard = this.options.clock.now()
    const topics = this.subscribedTopics
    // Subscribing before announcing: the server must know our id before replies come back.
    for (const quiet of [false, true]) {
      const some = topics.filter((t) => this.topics.get(t)?.quiet === quiet)
      if (some.length > 0) this.sendRaw(this.subscribeMessage(some, quiet))
    }
    this.setConnected(true)
    for (const topic of topics) this.announce(topic)
    this.startKeepalive()
  }

  private lost (): void {
    this.channel = null
    this.epoch++
    this.stopKeepalive()
    this.setConnected(false)
    if (!this.running || this.reconnectTimer !== null) return
    const min = this.options.reconnectMinMs ?? 500
    const max = this.options.reconnectMaxMs ?? 30_000
    const delay = Math.min(max, min * 2 ** Math.min(this.failures, 20)) * (0.5 + this.options.rng.float())
    this.failures++
    this.reconnectTimer = this.options.clock.setTimeout(() => {
      this.reconnectTimer = null
      this.dial()
    }, delay)
  }

  private startKeepalive (): void {
    const every = this.options.keepaliveMs ?? 20_000
    this.keepaliveTimer = this.options.clock.setInterval(() => {
      if (this.options.clock.now() - this.lastHeard > every * 2.5) {
        this.options.logger.warn('the signaling server stopped answering; reconnecting')
        const channel = this.channel
        this.lost()
        channel?.close()
        return
      }
      this.sendRaw({ type: 'ping' })
    }, every)
  }

  private stopKeepalive (): void {
    if (this.keepaliveTimer !== null) this.options.clock.clearInterval(this.keepaliveTimer)
    this.keepaliveTimer = null
  }

  private setConnected (connected: boolean): void {
    if (this.isConnected === connected) return
    this.isConnected = connected
    this.emitSafe('status', { connected })
  }

  private received (message: unknown): void {
    this.lastHeard = this.options.clock.now()
    if (typeof message !== 'object' || message === null) {
      this.options.metrics.signalingDrops.inc({ reason: 'malformed' })
      return
    }
    const m = message as Record<string, unknown>
    if (m.type === 'pong') return
    if (m.type === 'error') {
      this.options.logger.warn('the signaling server refused a message', { code: m.code, message: m.message, topic: m.topic })
      return
    }
    if (m.type === 'undelivered') {
      // ymesh extension: an addressed publish of ours reached nobody (see SignalingUnreachable).
      if (typeof m.topic !== 'string' || !isValidPeerIdString(m.to)) {
        this.options.metrics.signalingDrops.inc({ reason: 'malformed' })
        return
      }
      if (!this.topics.has(m.topic)) {
        this.options.metrics.signalingDrops.inc({ reason: 'not-joined' })
        return
      }
      this.emitSafe('unreachable', { topic: m.topic, to: m.to })
      return
    }
    if (m.type !== 'publish') {
      this.options.metrics.signalingDrops.inc({ reason: 'unknown-type' })
      return
    }
    const topic = m.topic
    const state = typeof topic === 'string' ? this.topics.get(topic) : undefined
    if (typeof topic !== 'string' || state === undefined) {
      this.options.metrics.signalingDrops.inc({ reason: 'not-joined' })
      return
    }
    if (state.key === null) {
      this.deliver(topic, m.data)
      return
    }
    const key = state.key
    const data = m.data
    if (typeof data !== 'string') {
      this.options.metrics.signalingDrops.inc({ reason: 'not-encrypted' })
      return
    }
    const epoch = this.epoch
    const clock = this.options.clock
    this.inbound = this.inbound.then(async () => {
      let bytes: Uint8Array
      try {
        bytes = buffer.fromBase64(data)
      } catch {
        this.options.metrics.signalingDrops.inc({ reason: 'decrypt-failed' })
        return
      }
      const plain = await clock.settle(key.then((k) => decryptYWebrtcJson(bytes, k)))
      if (epoch === this.epoch && this.topics.get(topic) === state) this.deliver(topic, plain)
    }).catch(() => {
      // A garbage publish in a password room is a counted drop, never a crash (y-webrtc exits here).
      this.options.metrics.signalingDrops.inc({ reason: 'decrypt-failed' })
    })
  }

  private deliver (topic: string, data: unknown): void {
    const parsed = parseData(data)
    if (typeof parsed === 'string') {
      this.options.metrics.signalingDrops.inc({ reason: parsed })
      return
    }
    if (parsed.from === this.localPeer) return // the server echoes our own publishes
    if (parsed.to !== undefined && parsed.to !== this.localPeer) return // for someone else (broadcast fallback)
    if (parsed.packs) this.notePacker(parsed.from)
    if (parsed.type === 'announce') {
      const { type: _type, packs: _packs, ...announce } = parsed
      this.emitSafe('announce', { topic, ...announce })
    } else {
      const { type: _type, packs: _packs, more, index, ...rest } = parsed
      this.emitSafe('signal', { topic, ...rest, ...(index === undefined ? {} : { index }) })
      for (const m of more ?? []) this.emitSafe('signal', { topic, ...rest, signal: m.signal, ...(m.index === undefined ? {} : { index: m.index }) })
    }
  }

  private emitSafe<N extends keyof SignalingEvents> (name: N, event: Parameters<SignalingEvents[N]>[0]): void {
    try {
      this.emit(name, [event] as unknown as Parameters<SignalingEvents[N]>)
    } catch (error) {
      this.options.logger.warn(`a signaling '${name}' listener threw`, { error })
    }
  }
}
