/**
 * An in-memory signaling server on an injected clock, for the simulator: the same JSON
 * protocol as @ymesh/signaling-server (subscribe with peerId, and optionally quiet; publish to
 * a topic or, with `to`, to one announced peer; no echo to a sender that subscribed with a
 * peerId), with a delivery latency. `tamper` plays a malicious server that edits or drops
 * publishes; `addressed: false` plays y-webrtc's server, which knows none of the extensions.
 */
import type { Clock, PeerId, Rng } from '@ymesh/protocol'
import { silentLogger, type Logger } from '../logger.js'
import { createCoreMetrics, type CoreMetrics } from '../metrics/core-metrics.js'
import { SignalingClient, type ChannelHandlers, type SignalingChannel } from './client.js'

export interface MemorySignalingHubOptions {
  /** Clock the hub delivers on (on the simulator: `sim.clock`, which no crash halts). */
  readonly clock: Clock
  /** One-way delay from the hub to each receiver. Default 20 ms. */
  readonly latencyMs?: number
  /** Honour `to` on publishes and `quiet` on subscribes (ymesh extensions). false behaves like y-webrtc's server. Default true. */
  readonly addressed?: boolean
  /**
   * Answer an addressed publish that reached nobody with `{type:'undelivered'}`, as
   * @ymesh/signaling-server does when it runs alone (behind Redis it cannot tell). Default true
   * (false also with `addressed: false`).
   */
  readonly undelivered?: boolean
  /** Rewrite (return a message) or drop (return null) each publish, as a malicious server would. */
  readonly tamper?: (message: Record<string, unknown>, from: PeerId) => Record<string, unknown> | null
}

export interface MemorySourceOptions {
  readonly localPeer: PeerId
  /** The peer's own clock (its timers stop when it crashes). */
  readonly clock: Clock
  readonly rng: Rng
  readonly metrics?: CoreMetrics
  readonly logger?: Logger
  readonly reconnectMinMs?: number
  readonly keepaliveMs?: number
}

interface Subscriber {
  readonly peer: PeerId
  readonly handlers: ChannelHandlers
  readonly topics: Map<string, PeerId | undefined>
  /** Topics it subscribed to quietly (see @ymesh/signaling-server's Hub.deliver). */
  readonly quiet: Set<string>
  open: boolean
}

export class MemorySignalingHub {
  /** Publishes delivered (one per receiver), for tests that measure signaling cost. */
  deliveries = 0
  /**
   * What a real server would count (@ymesh/signaling-server's /metrics): client → hub and
   * hub → client messages (every type) and their JSON bytes.
   */
  readonly counts = { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0 }
  /** Addressed publishes whose target was not subscribed to the topic (dropped, as a real server drops them). */
  undelivered = 0
  /**
   * Messages and JSON bytes by direction and kind: `in:subscribe`, `in:ping`, `out:pong`, and
   * publishes by what they carry — `in:publish:announce`, `out:publish:signal:offer`, ... —
   * which is where a signaling design's server cost shows.
   */
  readonly countsByType = new Map<string, { messages: number, bytes: number }>()
  private readonly subscribers = new Set<Subscriber>()
  private down = false

  constructor (private readonly options: MemorySignalingHubOptions) {}

  /** A signaling source connected to this hub. */
  createSource (options: MemorySourceOptions): SignalingClient {
    return new SignalingClient({
      localPeer: options.localPeer,
      connector: (handlers) => this.connect(options.localPeer, handlers),
      clock: options.clock,
      rng: options.rng,
      metrics: options.metrics ?? createCoreMetrics(),
      logger: options.logger ?? silentLogger,
      reconnectMinMs: options.reconnectMinMs,
      keepaliveMs: options.keepaliveMs
    })
  }

  /** Forget a peer's channels without telling it (its node crashed). */
  drop (peer: PeerId): void {
    for (const sub of this.subscribers) if (sub.peer === peer) { sub.open = false; this.subscribers.delete(sub) }
  }

  /** Close every channel (a server restart); clients reconnect. While down, connects fail. */
  restart (downForMs = 0): void {
    this.down = downForMs > 0
    for (const sub of [...this.subscribers]) this.close(sub)
    if (this.down) this.options.clock.setTimeout(() => { this.down = false }, downForMs)
  }

  private connect (peer: PeerId, handlers: ChannelHandlers): SignalingChannel {
    const sub: Subscriber = { peer, handlers, topics: new Map(), quiet: new Set(), open: false }
    const clock = this.options.clock
    const latency = this.options.latencyMs ?? 20
    if (this.down) {
      clock.setTimeout(() => { handlers.closed() }, latency)
    } else {
      this.subscribers.add(sub)
      clock.setTimeout(() => {
        if (!this.subscribers.has(sub)) return
        sub.open = true
        handlers.open()
      }, latency)
    }
    return {
      send: (message) => {
        const text = JSON.stringify(message)
        this.count('in', kindOf(message), text.length)
        clock.setTimeout(() => { this.receive(sub, JSON.parse(text) as Record<string, unknown>) }, latency)
      },
      close: () => { sub.open = false; this.subscribers.delete(sub) }
    }
  }

  private close (sub: Subscriber): void {
    if (!this.subscribers.delete(sub)) return
    const wasOpen = sub.open
    sub.open = false
    if (wasOpen) this.options.clock.setTimeout(() => { sub.handlers.closed() }, this.options.latencyMs ?? 20)
  }

  private receive (sub: Subscriber, message: Record<string, unknown>): void {
    if (!sub.open) return
    const topics = Array.isArray(message.topics) ? message.topics.filter((t): t is string => typeof t === 'string') : []
    switch (message.type) {
      case 'subscribe':
        for (const t of topics) {
          sub.topics.set(t, typeof message.peerId === 'string' ? message.peerId as PeerId : sub.topics.get(t))
          if (message.quiet === true && sub.topics.get(t) !== undefined && this.options.addressed !== false) sub.quiet.add(t)
          else sub.quiet.delete(t)
        }
        return
      case 'unsubscribe':
        for (const t of topics) { sub.topics.delete(t); sub.quiet.delete(t) }
        return
      case 'ping':
        this.deliver(sub, { type: 'pong' })
        return
      case 'publish': {
        const tampered = this.options.tamper === undefined ? message : this.options.tamper(message, sub.peer)
        if (tampered === null || typeof tampered.topic !== 'string') return
        const topic = tampered.topic
        const to = this.options.addressed === false ? undefined : tampered.to
        // As @ymesh/signaling-server: no echo to a sender that subscribed with a peerId, and a
        // ymesh sender's broadcast not marked `all` skips the quiet subscribers.
        const ymesh = sub.topics.get(topic) !== undefined
        const skipQuiet = to === undefined && ymesh && tampered.all !== true
        const receivers = [...this.subscribers].filter((s) => s.topics.has(topic) && (to === undefined || s.topics.get(topic) === to) &&
          !(s === sub && ymesh) && !(skipQuiet && s.quiet.has(topic)))
        // As @ymesh/signaling-server running alone: an addressed publish nobody took is answered.
        if (to !== undefined && receivers.length === 0) {
          this.undelivered++
          if (this.options.undelivered !== false && sub.topics.has(topic)) this.deliver(sub, { type: 'undelivered', topic, to })
        }
        const out: Record<string, unknown> = { type: 'publish', topic, data: tampered.data, clients: receivers.length }
        if (to !== undefined) out.to = to
        for (const receiver of receivers) this.deliver(receiver, out)
      }
    }
  }

  /** Open channels now (a real server's connection gauge). */
  get connections (): number {
    return this.subscribers.size
  }

  /** Topics with at least one subscriber now. */
  get topics (): number {
    const topics = new Set<string>()
    for (const s of this.subscribers) for (const t of s.topics.keys()) topics.add(t)
    return topics.size
  }

  private count (direction: 'in' | 'out', kind: string, bytes: number): void {
    if (direction === 'in') { this.counts.messagesIn++; this.counts.bytesIn += bytes } else { this.counts.messagesOut++; this.counts.bytesOut += bytes }
    const key = `${direction}:${kind}`
    const row = this.countsByType.get(key) ?? { messages: 0, bytes: 0 }
    row.messages++
    row.bytes += bytes
    this.countsByType.set(key, row)
  }

  private deliver (sub: Subscriber, message: Record<string, unknown>): void {
    this.deliveries++
    const text = JSON.stringify(message)
    this.count('out', kindOf(message), text.length)
    const copy = JSON.parse(text) as unknown
    this.options.clock.setTimeout(() => { if (sub.open) sub.handlers.message(copy) }, this.options.latencyMs ?? 20)
  }
}

/** `subscribe`, `ping`, ...; a publish as `publish:announce` or `publish:signal:<first signal's type>` (plain data only). */
const kindOf = (message: Record<string, unknown>): string => {
  const type = typeof message.type === 'string' ? message.type : 'unknown'
  if (type !== 'publish') return type
  const data = message.data
  if (typeof data !== 'object' || data === null) return 'publish:opaque'
  const d = data as { type?: unknown, signal?: { type?: unknown } }
  if (d.type !== 'signal') return `publish:${String(d.type)}`
  return `publish:signal:${String(d.signal?.type)}`
}
