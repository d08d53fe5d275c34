/**
 * Topic dissemination beyond neighbours: Plumtree (epidemic broadcast trees) over the
 * neighbours subscribed to a topic, one tree per message source (trees.ts). New messages are
 * pushed eagerly along their source's tree, which forms by itself (a neighbour that delivers
 * a duplicate is PRUNEd for that source), and ids are announced lazily (IHAVE) on the other
 * edges, so a gap is pulled (IWANT + GRAFT) and the tree repairs itself. docs/gossip.md says
 * why this design and what it costs.
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
import {
  GOSSIP_PENALTIES, type GossipAuthentication, type GossipDropReason, type GossipEvents, type GossipHandler, type GossipMessage, type GossipOptions,
  type GossipVerdict, type SubscribeOptions
} from './types.js'
// Re-exported so the public names stay importable from this module.
export { GOSSIP_PENALTIES } from './types.js'
export type { GossipAuthentication, GossipDropReason, GossipEvents, GossipHandler, GossipMessage, GossipOptions, GossipVerdict, SubscribeOptions } from './types.js'
import { decodeIHave, decodeIWant, encodeGossipControl, idKey, IHaveFlag, IWantFlag } from './wire.js'
import { TopicMesh } from './trees.js'
import { Announcer, sendControl } from './announcer.js'
import { payloadMessageId, sameBytes } from './payload-id.js'
export { payloadMessageId } from './payload-id.js'

interface TopicState {
  readonly handler: GossipHandler
  readonly mesh: TopicMesh
  /** Announce-and-pull only: no eager pushes, so each peer receives one copy of each message. */
  readonly lazyOnly: boolean
  readonly authentication: GossipAuthentication
  readonly cacheTtlMs: number
  /** Duplicates in a row from each neighbour (reset by a first copy from it). */
  readonly duplicateStreak: Map<Connection, number>
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'

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
  private readonly buckets = new Map<Connection, Bucket>()
  private readonly scores = new Map<PeerId, number>()
  private readonly unregister: Array<() => void> = []
  private heartbeat: Timer | null = null
  private readonly announcer: Announcer
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
    this.announcer = new Announcer({
      clock: this.clock,
      tuning: this.tuning,
      metrics: this.gossipMetrics,
      members: (topic) => {
        const mesh = this.topics.get(topic)?.mesh
        return mesh === undefined ? undefined : { members: mesh.members, digests: mesh.memberDigests() }
      }
    })
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
    this.announcer.clear()
    if (this.heartbeat !== null) this.clock.clearInterval(this.heartbeat)
    this.heartbeat = null
    for (const state of this.topics.values()) { state.mesh.clear(); state.duplicateStreak.clear() }
    this.remoteTopics.clear()
    this.pulls.clear()
    this.buckets.clear()
    this.verifying.clear()
  }

  /**
   * Receive `topic`'s messages (each once) and relay them. One handler per topic. Options:
   * `lazyOnly` (announce and pull only), `authentication` ('envelope' or 'payload'; see
   * GossipAuthentication), `cacheTtlMs` (how long messages are kept for pulls and catch-up).
   */
  subscribe (topic: string, handler: GossipHandler, options: SubscribeOptions = {}): void {
    if (this.topics.has(topic)) throw new InvalidOptionsError(`already subscribed to gossip topic ${JSON.stringify(topic)}; unsubscribe first`)
    encodeGossipControl({ topic, flags: 0, ids: [] }) // throws for a topic the wire cannot carry
    const authentication = options.authentication ?? 'envelope'
    if (authentication !== 'envelope' && authentication !== 'payload') {
      throw new InvalidOptionsError(`gossip authentication is 'envelope' or 'payload', not ${JSON.stringify(authentication)}`)
    }
    const cacheTtlMs = options.cacheTtlMs ?? this.tuning.cacheTtlMs
    if (!(cacheTtlMs > 0)) throw new InvalidOptionsError(`gossip cacheTtlMs must be a positive number, got ${String(cacheTtlMs)}`)
    const lazyOnly = (options.lazyOnly ?? false) && this.tuning.lazyRepair
    const mesh = new TopicMesh(this.identity?.peerId ?? null, this.tuning.maxEager, this.tuning.maxSources, this.tuning.eagerPruning)
    const state: TopicState = { handler, mesh, lazyOnly, authentication, cacheTtlMs, duplicateStreak: new Map() }
    this.topics.set(topic, state)
    if (!this.running) return
    for (const connection of this.neighbours.all()) {
      if (this.remoteTopics.get(connection)?.has(topic) === true) this.addTopicPeer(topic, state, connection)
      sendControl(connection, Tag.GossipIHave, topic, IHaveFlag.Subscribe, [])
    }
  }

  unsubscribe (topic: string): void {
    if (!this.topics.delete(topic)) return
    this.pulls.forgetTopic(topic)
    if (!this.running) return
    for (const connection of this.neighbours.all()) sendControl(connection, Tag.GossipIHave, topic, IHaveFlag.Unsubscribe, [])
  }

  /** Sign `payload` as this peer and spread it to every subscriber of `topic`. Resolves to the message id. */
  /**
   * On a 'payload' topic the envelope is not signed and the id is payloadMessageId(): publishing
   * a payload that was seen already (say, an update that came by anti-entropy) does nothing.
   */
  async publish (topic: string, payloadType: number, payload: Uint8Array, options: { readonly ttl?: number } = {}): Promise<Uint8Array> {
    if (this.identity === undefined) throw new InvalidOptionsError('gossip needs an identity to publish; pass `identity` to new Gossip()')
    if (!this.running) throw new StoppedError('gossip')
    if (this.topics.get(topic)?.authentication === 'payload') {
      const unsigned = createEnvelope({
        id: payloadMessageId(topic, payloadType, payload),
        source: this.identity.peerId,
        destination: { kind: 'topic', topic },
        payloadType,
        payload,
        ttl: options.ttl ?? this.tuning.ttl
      })
      this.publishEnvelope(unsigned)
      return unsigned.id
    }
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
    this.seen.add(key, this.clock.now())
    this.pulls.resolve(key)
    this.forward(envelope, null, key, state, bytes)
    return true
  }

  /** A topic envelope that arrived on `connection` (when the peer demultiplexes 'envelope' frames itself). */
  receiveEnvelope (envelope: Envelope, connection: Connection): void {
    if (!this.running) return
    if (envelope.destination.kind !== 'topic') { this.drop(connection, 'not-topic'); return }
    const state = this.topics.get(envelope.destination.topic)
    if (state === undefined) { this.drop(connection, 'not-subscribed'); return }
    this.impliedSubscription(envelope.destination.topic, state, connection)
    const key = idKey(envelope.id)
    if (this.seen.has(key) || this.verifying.has(key)) {
      this.gossipMetrics.messages.inc({ kind: 'duplicate' })
      this.cache.get(key)?.knownBy.add(connection)
      if (this.tuning.eagerPruning && !state.lazyOnly) this.onDuplicate(envelope, connection, state)
      return
    }
    this.gossipMetrics.messages.inc({ kind: 'first' })
    state.duplicateStreak.delete(connection)
    this.verifying.add(key)
    if (state.authentication === 'payload') {
      // No envelope signature to check: the id must be the payload's digest, and the subscriber judges the rest.
      const { topic } = envelope.destination
      if (!sameBytes(envelope.id, payloadMessageId(topic, envelope.payloadType, envelope.payload))) {
        this.verifying.delete(key)
        this.drop(connection, 'bad-id')
        return
      }
      this.deliverThenForward(envelope, connection, key, state)
      return
    }
    void this.verifyThenAccept(envelope, connection, key)
  }

  /**
   * `connection` handed us a copy we had: it is not on our shortest path from this source.
   * Both ends stop pushing this source's messages over the link (PRUNE naming the message).
   */
  private onDuplicate (envelope: Envelope, connection: Connection, state: TopicState): void {
    // A streak rule (prune only after several duplicates in a row) is available, but with one
    // tree per source a single duplicate is already evidence about that source's tree.
    const streak = (state.duplicateStreak.get(connection) ?? 0) + 1
    state.duplicateStreak.set(connection, streak)
    if (streak < this.tuning.pruneAfterDuplicates) return
    state.duplicateStreak.delete(connection)
    state.mesh.prune(envelope.source, connection)
    // The author pushes its own messages to every member, whatever we say: nothing to tell it.
    if (connection.remotePeer === envelope.source) return
    this.gossipMetrics.prunes.inc()
    sendControl(connection, Tag.GossipIHave, (envelope.destination as { topic: string }).topic, IHaveFlag.Prune, [envelope.id])
  }

  /** The neighbour's accumulated penalty (0 for a well-behaved one). */
  penalty (peer: PeerId): number {
    return this.scores.get(peer) ?? 0
  }

  /**
   * Neighbours we eager-push `source`'s messages of `topic` to (its tree); without a source,
   * the neighbours a new source's tree starts with. Empty when unsubscribed or lazy-only.
   */
  eagerPeers (topic: string, source?: PeerId): PeerId[] {
    const state = this.topics.get(topic)
    if (state === undefined || state.lazyOnly) return []
    const tree = source === undefined ? [...state.mesh.members].slice(0, this.tuning.maxEager) : [...(state.mesh.peek(source) ?? [])]
    return tree.map((c) => c.remotePeer)
  }

  /** Subscribed neighbours that only get announcements (IHAVE) of `source`'s messages (or of a new source's). */
  lazyPeers (topic: string, source?: PeerId): PeerId[] {
    const state = this.topics.get(topic)
    if (state === undefined) return []
    const eager = new Set(this.eagerPeers(topic, source))
    return [...state.mesh.members].map((c) => c.remotePeer).filter((p) => !eager.has(p))
  }

  /** True when a message with this id has been delivered (or published) here and is still remembered. */
  has (id: Uint8Array): boolean {
    return this.seen.has(idKey(id))
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
      sendControl(connection, Tag.GossipIHave, topic, IHaveFlag.Subscribe, [])
    }
  }

  private readonly onNeighbourDown = ({ connection }: { readonly connection: Connection }): void => {
    this.remoteTopics.delete(connection)
    for (const [topic, state] of this.topics) {
      if (state.mesh.removeMember(connection)) this.membersChanged(topic)
      state.duplicateStreak.delete(connection)
    }
    this.announcer.forget(connection)
    this.buckets.delete(connection)
    this.pulls.forgetConnection(connection)
    this.cache.forget(connection)
  }

  private isNeighbour (connection: Connection): boolean {
    return this.neighbours.get(connection.remotePeer) === connection
  }

  /** A subscribed neighbour joins the topic's mesh (eager in every source's tree: duplicates will prune it). */
  private addTopicPeer (topic: string, state: TopicState, connection: Connection): void {
    if (!this.isNeighbour(connection) || !state.mesh.addMember(connection)) return
    this.membersChanged(topic)
    // Catch-up: whatever we still hold that it has not shown it has (after a partition or a reconnect).
    if (this.tuning.lazyRepair) {
      for (const entry of this.cache.ofTopic(topic)) this.announcer.announce(entry, connection)
    }
  }

  /**
   * A neighbour that sends us a topic's traffic is subscribed to it, whether or not its
   * SUBSCRIBE reached us (on a lossy link it may not have).
   */
  private impliedSubscription (topic: string, state: TopicState, connection: Connection): void {
    if (state.mesh.members.has(connection) || !this.isNeighbour(connection)) return
    this.remoteTopics.get(connection)?.add(topic)
    this.addTopicPeer(topic, state, connection)
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
    if (!this.running) { this.verifying.delete(key); return }
    // A forged copy must not shadow the real one: its id stays unseen, so a later copy or a pull still gets through.
    if (!valid) { this.verifying.delete(key); this.drop(connection, 'bad-signature'); return }
    const state = this.topics.get((envelope.destination as { topic: string }).topic)
    if (state === undefined) { this.verifying.delete(key); return }
    this.deliverThenForward(envelope, connection, key, state)
  }

  /**
   * A new message whose envelope checked out: the subscriber's verdict (maybe later), then
   * remember it and pass it on. The id stays in `verifying` until the verdict, so copies
   * arriving meanwhile count as duplicates and nothing is handed to the subscriber twice.
   */
  private deliverThenForward (envelope: Envelope, from: Connection, key: string, state: TopicState): void {
    const verdict = this.deliver(state, envelope, from)
    if (!isThenable(verdict)) { this.settleVerdict(envelope, from, key, state, verdict); return }
    // Not through clock.settle: a verdict may wait on the network (the simulator would stall).
    // A handler keeps runs deterministic by settling its own async work (crypto) through the clock.
    void Promise.resolve(verdict).then(
      (v) => { this.settleVerdict(envelope, from, key, state, v === 'ignore' || v === 'reject' ? v : 'accept') },
      (error: unknown) => { this.settleVerdict(envelope, from, key, state, this.handlerFailed(state, envelope, error)) }
    )
  }

  private settleVerdict (envelope: Envelope, from: Connection, key: string, state: TopicState, verdict: GossipVerdict): void {
    this.verifying.delete(key)
    // Stopped, published meanwhile, or unsubscribed (and maybe resubscribed) while the verdict was pending.
    if (!this.running || this.seen.has(key) || this.topics.get((envelope.destination as { topic: string }).topic) !== state) return
    this.seen.add(key, this.clock.now())
    this.pulls.resolve(key)
    // A rejected message goes no further than the neighbour that sent it: not pushed, announced nor cached.
    if (verdict === 'reject') { this.drop(from, 'rejected'); return }
    if (verdict === 'ignore') return
    this.forward(envelope, from, key, state, null)
  }

  /** A new message we accepted (or published): cache it, push it along its source's tree, announce it to the other members. */
  private forward (envelope: Envelope, from: Connection | null, key: string, state: TopicState, ownBytes: Uint8Array | null): void {
    const now = this.clock.now()
    const topic = (envelope.destination as { topic: string }).topic
    // Our own message goes out as authored; a received one one hop further, unless its TTL is spent.
    const outbound = from === null ? envelope : nextHop(envelope)
    const bytes = outbound === null ? null : (ownBytes ?? encodeEnvelope(outbound))
    const entry = this.cache.put(key, topic, envelope, bytes?.length ?? envelope.payload.length, now, state.cacheTtlMs)
    entry.outbound = bytes
    if (from !== null) entry.knownBy.add(from)
    if (bytes === null) return
    const source = envelope.source
    // Straight from its author, who pushes its own messages to all its members: skip the members that told us the author is theirs.
    const fromAuthor = from !== null && from.remotePeer === source && envelope.hops === 0 && this.tuning.eagerPruning && this.tuning.trustLinkDelivery
    if (!state.lazyOnly) {
      for (const connection of state.mesh.tree(source)) {
        if (entry.knownBy.has(connection)) continue
        if (connection.remotePeer === source || (fromAuthor && state.mesh.adjacent(connection, source))) { entry.knownBy.add(connection); continue }
        this.sendEnvelope(connection, bytes, entry)
      }
    }
    if (!this.tuning.lazyRepair) return
    for (const connection of state.mesh.members) {
      if (connection.remotePeer === source) { entry.knownBy.add(connection); continue }
      this.announcer.announce(entry, connection)
    }
  }

  private deliver (state: TopicState, envelope: Envelope, from: Connection): GossipVerdict | PromiseLike<GossipVerdict | undefined | void> {
    const message: GossipMessage = {
      id: envelope.id,
      topic: (envelope.destination as { topic: string }).topic,
      source: envelope.source,
      payloadType: envelope.payloadType,
      payload: envelope.payload,
      hops: envelope.hops,
      from: from.remotePeer,
      envelope
    }
    try {
      const verdict = state.handler(message)
      if (isThenable(verdict)) return verdict
      return verdict === 'ignore' || verdict === 'reject' ? verdict : 'accept'
    } catch (error) {
      return this.handlerFailed(state, envelope, error)
    }
  }

  /**
   * Our subscriber's bug, not the sender's: counted and logged, never penalised. On an
   * 'envelope' topic the message is authentic, so it still spreads; on a 'payload' topic the
   * subscriber is the only check, so an unchecked message stays here.
   */
  private handlerFailed (state: TopicState, envelope: Envelope, error: unknown): GossipVerdict {
    this.gossipMetrics.handlerErrors.inc()
    this.logger.warn('gossip subscriber threw', { topic: (envelope.destination as { topic: string }).topic, error })
    return state.authentication === 'payload' ? 'ignore' : 'accept'
  }

  private sendEnvelope (connection: Connection, bytes: Uint8Array, entry: CachedMessage): void {
    if (connection.send(Tag.Envelope, bytes)) {
      this.gossipMetrics.sent.inc({ kind: 'eager' })
      if (this.tuning.trustLinkDelivery) entry.knownBy.add(connection)
    }
  }

  /** Our member list for `topic` changed: tell the members (batched with the next IHAVE flush). */
  private membersChanged (topic: string): void {
    if (this.tuning.eagerPruning && this.running) this.announcer.membersChanged(topic)
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
      if (state?.mesh.removeMember(connection) === true) this.membersChanged(topic)
      return
    }
    if ((flags & IHaveFlag.Subscribe) !== 0) {
      remote.add(topic)
      if (state !== undefined) this.addTopicPeer(topic, state, connection)
    }
    if (state === undefined) return
    this.impliedSubscription(topic, state, connection)
    if ((flags & IHaveFlag.Members) !== 0) { state.mesh.setMemberList(connection, ids); return }
    if ((flags & IHaveFlag.Prune) !== 0) {
      if (ids.length === 0) state.mesh.pruneAll(connection)
      for (const id of ids) {
        const entry = this.cache.get(idKey(id))
        if (entry !== undefined && entry.topic === topic) state.mesh.prune(entry.envelope.source, connection)
      }
      return
    }
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
        sendControl(connection, Tag.GossipIWant, topic, flags, ids)
      }
    }
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
    const state = this.topics.get(control.topic)
    const graft = (control.flags & IWantFlag.Graft) !== 0 && state !== undefined && !state.lazyOnly
    if (graft) this.impliedSubscription(control.topic, state, connection)
    for (const id of control.ids) {
      const entry = this.cache.get(idKey(id))
      if (entry === undefined || entry.topic !== control.topic || entry.outbound === null) continue
      // The tree of this message's source broke on the way to it: push that source's messages over this link from now on.
      if (graft && state.mesh.graft(entry.envelope.source, connection)) this.gossipMetrics.grafts.inc()
      if (connection.send(Tag.Envelope, entry.outbound)) {
        this.gossipMetrics.sent.inc({ kind: 'pulled' })
        // On a lossy link the reply may be lost after the puller's retries ran out (say, during a
        // partition): keep announcing to it until it shows it has the message.
        if (this.tuning.trustLinkDelivery) entry.knownBy.add(connection)
      }
    }
  }

  private onHeartbeat (): void {
    const now = this.clock.now()
    this.seen.expire(now)
    this.cache.expire(now)
    if (!this.tuning.lazyRepair || this.tuning.trustLinkDelivery) return
    // Lossy links: our SUBSCRIBE may have been lost, so say it again (one small frame per topic
    // and neighbour), and keep announcing to every topic neighbour that has not shown it has a message.
    for (const [topic, state] of this.topics) {
      for (const connection of this.neighbours.all()) sendControl(connection, Tag.GossipIHave, topic, IHaveFlag.Subscribe, [])
      for (const entry of this.cache.ofTopic(topic)) {
        for (const connection of state.mesh.members) if (connection.remotePeer !== entry.envelope.source) this.announcer.announce(entry, connection)
      }
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
