/**
 * Multi-hop unicast: send a message to any peer id reachable in the mesh. The routing table
 * (RoutingTableManager, fed by RouteExchange) picks the next hop; the data plane here seals
 * and signs, forwards envelopes with loop and duplicate suppression, delivers, and runs the
 * optional end-to-end acknowledgement with retries and exponential backoff.
 *
 * Forwarders read only the envelope header (destination, ttl, hops, id); the destination
 * verifies the author's signature and opens the body sealed to it.
 */
import { ObservableV2 } from 'lib0/observable'
import {
  createEnvelope, decodeEnvelope, decodeRouteAck, decodeRoutedBody, encodeEnvelope, encodeRouteAck, encodeRoutedBody,
  envelopeSigningInput, ENVELOPE_SIGNING_DOMAIN, MESSAGE_ID_SIZE, nextHop, routedSealDomain, Tag, withSignature,
  type Clock, type Envelope, type Frame, type PeerId, type Rng
} from '@ymesh/protocol'
import { openSealed, sealTo, sign, verify, type Identity } from '@ymesh/crypto'
import type { Connection } from '../connections/connection.js'
import type { FrameDispatcher } from '../connections/dispatcher.js'
import type { Neighbours } from '../connections/neighbours.js'
import { InvalidOptionsError, StoppedError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { CoreMetrics } from '../metrics/core-metrics.js'
import { DeliveryFailedError } from './errors.js'
import { resolveRouterOptions, type ResolvedRouterOptions, type RouterOptions } from './options.js'
import { RouteExchange } from './route-exchange.js'
import { RouteOptimizer } from './route-optimizer.js'
import { createRoutingMetrics, type RoutingMetrics } from './routing-metrics.js'
import { RoutingTableManager, type RouteInfo } from './routing-table.js'
import { SeenCache } from './seen-cache.js'
import { DestinationStats } from './destination-stats.js'
import { toHex } from './hex.js'

export interface RoutedMessage {
  readonly from: PeerId
  readonly payloadType: number
  /** The opened body (a copy the handler may keep). */
  readonly payload: Uint8Array
  /** Links the message crossed. */
  readonly hops: number
  /** Hex of the message id, the same in every retry. */
  readonly messageId: string
}

export type RoutedMessageHandler = (message: RoutedMessage) => void

export interface SendOptions {
  /** Wait for the destination's acknowledgement, retrying with backoff (default false). */
  readonly ack?: boolean
  /** Most links the message may cross (default the router's ttl option). */
  readonly ttl?: number
}

export interface DeliveryReport {
  readonly messageId: string
  /** True when the destination acknowledged it (only with ack). */
  readonly acknowledged: boolean
  readonly attempts: number
  /** Milliseconds from send() to the ack (null without ack). */
  readonly latencyMs: number | null
  /** Hops of the route the last attempt left on (the table's estimate). */
  readonly hops: number | null
}

export interface RouterEvents {
  /** Test and debugging hook: every envelope this peer forwards for someone else. */
  'message-forwarded': (event: { readonly id: string, readonly source: PeerId, readonly destination: PeerId, readonly from: PeerId, readonly to: PeerId, readonly hops: number }) => void
  /** Every envelope this peer sends as author (each attempt, acks included). */
  'message-sent': (event: { readonly id: string, readonly messageId: string | null, readonly destination: PeerId, readonly to: PeerId, readonly payloadType: number }) => void
  'message-delivered': (event: { readonly id: string, readonly message: RoutedMessage }) => void
  'message-dropped': (event: { readonly id: string | null, readonly reason: string, readonly from: PeerId | null }) => void
}

export interface MessageRouterInit {
  readonly identity: Identity
  readonly neighbours: Neighbours
  readonly dispatcher: FrameDispatcher
  readonly clock: Clock
  readonly rng: Rng
  readonly metrics: CoreMetrics
  readonly logger: Logger
  readonly options?: RouterOptions
  /**
   * Register the handler for 'envelope' frames (default true). Pass false when something else
   * (the Peer, sharing envelopes with gossip) decodes them and calls receiveEnvelope().
   */
  readonly registerEnvelopeHandler?: boolean
}

interface Pending {
  readonly messageId: string
  readonly destination: PeerId
  readonly payloadType: number
  readonly sealed: Uint8Array
  readonly ttl: number
  readonly startedAt: number
  attempts: number
  hops: number | null
  /** The neighbour the last attempt left through. */
  via: PeerId | null
  timer: ReturnType<Clock['setTimeout']> | null
  readonly resolve: (report: DeliveryReport) => void
  readonly reject: (error: Error) => void
}

export class MessageRouter extends ObservableV2<RouterEvents> {
  readonly options: ResolvedRouterOptions
  private readonly table: RoutingTableManager
  private readonly exchange: RouteExchange
  private readonly metrics: RoutingMetrics
  private readonly seen: SeenCache
  private readonly delivered: SeenCache
  private readonly stats: DestinationStats
  private readonly handlers = new Map<number, RoutedMessageHandler>()
  private readonly pending = new Map<string, Pending>()
  private readonly unregister: Array<() => void> = []
  private running = false

  constructor (private readonly init: MessageRouterInit) {
    super()
    this.options = resolveRouterOptions(init.options)
    const o = this.options
    this.metrics = createRoutingMetrics(init.metrics.registry)
    this.table = new RoutingTableManager({
      self: init.identity.peerId,
      // From 0, so seqnos stay one-byte varUints for long; a restarted peer learns its old seqno back (see RoutingTableManager).
      initialSeqno: 0,
      maxRoutes: o.maxRoutes,
      switchHysteresis: o.switchHysteresis,
      requestIntervalMs: o.requestIntervalMs,
      hopCost: o.hopCost
    })
    this.exchange = new RouteExchange({
      table: this.table,
      optimizer: new RouteOptimizer({ hopCost: o.hopCost, rttUnitMs: o.rttUnitMs, costHysteresis: o.costHysteresis }),
      neighbours: init.neighbours,
      dispatcher: init.dispatcher,
      clock: init.clock,
      rng: init.rng,
      metrics: this.metrics,
      logger: init.logger,
      options: o
    })
    this.seen = new SeenCache(o.seenTtlMs, o.seenMaxEntries)
    this.delivered = new SeenCache(o.deliveredTtlMs, o.seenMaxEntries)
    this.stats = new DestinationStats(1024)
    const registry = init.metrics.registry
    registry.gauge('ymesh_routing_table_size', 'Destinations with a selected route', () => [[{}, this.table.size]])
    registry.gauge('ymesh_routing_destination_latency_ms', 'Smoothed acknowledged round trip per destination, milliseconds',
      () => this.stats.rows().map(([destination, s]) => [{ destination }, s.srttMs] as const))
    registry.gauge('ymesh_routing_destination_hops', 'Hops of the last route used per destination',
      () => this.stats.rows().map(([destination, s]) => [{ destination }, s.hops] as const))
  }

  get self (): PeerId {
    return this.init.identity.peerId
  }

  get started (): boolean {
    return this.running
  }

  start (): void {
    if (this.running) return
    this.running = true
    if (this.init.registerEnvelopeHandler !== false) {
      this.unregister.push(this.init.dispatcher.handle(Tag.Envelope, (frame, connection) => { this.receiveFrame(frame, connection) }))
    }
    if (this.options.routing) this.exchange.start()
    const down = this.init.neighbours.on('neighbour-down', ({ connection }) => { this.retryVia(connection.remotePeer) })
    this.unregister.push(() => { this.init.neighbours.off('neighbour-down', down) })
  }

  /**
   * The neighbour an attempt left through went down: whatever it carried is lost, so retry
   * now (on the route the table picks without it) instead of waiting for the ack timeout.
   */
  private retryVia (neighbour: PeerId): void {
    for (const p of this.pending.values()) {
      if (p.via !== neighbour || p.timer === null || p.attempts >= this.options.maxAttempts) continue
      this.init.clock.clearTimeout(p.timer)
      p.timer = null
      void this.attempt(p)
    }
  }

  stop (): void {
    if (!this.running) return
    this.running = false
    for (const dispose of this.unregister.splice(0)) dispose()
    if (this.options.routing) this.exchange.stop()
    this.table.clear()
    this.seen.clear()
    this.delivered.clear()
    for (const p of [...this.pending.values()]) this.finish(p, new DeliveryFailedError('stopped', p.destination, p.attempts))
  }

  /** One handler per payload type; returns a function that unregisters it. */
  handle (payloadType: number, handler: RoutedMessageHandler): () => void {
    if (this.handlers.has(payloadType)) {
      throw new InvalidOptionsError(`routed payload type ${payloadType} already has a handler; unregister it first (one handler per type)`)
    }
    this.handlers.set(payloadType, handler)
    return () => { if (this.handlers.get(payloadType) === handler) this.handlers.delete(payloadType) }
  }

  /** The routing table, for introspection (destination, next hop, metric, hops, age). */
  routes (): RouteInfo[] {
    return this.table.routes(this.init.clock.now())
  }

  /** The next hop towards `destination` now, or null. */
  nextHopTo (destination: PeerId): PeerId | null {
    return this.lookup(destination, null)
  }

  /**
   * Connected neighbours whose adverts say they have a route to `destination` themselves, of at
   * most `maxHops` hops from them (1: they are connected to it).
   */
  neighboursReaching (destination: PeerId, maxHops = Infinity): PeerId[] {
    if (!this.options.routing) return []
    return this.table.neighboursWithRoute(destination, maxHops).filter((n) => this.init.neighbours.get(n) !== undefined)
  }

  /**
   * Send `payload` to `destination` through the mesh. Without ack, resolves once the message
   * left on a connection (rejects with DeliveryFailedError 'no-route' when nothing leads
   * there). With ack, resolves when the destination confirmed it, retrying with exponential
   * backoff up to maxAttempts, and rejects with 'timeout' after the last.
   */
  async send (destination: PeerId, payloadType: number, payload: Uint8Array, options: SendOptions = {}): Promise<DeliveryReport> {
    if (!this.running) throw new StoppedError('the message router')
    if (destination === this.self) throw new InvalidOptionsError('cannot route a message to this peer itself; deliver it locally')
    const ttl = options.ttl ?? this.options.ttl
    const { clock, rng } = this.init
    const messageIdBytes = rng.bytes(MESSAGE_ID_SIZE)
    const body = encodeRoutedBody({ messageId: messageIdBytes, ackRequested: options.ack === true, body: payload })
    const sealed = await clock.settle(sealTo(destination, routedSealDomain(payloadType, this.self), body, { random: (n) => rng.bytes(n) }))
    if (!this.running) throw new DeliveryFailedError('stopped', destination, 0)
    const messageId = toHex(messageIdBytes)
    this.metrics.sent.inc()
    return await new Promise<DeliveryReport>((resolve, reject) => {
      const p: Pending = {
        messageId, destination, payloadType, sealed, ttl, startedAt: clock.now(), attempts: 0, hops: null, via: null, timer: null, resolve, reject
      }
      if (options.ack === true) {
        this.pending.set(messageId, p)
        void this.attempt(p)
        return
      }
      void this.emitEnvelope(destination, payloadType, sealed, ttl, messageId).then((sent) => {
        if (sent === null) reject(new DeliveryFailedError(this.running ? 'no-route' : 'stopped', destination, 1))
        else resolve({ messageId, acknowledged: false, attempts: 1, latencyMs: null, hops: sent.hops })
      })
    })
  }

  /** Feed an envelope decoded elsewhere (see registerEnvelopeHandler). Never throws. */
  receiveEnvelope (envelope: Envelope, connection: Connection): void {
    if (!this.running) return
    const id = toHex(envelope.id)
    const from = connection.remotePeer
    if (envelope.destination.kind !== 'peer') return this.drop(id, 'not-unicast', from)
    const now = this.init.clock.now()
    // Any envelope id seen before is a loop or a duplicate: retries carry fresh ids.
    if (this.seen.checkAndAdd(id, now)) return this.drop(id, 'duplicate', from)
    const destination = envelope.destination.peer
    if (destination === this.self) {
      void this.deliver(envelope, id).catch((error: unknown) => {
        this.init.logger.warn('routed message delivery failed', { error })
      })
      return
    }
    if (!this.options.routing || !this.options.forwarding) return this.drop(id, 'forwarding-disabled', from)
    const next = nextHop(envelope)
    if (next === null) return this.drop(id, 'ttl-exhausted', from)
    const to = this.lookup(destination, from)
    if (to === null) return this.drop(id, 'no-route', from)
    if (this.transmit(to, next) === 0) return this.drop(id, 'send-failed', from)
    this.metrics.forwards.inc()
    this.emit('message-forwarded', [{ id, source: envelope.source, destination, from, to, hops: next.hops }])
  }

  private receiveFrame (frame: Frame, connection: Connection): void {
    let envelope: Envelope
    try {
      envelope = decodeEnvelope(frame.payload)
    } catch (error) {
      this.init.logger.debug('malformed envelope', { remotePeer: connection.remotePeer, error })
      return this.drop(null, 'malformed-envelope', connection.remotePeer)
    }
    this.receiveEnvelope(envelope, connection)
  }

  private drop (id: string | null, reason: string, from: PeerId | null): void {
    this.metrics.drops.inc({ reason })
    this.emit('message-dropped', [{ id, reason, from }])
  }

  private lookup (destination: PeerId, arrivedFrom: PeerId | null): PeerId | null {
    // A neighbour is reached straight away: the table may still hold a route to it learned before
    // this connection opened (through a peer whose own link to it is dead: a member that restarted).
    if (destination !== arrivedFrom && this.init.neighbours.get(destination) !== undefined) return destination
    if (this.options.routing) {
      const next = this.table.nextHop(destination, arrivedFrom)
      if (next !== null && this.init.neighbours.get(next) !== undefined) return next
    }
    // A neighbour whose adverts have not arrived yet (or routing off): straight to it.
    return destination !== arrivedFrom && this.init.neighbours.get(destination) !== undefined ? destination : null
  }

  /** Bytes handed to the connection to `to` (frame tag included), 0 when it refused them. */
  private transmit (to: PeerId, envelope: Envelope): number {
    const connection = this.init.neighbours.get(to)
    if (connection === undefined) return 0
    const payload = encodeEnvelope(envelope)
    return connection.send(Tag.Envelope, payload) ? payload.length + 1 : 0
  }

  /** Builds, signs and sends one envelope as its author; null when no next hop took it. */
  private async emitEnvelope (destination: PeerId, payloadType: number, payload: Uint8Array, ttl: number, messageId: string | null): Promise<{ id: string, hops: number | null, bytes: number, to: PeerId } | null> {
    const { clock, rng, identity } = this.init
    const unsigned = createEnvelope({ id: rng.bytes(MESSAGE_ID_SIZE), source: this.self, destination: { kind: 'peer', peer: destination }, payloadType, payload, ttl })
    const signature = await clock.settle(sign(identity, ENVELOPE_SIGNING_DOMAIN, envelopeSigningInput(unsigned)))
    if (!this.running) return null
    const envelope = withSignature(unsigned, signature)
    const id = toHex(envelope.id)
    this.seen.checkAndAdd(id, clock.now())
    const to = this.lookup(destination, null)
    const bytes = to === null ? 0 : this.transmit(to, envelope)
    if (to === null || bytes === 0) return null
    const hops = to === destination ? 1 : this.table.route(destination)?.hops ?? null
    this.emit('message-sent', [{ id, messageId, destination, to, payloadType }])
    return { id, hops, bytes, to }
  }

  private async attempt (p: Pending): Promise<void> {
    if (!this.running || !this.pending.has(p.messageId)) return
    p.attempts++
    if (p.attempts > 1) this.metrics.retries.inc()
    const sent = await this.emitEnvelope(p.destination, p.payloadType, p.sealed, p.ttl, p.messageId)
    if (!this.pending.has(p.messageId)) return
    p.via = sent?.to ?? null
    if (sent !== null) {
      p.hops = sent.hops
      if (p.attempts === 1 && sent.hops !== null) this.metrics.pathHops.observe(sent.hops)
    }
    if (p.attempts >= this.options.maxAttempts) {
      p.timer = this.init.clock.setTimeout(() => {
        this.metrics.failed.inc({ reason: 'timeout' })
        this.finish(p, new DeliveryFailedError('timeout', p.destination, p.attempts))
      }, this.timeout(p))
      return
    }
    p.timer = this.init.clock.setTimeout(() => { p.timer = null; void this.attempt(p) }, this.timeout(p))
  }

  private timeout (p: Pending): number {
    const o = this.options
    const base = this.stats.timeout(p.destination, o.minAckTimeoutMs, o.maxAckTimeoutMs) ?? o.ackTimeoutMs
    const backoff = base * o.backoffFactor ** (p.attempts - 1)
    return Math.min(o.maxAckTimeoutMs, backoff) * (1 + 0.1 * this.init.rng.float())
  }

  private finish (p: Pending, result: DeliveryReport | Error): void {
    if (!this.pending.delete(p.messageId)) return
    if (p.timer !== null) this.init.clock.clearTimeout(p.timer)
    p.timer = null
    if (result instanceof Error) p.reject(result)
    else p.resolve(result)
  }

  private async deliver (envelope: Envelope, id: string): Promise<void> {
    const { clock, identity } = this.init
    const source = envelope.source
    const ok = await clock.settle(verify(source, ENVELOPE_SIGNING_DOMAIN, envelopeSigningInput(envelope), envelope.signature).catch(() => false))
    if (!this.running) return
    if (!ok) return this.drop(id, 'bad-signature', source)
    if (envelope.payloadType === Tag.RouteAck) return this.onAck(envelope, id)
    let opened: Uint8Array
    try {
      opened = await clock.settle(openSealed(identity, routedSealDomain(envelope.payloadType, source), envelope.payload))
    } catch {
      return this.drop(id, 'unopenable', source)
    }
    if (!this.running) return
    let routed
    try {
      routed = decodeRoutedBody(opened)
    } catch {
      return this.drop(id, 'malformed-body', source)
    }
    const messageId = toHex(routed.messageId)
    const handler = this.handlers.get(envelope.payloadType)
    if (handler === undefined) return this.drop(id, 'no-handler', source)
    const duplicate = this.delivered.checkAndAdd(`${source}:${messageId}`, clock.now())
    if (routed.ackRequested) void this.sendAck(source, routed.messageId)
    if (duplicate) return this.drop(id, 'duplicate-message', source)
    const message: RoutedMessage = { from: source, payloadType: envelope.payloadType, payload: routed.body.slice(), hops: envelope.hops + 1, messageId }
    this.metrics.delivered.inc()
    this.emit('message-delivered', [{ id, message }])
    try {
      handler(message)
    } catch (error) {
      this.metrics.drops.inc({ reason: 'handler-threw' })
      this.init.logger.warn('routed message handler threw', { payloadType: envelope.payloadType, from: source, error })
    }
  }

  private async sendAck (destination: PeerId, messageId: Uint8Array): Promise<void> {
    const payload = encodeRouteAck(messageId)
    const sent = await this.emitEnvelope(destination, Tag.RouteAck, payload, this.options.ttl, null)
    if (sent === null) this.metrics.drops.inc({ reason: 'ack-no-route' })
    else this.metrics.overheadBytes.inc({ kind: 'ack' }, sent.bytes)
  }

  private onAck (envelope: Envelope, id: string): void {
    let messageId: string
    try {
      messageId = toHex(decodeRouteAck(envelope.payload))
    } catch {
      return this.drop(id, 'malformed-ack', envelope.source)
    }
    const p = this.pending.get(messageId)
    if (p === undefined || p.destination !== envelope.source) return this.drop(id, 'unexpected-ack', envelope.source)
    const latencyMs = this.init.clock.now() - p.startedAt
    this.metrics.acked.inc()
    this.metrics.ackRtt.observe(latencyMs)
    // Only first-attempt round trips estimate the path (Karn's algorithm): a retry's ack is ambiguous.
    if (p.attempts === 1) this.stats.observe(p.destination, latencyMs, envelope.hops + 1)
    this.finish(p, { messageId, acknowledged: true, attempts: p.attempts, latencyMs, hops: p.hops })
  }
}
