/**
 * Topic dissemination beyond neighbours: Plumtree (epidemic broadcast trees) over the
 * neighbours subscribed to a topic. New messages are pushed eagerly along a spanning tree
 * that forms by itself (a neighbour that delivers a duplicate is PRUNEd to lazy), and ids
 * are announced lazily (IHAVE) on the other edges, so a gap is pulled (IWANT + GRAFT) and
 * the tree repairs itself. docs/gossip.md says why this design and what it costs.
 */
import { ObservableV2 } from 'lib0/observable'
import {
  createEnvelope, decodeEnvelope, encodeEnvelope, ENVELOPE_SIGNING_DOMAIN, envelopeSigningInput, MessageTooLargeError,
  MESSAGE_ID_SIZE, nextHop, Tag, withSignature
} from '@ymesh/protocol'
import type { Clock, Envelope, Frame, PeerId, Rng, Timer } from '@ymesh/protocol'
import { sign, verify, type Identity } from '@ymesh/crypto'
import { InvalidOptionsError, StoppedError } from '../errors.js'
import type { Connection } from '../connections/connection.js'
import type { FrameDispatcher } from '../connections/dispatcher.js'
import type { Neighbours } from '../connections/neighbours.js'
import type { Logger } from '../logger.js'
import { MessageCache, SeenCache, type CachedMessage } from './caches.js'
import { PullTracker, type PullRequests } from './pulls.js'
import { createGossipMetrics, type GossipMetrics } from './metrics.js'
import { resolveGossipTuning, type ResolvedGossipTuning } from './options.js'
import { GOSSIP_PENALTIES, type GossipDropReason, type GossipEvents, type GossipHandler, type GossipMessage, type GossipOptions, type GossipVerdict } from './types.js'
// Re-exported so the public names stay importable from this module.
export { GOSSIP_PENALTIES } from './types.js'
export type { GossipDropReason, GossipEvents, GossipHandler, GossipMessage, GossipOptions, GossipVerdict } from './types.js'
import { decodeIHave, decodeIWant, encodeGossipControl, idKey, IHaveFlag, IWantFlag, MAX_GOSSIP_IDS } from './wire.js'

interface TopicState {
  readonly handler: GossipHandler
  readonly eager: Set<Connection>
  readonly lazy: Set<Connection>
  /** Announce-and-pull only: no eager pushes, so each peer receives one copy of each message. */
  readonly lazyOnly: boolean
  /** Duplicates in a row from each eager neighbour (reset by a first copy from it). */
  readonly duplicateStreak: Map<Connection, number>
}

interface Bucket { tokens: number, at: number }

const defaultVerify = async (envelope: Envelope): Promise<boolean> => {
  try {
    return await verify(envelope.source, ENVELOPE_SIGNING_DOMAIN, envelopeSigningInput(envelope), envelope.signature)
  } catch {
    return false // a source that is not a key or a signature of the wrong length: forged either way
  }
}

export class Gossip extends ObservableV2<GossipEvents> {
  readonly tuning: ResolvedGossipTuning
  readonly gossipMetrics: GossipMetrics
  private readonly neighbours: Neighbours
  private readonly dispatcher: FrameDispatcher
  private readonly clock: Clock
  private readonly rng: Rng
  private readonly logger: Logger
  private readonly identity: Identity | undefined
  private readonly handleEnvelopeFrames: boolean
  private readonly topics = new Map<string, TopicState>()
  private readonly remoteTopics = new Map<Connection, Set<string>>()
  private readonly seen: SeenCache
  private readonly cache: MessageCache
  private readonly verifying = new Set<string>()
  private readonly pulls: PullTracker
  private readonly pendingIHave = new Map<Connection, Map<string, Uint8Array[]>>()
  private readonly buckets = new Map<Connection, Bucket>()
  private readonly scores = new Map<PeerId, number>()
  private readonly unregister: Array<() => void> = []
  private heartbeat: Timer | null = null
  private flushTimer: Timer | null = null
  private running = false

  constructor (options: GossipOptions) {
    super()
    this.tuning = resolveGossipTuning(options.options)
    this.neighbours = options.neighbours
    this.dispatcher = options.dispatcher
    this.clock = options.clock
    this.rng = options.rng
    this.logger = options.logger
    this.identity = options.identity
    this.handleEnvelopeFrames = options.handleEnvelopeFrames ?? true
    this.gossipMetrics = createGossipMetrics(options.metrics.registry)
    this.seen = new SeenCache(this.tuning.seenMax, this.tuning.seenTtlMs)
    this.cache = new MessageCache(this.tuning.cacheMax, this.tuning.cacheMaxBytes, this.tuning.cacheTtlMs)
    this.pulls = new PullTracker({
      clock: this.clock,
      max: this.tuning.maxMissing,
      maxAttempts: this.tuning.maxPullAttempts,
      retryMs: this.tuning.graftTimeoutMs,
      onDue: (requests) => { this.pull(requests) },
      onGiveUp: () => { this.gossipMetrics.drops.inc({ reason: 'pull-gave-up' }) }
    })
  }

  get started (): boolean {
    return this.running
  }

  start (): void {
    if (this.running) return
    this.running = true
    this.unregister.push(
      this.dispatcher.handle(Tag.GossipIHave, (frame, connection) => { this.onIHave(frame, connection) }),
      this.dispatcher.handle(Tag.GossipIWant, (frame, connection) => { this.onIWant(frame, connection) })
    )
    if (this.handleEnvelopeFrames) {
      this.unregister.push(this.dispatcher.handle(Tag.Envelope, (frame, connection) => { this.onEnvelopeFrame(frame, connection) }))
    }
    this.neighbours.on('neighbour-up', this.onNeighbourUp)
    this.neighbours.on('neighbour-down', this.onNeighbourDown)
    this.heartbeat = this.clock.setInterval(() => { this.onHeartbeat() }, this.tuning.heartbeatMs)
    for (const connection of this.neighbours.all()) this.onNeighbourUp({ connection })
  }

  /** Releases every timer and listener and forgets all per-connection state; subscriptions stay. */
  stop (): void {
    if (!this.running) return
    this.running = false
    for (const off of this.unregister.splice(0)) off()
    this.neighbours.off('neighbour-up', this.onNeighbourUp)
    this.neighbours.off('neighbour-down', this.onNeighbourDown)
    if (this.flushTimer !== null) this.clock.clearTimeout(this.flushTimer)
    if (this.heartbeat !== null) this.clock.clearInterval(this.heartbeat)
    this.heartbeat = this.flushTimer = null
    for (const state of this.topics.values()) { state.eager.clear(); state.lazy.clear() }
    this.remoteTopics.clear()
    this.pulls.clear()
    this.pendingIHave.clear()
    this.buckets.clear()
    this.verifying.clear()
  }

  /**
   * Receive `topic`'s messages (each once) and relay them. One handler per topic.
   * `lazyOnly`: spread by announcements and pulls only — one copy per peer, a few round
   * trips more per hop — for small records where bytes matter more than latency.
   */
  subscribe (topic: string, handler: GossipHandler, options: { readonly lazyOnly?: boolean } = {}): void {
    if (this.topics.has(topic)) throw new InvalidOptionsError(`already subscribed to gossip topic ${JSON.stringify(topic)}; unsubscribe first`)
    encodeGossipControl({ topic, flags: 0, ids: [] }) // throws for a topic the wire cannot carry
    const lazyOnly = (options.lazyOnly ?? false) && this.tuning.lazyRepair
    const state: TopicState = { handler, eager: new Set(), lazy: new Set(), lazyOnly, duplicateStreak: new Map() }
    this.topics.set(topic, state)
    if (!this.running) return
    for (const connection of this.neighbours.all()) {
      if (this.remoteTopics.get(connection)?.has(topic) === true) this.addTopicPeer(topic, state, connection)
      this.sendControl(connection, Tag.GossipIHave, topic, IHaveFlag.Subscribe, [])
    }
  }

  unsubscribe (topic: string): void {
    if (!this.topics.delete(topic)) return
    this.pulls.forgetTopic(topic)
    if (!this.running) return
    for (const connection of this.neighbours.all()) this.sendControl(connection, Tag.GossipIHave, topic, IHaveFlag.Unsubscribe, [])
  }

  /** Sign `payload` as this peer and spread it to every subscriber of `topic`. Resolves to the message id. */
  async publish (topic: string, payloadType: number, payload: Uint8Array, options: { readonly ttl?: number } = {}): Promise<Uint8Array> {
    if (this.identity === undefined) throw new InvalidOptionsError('gossip needs an identity to publish; pass `identity` to new Gossip()')
    if (!this.running) throw new StoppedError('gossip')
    const envelope = createEnvelope({
      id: this.rng.bytes(MESSAGE_ID_SIZE),
      source: this.identity.peerId,
      destination: { kind: 'topic', topic },
      payloadType,
      payload,
      ttl: options.ttl ?? this.tuning.ttl
    })
    const signature = await this.clock.settle(sign(this.identity, ENVELOPE_SIGNING_DOMAIN, envelopeSigningInput(envelope)))
    this.publishEnvelope(withSignature(envelope, signature))
    return envelope.id
  }

  /**
   * Spread an envelope someone already signed (the sync layer signs its own updates, a
   * capability record is re-served as its author signed it). Returns false when the id was
   * seen already. The topic must be subscribed.
   */
  publishEnvelope (envelope: Envelope): boolean {
    if (!this.running) throw new StoppedError('gossip')
    if (envelope.destination.kind !== 'topic') throw new InvalidOptionsError('gossip publishes envelopes addressed to a topic')
    const state = this.topics.get(envelope.destination.topic)
    if (state === undefined) throw new InvalidOptionsError(`subscribe to ${JSON.stringify(envelope.destination.topic)} before publishing to it`)
    const bytes = encodeEnvelope(envelope)
    if (bytes.length > this.tuning.maxMessageBytes) {
      throw new MessageTooLargeError('a gossip message', bytes.length, this.tuning.maxMessageBytes, 'raise maxMessageBytes or send less at once')
    }
    const key = idKey(envelope.id)
    if (this.seen.has(key) || this.verifying.has(key)) return false
    this.accept(envelope, null, key, state, bytes)
    return true
  }

  /** A topic envelope that arrived on `connection` (when the peer demultiplexes 'envelope' frames itself). */
  receiveEnvelope (envelope: Envelope, connection: Connection): void {
    if (!this.running) return
    if (envelope.destination.kind !== 'topic') { this.drop(connection, 'not-topic'); return }
    const state = this.topics.get(envelope.destination.topic)
    if (state === undefined) { this.drop(connection, 'not-subscribed'); return }
    const key = idKey(envelope.id)
    if (this.seen.has(key) || this.verifying.has(key)) {
      this.gossipMetrics.messages.inc({ kind: 'duplicate' })
      this.cache.get(key)?.knownBy.add(connection)
      if (!this.tuning.eagerPruning || !state.eager.has(connection)) return
      // One duplicate proves little when sources and path delays vary (pruning on each one
      // over-prunes the shared tree into pieces); a streak of them marks a redundant edge.
      const streak = (state.duplicateStreak.get(connection) ?? 0) + 1
      state.duplicateStreak.set(connection, streak)
      if (streak >= this.tuning.pruneAfterDuplicates) {
        state.eager.delete(connection)
        state.duplicateStreak.delete(connection)
        state.lazy.add(connection)
        this.gossipMetrics.prunes.inc()
        this.sendControl(connection, Tag.GossipIHave, envelope.destination.topic, IHaveFlag.Prune, [])
      }
      return
    }
    this.gossipMetrics.messages.inc({ kind: 'first' })
    state.duplicateStreak.delete(connection)
    this.verifying.add(key)
    void this.verifyThenAccept(envelope, connection, key)
  }

  /** The neighbour's accumulated penalty (0 for a well-behaved one). */
  penalty (peer: PeerId): number {
    return this.scores.get(peer) ?? 0
  }

  /** Neighbours that eager-push `topic` to us and receive our eager pushes (empty when unsubscribed). */
  eagerPeers (topic: string): PeerId[] {
    return [...(this.topics.get(topic)?.eager ?? [])].map((c) => c.remotePeer)
  }

  lazyPeers (topic: string): PeerId[] {
    return [...(this.topics.get(topic)?.lazy ?? [])].map((c) => c.remotePeer)
  }

  /** Sizes of the bounded memories, for tests and metrics. */
  stats (): { readonly seen: number, readonly cached: number, readonly missing: number, readonly verifying: number } {
    return { seen: this.seen.size, cached: this.cache.size, missing: this.pulls.size, verifying: this.verifying.size }
  }

  private readonly onNeighbourUp = ({ connection }: { readonly connection: Connection }): void => {
    if (!this.remoteTopics.has(connection)) this.remoteTopics.set(connection, new Set())
    const remote = this.remoteTopics.get(connection) as Set<string>
    for (const [topic, state] of this.topics) {
      if (remote.has(topic)) this.addTopicPeer(topic, state, connection)
      this.sendControl(connection, Tag.GossipIHave, topic, IHaveFlag.Subscribe, [])
    }
  }

  private readonly onNeighbourDown = ({ connection }: { readonly connection: Connection }): void => {
    this.remoteTopics.delete(connection)
    for (const state of this.topics.values()) { state.eager.delete(connection); state.lazy.delete(connection); state.duplicateStreak.delete(connection) }
    this.pendingIHave.delete(connection)
    this.buckets.delete(connection)
    this.pulls.forgetConnection(connection)
    this.cache.forget(connection)
  }

  private isNeighbour (connection: Connection): boolean {
    return this.neighbours.get(connection.remotePeer) === connection
  }

  /** A subscribed neighbour joins the topic's mesh: eager while there is room (and always when flooding). */
  private addTopicPeer (topic: string, state: TopicState, connection: Connection): void {
    if (state.eager.has(connection) || state.lazy.has(connection) || !this.isNeighbour(connection)) return
    if (state.lazyOnly) state.lazy.add(connection)
    else if (!this.tuning.eagerPruning || state.eager.size < this.tuning.maxEager) state.eager.add(connection)
    else state.lazy.add(connection)
    // Catch-up: whatever we still hold that it has not shown it has (after a partition or a reconnect).
    if (this.tuning.lazyRepair) {
      for (const entry of this.cache.ofTopic(topic)) this.announce(entry, connection)
    }
  }

  private onEnvelopeFrame (frame: Frame, connection: Connection): void {
    if (!this.running || !this.admit(connection, 1)) return
    if (frame.payload.length > this.tuning.maxMessageBytes) { this.drop(connection, 'oversized'); return }
    let envelope: Envelope
    try {
      envelope = decodeEnvelope(frame.payload.slice()) // a copy: the cache keeps views into it
    } catch (error) {
      this.drop(connection, 'malformed', error)
      return
    }
    if (envelope.destination.kind !== 'topic') { this.drop(connection, 'not-topic'); return }
    this.receiveEnvelope(envelope, connection)
  }

  private async verifyThenAccept (envelope: Envelope, connection: Connection, key: string): Promise<void> {
    let valid: boolean
    try {
      valid = await this.clock.settle(defaultVerify(envelope))
    } catch {
      valid = false
    }
    this.verifying.delete(key)
    if (!this.running) return
    // A forged copy must not shadow the real one: its id stays unseen, so a later copy or a pull still gets through.
    if (!valid) { this.drop(connection, 'bad-signature'); return }
    const state = this.topics.get((envelope.destination as { topic: string }).topic)
    if (state === undefined || this.seen.has(key)) return
    this.accept(envelope, connection, key, state, null)
  }

  /** A new, verified message: remember it, hand it to the subscriber, push it on, announce it. */
  private accept (envelope: Envelope, from: Connection | null, key: string, state: TopicState, ownBytes: Uint8Array | null): void {
    const now = this.clock.now()
    const topic = (envelope.destination as { topic: string }).topic
    this.seen.add(key, now)
    this.pulls.resolve(key)
    if (from !== null) {
      const verdict = this.deliver(state, envelope, from, topic)
      if (verdict === 'reject') { this.drop(from, 'rejected'); return }
      if (verdict === 'ignore') return
    }
    // Our own message goes out as authored; a received one one hop further, unless its TTL is spent.
    const outbound = from === null ? envelope : nextHop(envelope)
    const bytes = outbound === null ? null : (ownBytes ?? encodeEnvelope(outbound))
    const entry = this.cache.put(key, topic, envelope, bytes?.length ?? envelope.payload.length, now)
    entry.outbound = bytes
    if (from !== null) entry.knownBy.add(from)
    if (bytes === null) return
    for (const connection of state.eager) {
      if (connection === from || connection.remotePeer === envelope.source) { entry.knownBy.add(connection); continue }
      this.sendEnvelope(connection, bytes, entry)
    }
    if (!this.tuning.lazyRepair) return
    for (const connection of state.lazy) {
      if (connection.remotePeer === envelope.source) { entry.knownBy.add(connection); continue }
      this.announce(entry, connection)
    }
  }

  private deliver (state: TopicState, envelope: Envelope, from: Connection, topic: string): GossipVerdict {
    const message: GossipMessage = {
      id: envelope.id,
      topic,
      source: envelope.source,
      payloadType: envelope.payloadType,
      payload: envelope.payload,
      hops: envelope.hops,
      from: from.remotePeer,
      envelope
    }
    try {
      const verdict = state.handler(message)
      return verdict === 'ignore' || verdict === 'reject' ? verdict : 'accept'
    } catch (error) {
      // Our subscriber's bug, not the sender's: keep spreading the message, and say so.
      this.gossipMetrics.handlerErrors.inc()
      this.logger.warn('gossip subscriber threw', { topic, error })
      return 'accept'
    }
  }

  private sendEnvelope (connection: Connection, bytes: Uint8Array, entry: CachedMessage): void {
    if (connection.send(Tag.Envelope, bytes)) {
      this.gossipMetrics.sent.inc({ kind: 'eager' })
      if (this.tuning.trustLinkDelivery) entry.knownBy.add(connection)
    }
  }

  /** Queue `entry`'s id for an IHAVE to `connection`, unless it has it or has been told often enough. */
  private announce (entry: CachedMessage, connection: Connection): void {
    if (entry.outbound === null || entry.knownBy.has(connection)) return
    if (this.tuning.trustLinkDelivery) {
      entry.knownBy.add(connection)
    } else {
      const times = entry.announced.get(connection) ?? 0
      // Re-announce with exponential spacing (0, 1, 3, 7, ... heartbeats): cheap, yet it outlasts a partition.
      if (times >= this.tuning.announceRounds) return
      if (times > 0 && this.clock.now() - entry.firstSeen < this.tuning.heartbeatMs * (2 ** times - 1)) return
      entry.announced.set(connection, times + 1)
    }
    let byTopic = this.pendingIHave.get(connection)
    if (byTopic === undefined) this.pendingIHave.set(connection, byTopic = new Map())
    let ids = byTopic.get(entry.topic)
    if (ids === undefined) byTopic.set(entry.topic, ids = [])
    ids.push(entry.envelope.id)
    this.flushTimer ??= this.clock.setTimeout(() => { this.flushIHave() }, this.tuning.ihaveDelayMs)
  }

  private flushIHave (): void {
    this.flushTimer = null
    for (const [connection, byTopic] of this.pendingIHave) {
      for (const [topic, ids] of byTopic) {
        this.gossipMetrics.idsAnnounced.inc({}, ids.length)
        this.sendControl(connection, Tag.GossipIHave, topic, 0, ids)
      }
    }
    this.pendingIHave.clear()
  }

  private onIHave (frame: Frame, connection: Connection): void {
    if (!this.running || !this.admit(connection, 1)) return
    let control
    try {
      control = decodeIHave(frame.payload)
    } catch (error) {
      this.drop(connection, 'malformed', error)
      return
    }
    if (!this.admit(connection, control.ids.length / 64)) return
    const { topic, flags, ids } = control
    let remote = this.remoteTopics.get(connection)
    if (remote === undefined) this.remoteTopics.set(connection, remote = new Set())
    const state = this.topics.get(topic)
    if ((flags & IHaveFlag.Unsubscribe) !== 0) {
      remote.delete(topic)
      state?.eager.delete(connection)
      state?.lazy.delete(connection)
      return
    }
    if ((flags & IHaveFlag.Subscribe) !== 0) {
      remote.add(topic)
      if (state !== undefined) this.addTopicPeer(topic, state, connection)
    }
    if (state === undefined) return
    if ((flags & IHaveFlag.Prune) !== 0 && state.eager.delete(connection)) state.lazy.add(connection)
    if (!this.tuning.lazyRepair) return
    for (const id of ids) {
      const key = idKey(id)
      const entry = this.cache.get(key)
      if (entry !== undefined) { entry.knownBy.add(connection); continue }
      if (this.seen.has(key) || this.verifying.has(key)) continue
      // Nothing is pushed on a lazy-only topic: pull at once instead of waiting for an eager copy.
      const wait = state.lazyOnly ? this.tuning.ihaveDelayMs : this.tuning.graftTimeoutMs
      if (!this.pulls.note(key, id, topic, connection, wait)) this.drop(connection, 'missing-full')
    }
  }

  /** Pull what was announced but has not arrived: IWANT (with GRAFT, so the tree heals) to the next announcer. */
  private pull (requests: PullRequests): void {
    if (!this.running) return
    for (const [connection, byTopic] of requests) {
      for (const [topic, ids] of byTopic) {
        const flags = this.tuning.eagerPruning && this.topics.get(topic)?.lazyOnly === false ? IWantFlag.Graft : 0
        this.gossipMetrics.idsWanted.inc({}, ids.length)
        if (flags !== 0) this.graft(topic, connection)
        this.sendControl(connection, Tag.GossipIWant, topic, flags, ids)
      }
    }
  }

  private graft (topic: string, connection: Connection): void {
    const state = this.topics.get(topic)
    if (state === undefined || state.lazyOnly || state.eager.has(connection) || !this.isNeighbour(connection)) return
    state.lazy.delete(connection)
    state.eager.add(connection)
    this.gossipMetrics.grafts.inc()
  }

  private onIWant (frame: Frame, connection: Connection): void {
    if (!this.running || !this.admit(connection, 1)) return
    let control
    try {
      control = decodeIWant(frame.payload)
    } catch (error) {
      this.drop(connection, 'malformed', error)
      return
    }
    // Each answered id costs us a message: charge for them, so a pull cannot be an amplifier.
    if (!this.admit(connection, control.ids.length / 4)) return
    if ((control.flags & IWantFlag.Graft) !== 0 && this.topics.has(control.topic)) {
      this.remoteTopics.get(connection)?.add(control.topic)
      this.graft(control.topic, connection)
    }
    for (const id of control.ids) {
      const entry = this.cache.get(idKey(id))
      if (entry === undefined || entry.topic !== control.topic || entry.outbound === null) continue
      if (connection.send(Tag.Envelope, entry.outbound)) {
        this.gossipMetrics.sent.inc({ kind: 'pulled' })
        entry.knownBy.add(connection)
      }
    }
  }

  private onHeartbeat (): void {
    const now = this.clock.now()
    this.seen.expire(now)
    this.cache.expire(now)
    if (!this.tuning.lazyRepair || this.tuning.trustLinkDelivery) return
    // Lossy links: keep announcing to every topic neighbour that has not shown it has a message.
    for (const [topic, state] of this.topics) {
      for (const entry of this.cache.ofTopic(topic)) {
        for (const connection of state.eager) if (connection.remotePeer !== entry.envelope.source) this.announce(entry, connection)
        for (const connection of state.lazy) if (connection.remotePeer !== entry.envelope.source) this.announce(entry, connection)
      }
    }
  }

  private sendControl (connection: Connection, tag: number, topic: string, flags: number, ids: readonly Uint8Array[]): void {
    for (let at = 0; at === 0 || at < ids.length; at += MAX_GOSSIP_IDS) {
      connection.send(tag, encodeGossipControl({ topic, flags, ids: ids.slice(at, at + MAX_GOSSIP_IDS) }))
    }
  }

  /** Token bucket per connection; over the limit the frame is dropped and the sender penalised. */
  private admit (connection: Connection, cost: number): boolean {
    const now = this.clock.now()
    let bucket = this.buckets.get(connection)
    if (bucket === undefined) this.buckets.set(connection, bucket = { tokens: this.tuning.rateBurst, at: now })
    bucket.tokens = Math.min(this.tuning.rateBurst, bucket.tokens + (now - bucket.at) * this.tuning.ratePerSecond / 1000)
    bucket.at = now
    if (bucket.tokens < cost) { this.drop(connection, 'rate-limited'); return false }
    bucket.tokens -= cost
    return true
  }

  private drop (connection: Connection, reason: GossipDropReason, error?: unknown): void {
    this.gossipMetrics.drops.inc({ reason })
    this.logger.debug('gossip dropped a frame', { reason, remotePeer: connection.remotePeer, error })
    const weight = GOSSIP_PENALTIES[reason]
    if (weight === 0) return
    const peer = connection.remotePeer
    const score = (this.scores.get(peer) ?? 0) + weight
    this.scores.set(peer, score)
    try {
      this.emit('penalty', [{ peer, reason, score }])
    } catch (listenerError) {
      this.logger.warn('gossip penalty listener threw', { error: listenerError })
    }
  }
}
