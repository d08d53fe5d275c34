/**
 * HybridSignaling: a SignalingSource that sends a ymesh peer's signals through the mesh once
 * it has one, and through the server only to bootstrap, to reach stock y-webrtc peers, and as
 * the fallback when no relay path answers in time. It also teaches the room's members through
 * the mesh (rosters) and, by the rendezvous rule, keeps only a few members per room
 * subscribed at the server. docs/hybrid-signaling.md has the design and its argument.
 */
import { ObservableV2 } from 'lib0/observable'
import type { Clock, PeerId, Rng, SignalData, Timer } from '@ymesh/protocol'
import type { Identity } from '@ymesh/crypto'
import type { FrameDispatcher } from '../connections/dispatcher.js'
import type { Neighbours } from '../connections/neighbours.js'
import type { Logger } from '../logger.js'
import type { Counter } from '../metrics/registry.js'
import type { CoreMetrics } from '../metrics/core-metrics.js'
import type { MessageRouter } from '../routing/message-router.js'
import { FallbackTimer, type FallbackTimingOptions } from './fallback-timer.js'
import { SignalingLoadBalancer, type RelayCapacity } from './load-balancer.js'
import { SignalOrderBuffer } from './order-buffer.js'
import { PeerSignalingRelay } from './peer-relay.js'
import { MAX_ROSTER_ENTRIES, MAX_SIGNALS_PER_CAPSULE, type CapsuleBody, type DeclineReasonName } from './relay-wire.js'
import { RoomView } from './room-view.js'
import { REACH_NAMED, type AnnounceOptions, type JoinOptions, type SendSignalOptions, type SignalingEvents, type SignalingSignal, type SignalingSource, type SignalingStatus, type SignalingUnreachable } from './types.js'

/** dialRank of a member buried in our view: after any sighting age (those go up to 2 + 45 s / 5 s). */
const BURIED_RANK = 1_000

export interface HybridSignalingOptions {
  /** Relay other peers' signals (default true). */
  readonly relay?: boolean
  /** Relay paths each signal takes when the mesh offers them (default 2). */
  readonly paths?: number
  /** Other relays tried after declines, per capsule (default 3). */
  readonly maxRelayTries?: number
  readonly fallback?: FallbackTimingOptions
  /** Signals of one link attempt queued within this are sent as one capsule (default 5 ms). */
  readonly batchMs?: number
  /** Members that stay subscribed at the server per room (default 2). 0 or less: every member stays. */
  readonly rendezvous?: number
  /** Room neighbours (that relay) a member needs before it leaves the server topic (default 2). */
  readonly leaveAt?: number
  /** A member stays subscribed at least this long after joining (default 1 500 ms). */
  readonly minStayMs?: number
  /** Rosters go to room neighbours this often (and when one connects). Default 10 000 ms. */
  readonly rosterIntervalMs?: number
  /** A member no one saw first-hand for this long leaves the view. Default 45 000 ms. */
  readonly memberMaxAgeMs?: number
  /** Disconnect from the server while every room is parked (default true). */
  readonly disconnectWhenIdle?: boolean
  readonly relayPerSecond?: number
  readonly relayBurst?: number
  /** A member with no room neighbour announces again after this (doubling up to 30 s). Default 3 000 ms. */
  readonly reannounceMs?: number
  /**
   * A newcomer whose offer to the member that answered its announce has had no reply for this
   * long dials the next member that answered, or announces again (that member may have crashed
   * or left since it answered). At least this long, and 3× how long the first reply to the
   * announce took (a loaded server or answerer is slow on both). Default 1 000 ms: a server
   * round trip plus the answerer's createAnswer, with room to spare.
   */
  readonly bootstrapAnswerMs?: number
  /**
   * How many of the members that answer its announce a newcomer dials through the server, in
   * the same round (default 2; at least 1). The rest of the room comes through their rosters,
   * signaled through the mesh. Two give a newcomer two neighbours, so two relay paths, from the
   * start: when its first neighbour crashes while relaying its next signals, the other carries
   * them, where with one the newcomer waits out a relay timeout and dials again (the slowest
   * joins of docs/hybrid-signaling.md, "Time to connected"). Each further dial costs a link's
   * offer and answer at the server, packed (PROTOCOL.md, "Packed signals"): on the 40-peer
   * simulator join, two cost the server 43 % more bytes than one. A member that crashed or left
   * between answering and our offer costs little: a server with the ymesh extension says so at
   * once ('undelivered'), and the next answering member is dialed (otherwise the bootstrap
   * watchdog does it, once every dial is gone or silent).
   */
  readonly bootstrapDials?: number
  /**
   * Dials beyond what it needs that a member below the pool's `low`, with a room neighbour
   * already, makes (default 1). Its signals go through the mesh, so a spare dial
   * costs the server nothing; in exchange the slowest attempt no longer sets the time to `low`,
   * nor does a member that crashed after a roster named it. The surplus stays within `high`,
   * and the pool prunes it later (docs/hybrid-signaling.md, "Spare dials").
   */
  readonly spareDials?: number
  /**
   * A member with room neighbours, but fewer than it wants (the pool's `low`) while it knows of
   * members it is not connected to, that gained none for this long announces again (doubling
   * up to 30 s), so the rendezvous points answer and make room for it. A parked member that is
   * stuck so (it parked with `leaveAt` neighbours and lost one) unparks to announce, and stays
   * subscribed for 2 × reannounceMs. Its way to the parked members may run through relays that fail it (a
   * malicious or overloaded first neighbour) while the subscribed members sit at `high`.
   * Default 10 000 ms.
   */
  readonly stallMs?: number
}

export interface HybridSignalingInit {
  readonly inner: SignalingSource
  readonly identity: Identity
  readonly router: MessageRouter
  readonly neighbours: Neighbours
  /** Lets relay messages to neighbours skip the routed envelope (see PeerSignalingRelay). */
  readonly dispatcher?: FrameDispatcher
  readonly clock: Clock
  readonly rng: Rng
  readonly logger: Logger
  readonly metrics: CoreMetrics
  /** A neighbour's advertised relay capacity (capability records), if known. */
  readonly capacityOf?: (peer: PeerId) => RelayCapacity | undefined
  /** Is this neighbour connected for `topic`? (The peer knows which rooms each connection serves.) */
  readonly servesTopic?: (peer: PeerId, topic: string) => boolean
  /** Does this peer want more neighbours in `topic` (below the pool's `low`)? See stallMs. */
  readonly wantsNeighbours?: (topic: string) => boolean
  /**
   * Is a link attempt in `topic` under way: the remote answered our offer, or sent the offer we
   * answer, and the connection is not up yet? A member without room neighbours then waits for
   * it rather than announce again (on a loaded machine ICE and the handshake can outlast
   * reannounceMs; the pool gives up on attempts in time).
   */
  readonly underWay?: (topic: string) => boolean
  /**
   * A neighbour heard from within this is connected now (rosters list it at age 0); one silent
   * for longer is listed as old as its last frame. Below the connections' dead-peer timeout, and
   * a few of their ping intervals. Default 5 000 ms (pings every 2 s, timeout after 10 s).
   */
  readonly liveMs?: number
  readonly options?: HybridSignalingOptions
}

interface Batch { readonly topic: string, readonly to: PeerId, readonly session: string, readonly signals: Array<{ index: number, signal: SignalData }>, timer: Timer | null }

interface Pending {
  readonly seq: number
  readonly batch: Batch
  readonly capsule: Uint8Array
  readonly startedAt: number
  readonly tried: Set<PeerId>
  outstanding: number
  /** Relays that declined because they know no route to the target. */
  noRoute: number
  timer: Timer | null
}

interface Room {
  readonly view: RoomView
  readonly join: JoinOptions
  readonly joinedAt: number
  parked: boolean
  /** Subscribed quietly: addressable, but deaf to other ymesh members' broadcasts (see rendezvous()). */
  quiet: boolean
  /** When we last announced (or had room neighbours), and how often we announced unanswered since. */
  announcedAt: number
  announces: number
  /** Room neighbours at the last maintenance: a gain is progress (see stallMs). */
  neighboursAt: number
  /** No parking before this: a stuck member that unparked waits there for answers and offers. */
  holdUntil: number
  /** When a server reply was last passed on while we had no room neighbour (a newcomer dials bootstrapDials per announce). */
  bootstrapAt: number
  /** Replies passed on (dialed) in the current announce round. */
  bootstrapTaken: number
  /** How long the first reply to our last announce took (for the bootstrap watchdog), or null. */
  replyMs: number | null
  /** Further replies to our announce, not dialed yet: the next way in if the first goes quiet. */
  readonly spare: Map<PeerId, number>
  /** When we last answered a newcomer's announce: we stay subscribed a while, since its offer comes through the server. */
  answeredAt: number
  /** Members that answered our announce through the server, and when (they are subscribed now). */
  readonly replies: Map<PeerId, number>
  /** When our neighbours in the room last all went silent and we announced again because of it. */
  rescuedAt: number
  /** Our unanswered bootstrap offers (no room neighbour yet): who they went to (peer → session), and the watchdog that moves on. */
  bootstrap: { readonly to: Map<PeerId, string>, readonly since: number, readonly timer: Timer } | null
  /** Per member, whether rosters say it is parked (off the server topic), as of when (first-hand sighting time). */
  readonly serverState: Map<PeerId, { parked: boolean, at: number }>
  /** Per member, when we last heard from it through the server (an announce, a reply, a signal): it was subscribed then. */
  readonly serverSeen: Map<PeerId, number>
}

/** Counts for tests and the bench (also exported as metrics). */
export interface HybridStats {
  /** Capsules acknowledged by their target through the mesh. */
  relayed: number
  /** Capsules whose signals went to the server after the relay paths failed or timed out. */
  fallbacks: number
  /** Signals sent through the server: bootstrap, stock peers, fallback. */
  serverSignals: number
  declines: number
  /** Acks that came after the capsule's signals had gone to the server (a fallback that was not needed). */
  lateAcks: number
  /** Members learned through rosters. */
  learned: number
  /** Broadcast announces at the server this peer answered, and left to the designated rendezvous point. */
  answered: number
  ignored: number
  /** Announces repeated (see reannounceReasons for why). */
  reannounced: number
  /** Bootstrap offers that went unanswered and moved on to another member that answered the same announce. */
  nextReply: number
  /**
   * Repeated announces by why: 'unanswered' (no room neighbour after the backoff), 'stuck'
   * (below `low`, see stallMs), 'bootstrap' (our offer to the answering member got no reply in
   * bootstrapAnswerMs), 'silent' (every room neighbour went quiet while relaying for us).
   */
  readonly reannounceReasons: Record<string, number>
  /**
   * Fallbacks not sent to the server because rosters say the target is parked (off the server
   * topic, so the server would drop them); the relayed copies are its only way.
   */
  withheld: number
  /** Fallbacks by why: 'timeout', 'no-relay' (no path offered), 'declined' (every path refused), 'silent' (every path through a neighbour gone quiet). */
  readonly fallbackReasons: Record<string, number>
  readonly declineReasons: Record<string, number>
  /** Members dropped from our views because our connection to them timed out, or they said they left. */
  buried: number
  /** Times this member went back on the server topic because a rendezvous point of its view died or left. */
  rescueUnparks: number
}

/** What reannounceAfter looks at: a room as one member sees it at a maintenance tick. */
export interface AnnounceState {
  readonly parked: boolean
  /** Room neighbours now, and whether that is more than at the previous tick. */
  readonly neighbours: number
  readonly gained: boolean
  /** Members this peer knows of (its room view). */
  readonly known: number
  /** Whether it wants more room neighbours (below the pool's `low`). */
  readonly wants: boolean
  /** Announces since it last had what it needed. */
  readonly announces: number
}

/**
 * How long after its last announce a member announces again, or null when it has no reason to
 * (and its count starts over): a member with no room neighbour after reannounceMs; one stuck
 * below the neighbours it wants, gaining none, while it knows of members it is not connected
 * to, after stallMs. Both double per unanswered announce, up to 30 s.
 */
export const reannounceAfter = (s: AnnounceState, o: { readonly reannounceMs: number, readonly stallMs: number }): number | null => {
  const stuck = s.neighbours > 0 && s.wants && s.known > s.neighbours
  // A parked member announces only when stuck (it unparks to do so); one with no neighbour left unparks anyway.
  if (s.gained || (s.neighbours > 0 && !stuck) || (s.parked && !stuck)) return null
  return Math.min(30_000, (stuck ? o.stallMs : o.reannounceMs) * 2 ** Math.min(s.announces, 10))
}

export class HybridSignaling extends ObservableV2<SignalingEvents> implements SignalingSource {
  readonly localPeer: PeerId
  readonly relay: PeerSignalingRelay
  readonly balancer: SignalingLoadBalancer
  readonly timing: FallbackTimer
  readonly stats: HybridStats = { relayed: 0, fallbacks: 0, lateAcks: 0, serverSignals: 0, declines: 0, learned: 0, answered: 0, ignored: 0, reannounced: 0, nextReply: 0, reannounceReasons: {}, withheld: 0, fallbackReasons: {}, declineReasons: {}, buried: 0, rescueUnparks: 0 }
  private readonly o: Required<Omit<HybridSignalingOptions, 'fallback' | 'relayPerSecond' | 'relayBurst'>>
  private readonly inner: SignalingSource
  private readonly rooms = new Map<string, Room>()
  private readonly batches = new Map<string, Batch>()
  private readonly indexes = new Map<string, number>()
  private readonly pending = new Map<number, Pending>()
  /** Capsules that fell back to the server on timeout, by seq: a late ack still measures the relay round trip. */
  private readonly late = new Map<number, { readonly to: PeerId, readonly startedAt: number }>()
  private readonly order: SignalOrderBuffer<SignalingSignal>
  private readonly signalsSent: Counter
  private nextSeq: number
  private readonly liveMs: number
  private tick: Timer | null = null
  private lastRoster = 0
  private running = false
  private idle = false
  private readonly serverQueue: Array<() => void> = []
  /** Per author: the neighbour its last capsule came through, which can reach it (the reply path). */
  private readonly replyVia = new Map<PeerId, PeerId>()
  /** Acks owed per author, sent in our next capsule to it (or an ack-only one). */
  private readonly acksOwed = new Map<PeerId, { seqs: number[], timer: Timer | null }>()
  /** Per member learned from a roster: the neighbour that listed it, a relay that knows it (a newcomer's first neighbour). */
  private readonly introducer = new Map<PeerId, PeerId>()
  /** Per member: when a neighbour's roster said it is connected to it (age 0), so its introducer relays in one hop. */
  private readonly adjacentAt = new Map<PeerId, number>()
  /** Broadcast announces seen per `topic|peer`: a repeated one means nobody answered the first. */
  private readonly announcesSeen = new Map<string, number>()
  /** Per author: the neighbours its last capsule named as reaching it (sealed by it). */
  private readonly reachOf = new Map<PeerId, PeerId[]>()
  /** Rosters from a connection still opening on our side, looked at again shortly. */
  private readonly lateRosters = new Set<Timer>()
  /** `peer|session` of link attempts whose remote signals came through the server: we answer the same way. */
  private readonly serverSessions = new Set<string>()
  /** `author|seq` of recent capsules that carried signals (so their duplicates are acked again). */
  private readonly withSignals = new Set<string>()

  constructor (private readonly init: HybridSignalingInit) {
    super()
    const o = init.options ?? {}
    this.o = {
      relay: o.relay ?? true,
      paths: o.paths ?? 2,
      maxRelayTries: o.maxRelayTries ?? 3,
      batchMs: o.batchMs ?? 5,
      rendezvous: o.rendezvous ?? 2,
      leaveAt: o.leaveAt ?? 2,
      minStayMs: o.minStayMs ?? 1_500,
      rosterIntervalMs: o.rosterIntervalMs ?? 10_000,
      memberMaxAgeMs: o.memberMaxAgeMs ?? 45_000,
      disconnectWhenIdle: o.disconnectWhenIdle ?? true,
      reannounceMs: o.reannounceMs ?? 3_000,
      stallMs: o.stallMs ?? 10_000,
      bootstrapAnswerMs: o.bootstrapAnswerMs ?? 1_000,
      bootstrapDials: Math.max(1, Math.floor(o.bootstrapDials ?? 2)),
      spareDials: Math.max(0, Math.floor(o.spareDials ?? 1))
    }
    this.inner = init.inner
    this.localPeer = init.inner.localPeer
    this.liveMs = init.liveMs ?? 5_000
    this.timing = new FallbackTimer(o.fallback)
    // Sequence numbers start at the clock so a restarted author is ahead of its old capsules (replay window).
    this.nextSeq = Math.max(1, Math.floor(init.clock.now()))
    this.balancer = new SignalingLoadBalancer({
      rng: init.rng,
      now: () => init.clock.now(),
      capacityOf: init.capacityOf ?? (() => undefined),
      lastHeardAt: (peer) => init.neighbours.get(peer)?.quality.lastReceivedAt
    })
    this.order = new SignalOrderBuffer(init.clock, (e) => { this.emitSafe('signal', e) }, 2 * this.timing.ceilingMs)
    this.relay = new PeerSignalingRelay({
      identity: init.identity,
      router: init.router,
      neighbours: init.neighbours,
      ...(init.dispatcher === undefined ? {} : { dispatcher: init.dispatcher }),
      clock: init.clock,
      rng: init.rng,
      logger: init.logger,
      metrics: init.metrics,
      relay: this.o.relay,
      ...(o.relayPerSecond === undefined ? {} : { relayPerSecond: o.relayPerSecond }),
      ...(o.relayBurst === undefined ? {} : { relayBurst: o.relayBurst }),
      handlers: {
        signals: (from, body, via, seq) => { this.relayedSignals(from, body, via, seq) },
        // Only capsules with signals are acked: acking a copy of an ack-only capsule would ping-pong forever.
        duplicate: (from, via, seq) => { this.hint(from, via); if (this.withSignals.has(`${from}|${seq}`)) this.queueAck(from, seq) },
        ack: (from, seq) => { this.acked(from, seq) },
        decline: (relay, target, seq, reason) => { this.declined(relay, target, seq, reason) },
        roster: (from, topic, entries, parked, relayRttMs) => { this.rosterFrom(from, topic, entries, parked, relayRttMs) }
      }
    })
    this.signalsSent = init.metrics.registry.counter('ymesh_hybrid_signals_total', 'Signals sent, by path (relay, server, fallback)')
  }

  get connected (): boolean {
    return this.inner.connected
  }

  start (): void {
    if (this.running) return
    this.running = true
    this.inner.on('announce', this.onAnnounce)
    this.inner.on('signal', this.onSignal)
    this.inner.on('status', this.onStatus)
    this.inner.on('unreachable', this.onUnreachable)
    this.init.neighbours.on('neighbour-up', this.onNeighbourUp)
    this.init.neighbours.on('neighbour-down', this.onNeighbourDown)
    this.relay.start()
    this.inner.start()
    this.tick = this.init.clock.setInterval(() => { this.maintain() }, 1_000)
  }

  stop (): void {
    if (!this.running) return
    this.running = false
    this.inner.off('announce', this.onAnnounce)
    this.inner.off('signal', this.onSignal)
    this.inner.off('status', this.onStatus)
    this.inner.off('unreachable', this.onUnreachable)
    this.init.neighbours.off('neighbour-up', this.onNeighbourUp)
    this.init.neighbours.off('neighbour-down', this.onNeighbourDown)
    this.relay.stop()
    if (this.tick !== null) this.init.clock.clearInterval(this.tick)
    this.tick = null
    for (const b of this.batches.values()) if (b.timer !== null) this.init.clock.clearTimeout(b.timer)
    for (const p of this.pending.values()) if (p.timer !== null) this.init.clock.clearTimeout(p.timer)
    for (const a of this.acksOwed.values()) if (a.timer !== null) this.init.clock.clearTimeout(a.timer)
    for (const t of this.lateRosters) this.init.clock.clearTimeout(t)
    this.lateRosters.clear()
    this.acksOwed.clear()
    this.replyVia.clear()
    this.introducer.clear()
    this.adjacentAt.clear()
    this.reachOf.clear()
    this.withSignals.clear()
    this.serverSessions.clear()
    this.announcesSeen.clear()
    this.batches.clear()
    this.pending.clear()
    this.late.clear()
    this.order.clear()
    this.serverQueue.length = 0
    for (const [topic, room] of this.rooms) {
      this.bootstrapDone(room)
      // unpark subscribes loud
      if (room.parked) { room.parked = false; room.quiet = false; this.inner.unpark?.(topic) }
    }
    this.idle = false
    this.inner.stop()
  }

  join (topic: string, options: JoinOptions = {}): void {
    if (!this.rooms.has(topic)) {
      const now = this.init.clock.now()
      this.rooms.set(topic, { view: new RoomView(topic, this.localPeer, this.o.memberMaxAgeMs), join: options, joinedAt: now, parked: false, quiet: false, announcedAt: now, announces: 0, neighboursAt: 0, holdUntil: -Infinity, bootstrapAt: -Infinity, bootstrapTaken: 0, replyMs: null, spare: new Map(), answeredAt: -Infinity, replies: new Map(), rescuedAt: -Infinity, bootstrap: null, serverState: new Map(), serverSeen: new Map() })
    }
    this.wake()
    this.inner.join(topic, options)
  }

  leave (topic: string): void {
    const room = this.rooms.get(topic)
    this.rooms.delete(topic)
    if (room !== undefined) this.bootstrapDone(room)
    if (room?.parked === true) this.inner.unpark?.(topic)
    this.inner.leave(topic)
  }

  announce (topic: string, to?: PeerId, options?: AnnounceOptions): void {
    this.toServer(() => { this.inner.announce(topic, to, options) })
  }

  /** Rooms where this peer is parked (unsubscribed at the server). */
  parkedTopics (): string[] {
    return [...this.rooms].filter(([, r]) => r.parked).map(([t]) => t)
  }

  /** See HybridSignalingOptions.spareDials. */
  get spareDials (): number {
    return this.o.spareDials
  }

  /** Members of `topic` this peer knows of through the server and the mesh. */
  members (topic: string): number {
    return this.rooms.get(topic)?.view.size ?? 0
  }

  /**
   * How early the pool should dial `peer` in `topic`, lower first: a member that answered our
   * announce through the server within reannounceMs (it is subscribed now — when our mesh paths
   * died, members learned through them may be parked and out of reach); then members a
   * neighbour's roster said it is connected to, within 1.5 s (one relay hop away: a member two
   * hops away costs a newcomer ~4 link latencies more); then by how stale their last sighting
   * is: a crashed member still listed in rosters costs an answer timeout; members buried (see
   * onNeighbourDown) last.
   */
  dialRank (topic: string, peer: PeerId): number {
    const room = this.rooms.get(topic)
    if (room === undefined) return 0
    const now = this.init.clock.now()
    const replied = room.replies.get(peer)
    if (replied !== undefined && now - replied < this.o.reannounceMs) return -1
    // Our connection to it timed out (or it said it left), and nothing newer came: last.
    if (room.view.isBuried(peer)) return BURIED_RANK
    const introducer = this.introducer.get(peer)
    if (introducer !== undefined && this.init.neighbours.get(introducer) !== undefined && now - (this.adjacentAt.get(peer) ?? -Infinity) < 1_500) return 0
    const age = room.view.ageOf(peer, now)
    return age === undefined || age < 1_500 ? 1 : 2 + Math.floor(age / 5_000)
  }

  sendSignal (topic: string, to: PeerId, signal: SignalData, options: SendSignalOptions): void {
    const session = options.session
    if (!options.addressed || session === undefined) {
      // Stock y-webrtc peers expect their signals from the server, as a broadcast.
      this.toServer(() => { this.inner.sendSignal(topic, to, signal, options) })
      this.stats.serverSignals++
      this.signalsSent.inc({ path: 'server' })
      return
    }
    const key = `${to}|${session}`
    const index = this.indexes.get(key) ?? 0
    this.indexes.set(key, index + 1)
    if (this.indexes.size > 4096) this.indexes.delete(this.indexes.keys().next().value as string)
    // A target no route and no reply path leads to is not in our mesh yet (a newcomer): relays would only decline.
    // A remote whose signals of this attempt came through the server gets ours the same way: it may
    // be a member that restarted, which stale routes still lead to its previous incarnation.
    // So does a member that answered our announce just now: it is subscribed, and we announced
    // because our mesh paths did not get us in (see stallMs).
    const replied = this.rooms.get(topic)?.replies.get(to)
    const reachable = !this.serverSessions.has(key) && (replied === undefined || this.init.clock.now() - replied >= this.o.reannounceMs) && (this.init.neighbours.get(to) !== undefined || this.init.router.nextHopTo(to) !== null || this.replyVia.has(to) ||
      this.introducer.has(to) || this.reachOf.has(to))
    if (!this.running || this.init.neighbours.size === 0 || !this.init.router.started || !reachable) {
      if (signal.type === 'offer') this.watchBootstrap(topic, to, session)
      this.serverSignal(topic, to, session, index, signal, options.token)
      return
    }
    let batch = this.batches.get(key)
    if (batch === undefined || batch.signals.length >= MAX_SIGNALS_PER_CAPSULE) {
      batch = { topic, to, session, signals: [], timer: null }
      this.batches.set(key, batch)
      const b = batch
      batch.timer = this.init.clock.setTimeout(() => { b.timer = null; this.flush(key, b) }, this.o.batchMs)
    }
    batch.signals.push({ index, signal })
  }

  private serverSignal (topic: string, to: PeerId, session: string, index: number, signal: SignalData, token?: number): void {
    this.stats.serverSignals++
    this.signalsSent.inc({ path: 'server' })
    this.toServer(() => { this.inner.sendSignal(topic, to, signal, { addressed: true, session, index, ...(token === undefined ? {} : { token }) }) })
  }

  private flush (key: string, batch: Batch): void {
    if (this.batches.get(key) === batch) this.batches.delete(key)
    if (!this.running) return
    const seq = this.nextSeq++
    const room = this.rooms.get(batch.topic)
    const body: CapsuleBody = {
      topic: batch.topic, session: batch.session, signals: batch.signals, acks: this.takeAcks(batch.to), reach: this.reachVia(),
      ...(room === undefined ? {} : { parked: room.parked })
    }
    this.relay.seal(batch.to, seq, body).then((capsule) => {
      if (!this.running) return
      const p: Pending = { seq, batch, capsule, startedAt: this.init.clock.now(), tried: new Set(), outstanding: 0, noRoute: 0, timer: null }
      this.pending.set(seq, p)
      p.timer = this.init.clock.setTimeout(() => { p.timer = null; this.fallback(p, 'timeout') }, this.timing.timeoutMs())
      for (const [via, counted] of this.paths(batch.to)) this.launch(p, via, counted)
      if (p.outstanding === 0) this.fallback(p, 'no-relay')
    }, (error: unknown) => {
      this.init.logger.warn('could not seal a relayed signal; using the server', { error })
      for (const s of batch.signals) this.serverSignal(batch.topic, batch.to, batch.session, s.index, s.signal)
    })
  }

  /**
   * Where a capsule to `to` goes, as [via, relay] pairs: straight to a neighbour; else the
   * router's route — its first hop asked to relay (relayed-signal-hop frames all the way when
   * that hop is connected to `to`), or a routed envelope (via = to) when it does not relay —
   * the neighbour `to` last reached us through, and relays chosen by load; first hops all
   * different.
   */
  private paths (to: PeerId): Array<[PeerId, PeerId]> {
    if (this.init.neighbours.get(to) !== undefined) {
      // Its last capsule came around our connection to it, through a relay: the connection may
      // be to an earlier incarnation (a page closed and reopened) whose link is not dead yet, so
      // the relay it used carries a copy too.
      const around = this.replyVia.get(to)
      return around !== undefined && around !== to && this.init.neighbours.get(around) !== undefined ? [[to, to], [around, around]] : [[to, to]]
    }
    const out: Array<[PeerId, PeerId]> = []
    const first = this.init.router.nextHopTo(to)
    // A routed envelope costs a seal and a signature from us and a verify and an open at `to`
    // (~15 WebCrypto operations, which queue behind everything a busy peer verifies); the
    // capsule is sealed end to end already, so a relay request to the same first hop is enough.
    if (first !== null && !this.balancer.isSilent(first)) out.push([this.balancer.willRelay(first) ? first : to, first])
    // The relay `to`'s last capsule came from, and the neighbour that introduced `to` (its first
    // neighbour, for a newcomer): both are connected to it now, before any route to it converged.
    for (const relay of [this.replyVia.get(to), ...(this.reachOf.get(to) ?? []), this.introducer.get(to)]) {
      if (out.length >= this.o.paths || relay === undefined || relay === to || out.some(([, r]) => r === relay)) continue
      if (this.reaches(relay) && this.balancer.willRelay(relay)) out.push([relay, this.init.neighbours.get(relay) !== undefined ? relay : (this.init.router.nextHopTo(relay) ?? relay)])
    }
    const used = new Set(out.map(([, r]) => r))
    for (const relay of this.pickRelays(to, this.o.paths - out.length, used)) out.push([relay, relay])
    return out
  }

  /**
   * Relays for a capsule to `to`, by load: among the neighbours connected to `to` when there
   * are any (they hand it over in one hop frame, where others route an envelope), then among
   * those whose adverts reach `to` (others would decline 'no-route'), else among all (routes
   * to a newcomer may still be converging).
   */
  private pickRelays (to: PeerId, count: number, used: ReadonlySet<PeerId>): PeerId[] {
    const exclude = new Set([...used, to])
    const usable = (maxHops: number): PeerId[] => this.init.router.neighboursReaching(to, maxHops).filter((r) => !exclude.has(r) && this.balancer.willRelay(r))
    const picked = this.balancer.pick(usable(1), count, exclude)
    if (picked.length >= count) return picked
    for (const r of picked) exclude.add(r)
    const reaching = usable(Infinity)
    return [...picked, ...this.balancer.pick(reaching.length > 0 ? reaching : this.neighbourIds(), count - picked.length, exclude)]
  }

  private reaches (peer: PeerId): boolean {
    return this.init.neighbours.get(peer) !== undefined || this.init.router.nextHopTo(peer) !== null
  }

  private hint (author: PeerId, via: PeerId): void {
    this.replyVia.delete(author)
    // Straight from the author: our connection to it works, and is the way back.
    if (via === author) return
    this.replyVia.set(author, via)
    if (this.replyVia.size > 1024) this.replyVia.delete(this.replyVia.keys().next().value as PeerId)
  }

  /** Owe `author` an ack for capsule `seq`: it rides on our next capsule to it, or goes alone after batchMs. */
  private queueAck (author: PeerId, seq: number): void {
    let owed = this.acksOwed.get(author)
    if (owed === undefined) {
      owed = { seqs: [], timer: null }
      this.acksOwed.set(author, owed)
    }
    if (owed.seqs.length < 256 && !owed.seqs.includes(seq)) owed.seqs.push(seq)
    if (owed.timer === null) owed.timer = this.init.clock.setTimeout(() => { this.sendAcks(author) }, this.o.batchMs)
  }

  private takeAcks (author: PeerId): number[] {
    const owed = this.acksOwed.get(author)
    if (owed === undefined) return []
    this.acksOwed.delete(author)
    if (owed.timer !== null) this.init.clock.clearTimeout(owed.timer)
    return owed.seqs
  }

  /** An ack-only capsule: sealed like signals, so no relay can forge an ack and suppress the fallback. */
  private sendAcks (author: PeerId): void {
    const acks = this.takeAcks(author)
    if (!this.running || acks.length === 0) return
    this.relay.seal(author, this.nextSeq++, { topic: '', session: '', signals: [], acks, reach: this.reachVia() }).then((capsule) => {
      if (!this.running) return
      // One path: a lost ack costs a fallback at worst, while copies of acks are never acked back.
      const [path] = this.paths(author)
      if (path !== undefined) this.relay.send(path[0], author, capsule).catch(() => {})
    }, (error: unknown) => { this.init.logger.debug('could not seal an ack', { error }) })
  }

  /** Send p's capsule to `via` (the target itself: along the route; a neighbour: as a relay request). */
  private launch (p: Pending, via: PeerId, counted: PeerId): void {
    p.tried.add(counted)
    p.outstanding++
    this.balancer.started(counted)
    this.relay.send(via, p.batch.to, p.capsule).catch(() => {
      this.balancer.finished(counted)
      this.pathFailed(p, counted)
    })
  }

  private pathFailed (p: Pending, relay: PeerId): void {
    if (this.pending.get(p.seq) !== p) return
    p.outstanding--
    if (p.tried.size < this.o.paths + this.o.maxRelayTries) {
      const [next] = this.pickRelays(p.batch.to, 1, new Set([...p.tried, relay]))
      if (next !== undefined) { this.launch(p, next, next); return }
    }
    if (p.outstanding <= 0) this.fallback(p, 'declined')
  }

  private fallback (p: Pending, why: 'timeout' | 'no-relay' | 'declined' | 'silent'): void {
    if (this.pending.get(p.seq) !== p) return
    this.stats.fallbackReasons[why] = (this.stats.fallbackReasons[why] ?? 0) + 1
    this.pending.delete(p.seq)
    if (p.timer !== null) this.init.clock.clearTimeout(p.timer)
    for (const relay of p.tried) this.balancer.finished(relay)
    this.stats.fallbacks++
    if (why === 'timeout') {
      this.timing.timedOut()
      this.suspectSilent(p)
      this.late.set(p.seq, { to: p.batch.to, startedAt: p.startedAt })
      if (this.late.size > 256) this.late.delete(this.late.keys().next().value as number)
    }
    // Every relay we asked knows no way to the target: it may be gone (see SignalingUnreachable).
    // Not a timeout: under load most capsules that time out arrive late (the bench: ~70 %).
    const unreachable = why === 'declined' && p.noRoute >= p.tried.size
    if (!this.mayBeOnServer(p.batch.topic, p.batch.to)) {
      this.stats.withheld++
      this.signalsSent.inc({ path: 'withheld' })
    } else {
      this.signalsSent.inc({ path: 'fallback' })
      for (const s of p.batch.signals) this.serverSignal(p.batch.topic, p.batch.to, p.batch.session, s.index, s.signal)
    }
    if (unreachable) this.emitSafe('unreachable', { topic: p.batch.topic, to: p.batch.to, session: p.batch.session })
  }

  /**
   * False when the server would drop a signal to `peer`: the freshest roster word on it says it
   * parked, we have not heard from it through the server since, and our view does not elect it a
   * rendezvous point (elected members subscribe again). Unknown members may be on the server.
   */
  mayBeOnServer (topic: string, peer: PeerId): boolean {
    const room = this.rooms.get(topic)
    return room === undefined || !this.knownParked(room, peer, () => room.view.rendezvousPoints(this.o.rendezvous))
  }

  /** See mayBeOnServer; `elected`: the rendezvous points of our view, asked for only when needed. */
  private knownParked (room: Room, peer: PeerId, elected: () => ReadonlySet<PeerId>): boolean {
    const state = room.serverState.get(peer)
    if (state === undefined || !state.parked) return false
    if ((room.serverSeen.get(peer) ?? -Infinity) >= state.at) return false
    return !elected().has(peer)
  }

  /** Our roster for `topic`, with the members we know to be parked (ourselves included). */
  private sendRoster (to: PeerId, topic: string, room: Room, now: number): void {
    // Our live room neighbours go at age 0, and only they: we are connected to them now, so we
    // relay to them in one hop (a newcomer dials them first, see dialRank). Others seen within
    // the same millisecond (a capsule's author, a server signal) go at age 1.
    this.sawNeighbours(topic, room, now)
    const live = new Set<PeerId>([this.localPeer])
    for (const c of this.init.neighbours.all()) if (now - c.quality.lastReceivedAt < this.liveMs) live.add(c.remotePeer)
    const entries = room.view.roster(now, MAX_ROSTER_ENTRIES).map(([peer, age]) => (age === 0 && !live.has(peer) ? [peer, 1] as const : [peer, age] as const))
    let points: Set<PeerId> | undefined
    const elected = (): Set<PeerId> => (points ??= room.view.rendezvousPoints(this.o.rendezvous))
    const parked = new Set<PeerId>()
    for (const [peer] of entries) if (peer === this.localPeer ? room.parked : this.knownParked(room, peer, elected)) parked.add(peer)
    this.relay.sendRoster(to, topic, entries, parked, this.timing.smoothedRttMs ?? undefined)
  }

  /**
   * After a timeout: the neighbours it went through that sent us nothing since are avoided for
   * a while, and the capsules still waiting on them alone go to the server now; a newcomer whose
   * room neighbours all went silent announces again (its only neighbour may have crashed, and
   * the members it learned from it may be off the server).
   */
  private suspectSilent (p: Pending): void {
    let any = false
    for (const relay of p.tried) {
      const neighbour = this.init.neighbours.get(relay)
      if (neighbour !== undefined && neighbour.quality.lastReceivedAt < p.startedAt) { this.balancer.silent(relay); any = true }
    }
    if (any) for (const q of [...this.pending.values()]) if ([...q.tried].every((r) => this.balancer.isSilent(r))) this.fallback(q, 'silent')
    const room = this.rooms.get(p.batch.topic)
    if (room === undefined || room.parked) return
    const now = this.init.clock.now()
    const alive = [...this.init.neighbours.all()].some((c) => room.view.has(c.remotePeer) && !this.balancer.isSilent(c.remotePeer))
    if (alive || now - room.rescuedAt < this.o.bootstrapAnswerMs) return
    room.rescuedAt = now
    this.announceAgain(p.batch.topic, room, now, 'silent')
  }

  private acked (from: PeerId, seq: number): void {
    const p = this.pending.get(seq)
    if (p === undefined) {
      const l = this.late.get(seq)
      if (l === undefined || l.to !== from) return
      this.late.delete(seq)
      this.stats.lateAcks++
      this.timing.observe(this.init.clock.now() - l.startedAt)
      return
    }
    if (p.batch.to !== from) return
    this.pending.delete(seq)
    if (p.timer !== null) this.init.clock.clearTimeout(p.timer)
    for (const relay of p.tried) this.balancer.finished(relay)
    this.timing.observe(this.init.clock.now() - p.startedAt)
    this.stats.relayed++
    this.signalsSent.inc({ path: 'relay' }, p.batch.signals.length)
  }

  private declined (relay: PeerId, target: PeerId, seq: number, reason: DeclineReasonName): void {
    const p = this.pending.get(seq)
    if (p === undefined || p.batch.to !== target || !p.tried.has(relay)) return
    this.stats.declines++
    this.stats.declineReasons[reason] = (this.stats.declineReasons[reason] ?? 0) + 1
    // 'no-route' is about this target, not the relay: it stays usable for others.
    if (reason === 'no-route') p.noRoute++
    else this.balancer.declined(relay)
    this.balancer.finished(relay)
    this.pathFailed(p, relay)
  }

  /** Up to 3 neighbours that relay, for the capsule's `reach` field. */
  private reachVia (): PeerId[] {
    return this.balancer.pick(this.neighbourIds(), REACH_NAMED)
  }

  private relayedSignals (from: PeerId, body: CapsuleBody, via: PeerId, seq: number): void {
    this.hint(from, via)
    // The author's own word on its server presence (a returning member's new incarnation is not
    // parked even where rosters still say its old one was).
    const room = this.rooms.get(body.topic)
    if (room !== undefined && body.parked !== undefined) this.heardServerState(room, from, body.parked, this.init.clock.now())
    for (const peer of body.reach ?? []) {
      if (peer === this.localPeer || peer === from) continue
      this.reachOf.set(from, [...new Set([peer, ...(this.reachOf.get(from) ?? [])])].slice(0, 3))
      if (this.reachOf.size > 1024) this.reachOf.delete(this.reachOf.keys().next().value as PeerId)
    }
    for (const acked of body.acks) this.acked(from, acked)
    if (body.signals.length === 0) return // an ack-only capsule is not acked
    this.withSignals.add(`${from}|${seq}`)
    if (this.withSignals.size > 4096) this.withSignals.delete(this.withSignals.values().next().value as string)
    this.queueAck(from, seq)
    if (room === undefined) return
    room.view.saw(from, this.init.clock.now())
    for (const s of body.signals) {
      this.order.push(`${from}|${body.session}`, s.index, { topic: body.topic, from, to: this.localPeer, ymesh: true, session: body.session, index: s.index, signal: s.signal, via: 'mesh', authorReach: body.reach?.length ?? 0 })
    }
  }

  /**
   * A newcomer's offers to the members that answered its announce: if no signal of any of those
   * attempts comes back in time while the room still has no neighbour of ours, dial another
   * member that answered, or announce again, now rather than at the next re-announce (seconds
   * later). One watchdog per announce round covers its offers. See bootstrapAnswerMs.
   */
  private watchBootstrap (topic: string, to: PeerId, session: string): void {
    const room = this.rooms.get(topic)
    if (room === undefined || this.roomNeighbours(room) > 0) return
    if (room.bootstrap !== null && room.bootstrap.since >= room.announcedAt) {
      room.bootstrap.to.set(to, session)
      return
    }
    this.bootstrapDone(room)
    const wait = Math.min(4 * this.o.bootstrapAnswerMs, Math.max(this.o.bootstrapAnswerMs, 3 * (room.replyMs ?? 0)))
    const targets = new Map([[to, session]])
    const timer = this.init.clock.setTimeout(() => {
      room.bootstrap = null
      this.bootstrapStalled(topic, room, targets, true)
    }, wait)
    room.bootstrap = { to: targets, since: this.init.clock.now(), timer }
  }

  /**
   * Our bootstrap offers went unanswered (or the server says their targets are gone): the next
   * way in. Another member that answered the same announce is dialed now; with none, we announce
   * again, but only from the watchdog (`announce`): an 'undelivered' arrives within a server
   * round trip, and fake replies must not make a newcomer announce (and the room answer) that often.
   * Returns whether it moved on.
   */
  private bootstrapStalled (topic: string, room: Room, tried: ReadonlyMap<PeerId, string>, announce: boolean): boolean {
    if (!this.running || this.rooms.get(topic) !== room || this.roomNeighbours(room) > 0 || room.parked) return false
    const now = this.init.clock.now()
    // Another member answered the same announce (and is subscribed): dial it, no new announce.
    for (const [peer, at] of room.spare) {
      room.spare.delete(peer)
      // Still subscribed, most likely: rendezvous points stay, other answerers for reannounceMs.
      if (tried.has(peer) || now - at >= 2 * this.o.reannounceMs) continue
      this.stats.nextReply++
      room.bootstrapAt = now
      room.replies.delete(peer)
      room.replies.set(peer, now)
      room.view.saw(peer, now)
      this.emitSafe('announce', { topic, from: peer, ymesh: true, to: this.localPeer })
      return true
    }
    if (!announce) return false
    this.announceAgain(topic, room, now, 'bootstrap')
    return true
  }

  /**
   * The server had no subscriber to hand our addressed publish to `e.to`. When every bootstrap
   * target is gone (crashed or left since it answered our announce), another member that
   * answered is dialed at once, not after the watchdog; with none, the watchdog stays armed and
   * announces again in its time. The pool hears of it either way (see SignalingUnreachable).
   */
  private readonly onUnreachable = (e: SignalingUnreachable): void => {
    const room = this.rooms.get(e.topic)
    const b = room?.bootstrap
    const session = b?.to.get(e.to)
    if (room === undefined || b == null || session === undefined) { this.emitSafe('unreachable', e); return }
    b.to.delete(e.to)
    if (b.to.size === 0 && this.bootstrapStalled(e.topic, room, new Map([[e.to, session]]), false)) this.bootstrapDone(room)
    this.emitSafe('unreachable', { topic: e.topic, to: e.to, session })
  }

  private bootstrapDone (room: Room): void {
    if (room.bootstrap !== null) this.init.clock.clearTimeout(room.bootstrap.timer)
    room.bootstrap = null
  }

  private roomNeighbours (room: Room): number {
    let n = 0
    for (const c of this.init.neighbours.all()) if (room.view.has(c.remotePeer)) n++
    return n
  }

  private readonly onSignal = (signal: SignalingSignal): void => {
    const e: SignalingSignal = { ...signal, via: 'server' }
    const room = this.rooms.get(e.topic)
    room?.view.saw(e.from, this.init.clock.now())
    if (e.ymesh) this.sawOnServer(room, e.from)
    if (room?.bootstrap != null && e.session !== undefined && room.bootstrap.to.get(e.from) === e.session) this.bootstrapDone(room)
    if (e.session !== undefined) {
      this.serverSessions.add(`${e.from}|${e.session}`)
      if (this.serverSessions.size > 1024) this.serverSessions.delete(this.serverSessions.values().next().value as string)
    }
    if (e.ymesh && e.session !== undefined && e.index !== undefined) this.order.push(`${e.from}|${e.session}`, e.index, e)
    else this.emitSafe('signal', e)
  }

  private readonly onAnnounce = (e: Parameters<SignalingEvents['announce']>[0]): void => {
    const room = this.rooms.get(e.topic)
    const now = this.init.clock.now()
    if (!e.ymesh || room === undefined) { this.emitSafe('announce', e); return }
    this.sawOnServer(room, e.from)
    const roomNeighbours = this.roomNeighbours(room)
    if (e.to !== undefined) {
      // A reply to our announce. A newcomer dials `bootstrapDials` answering members through the
      // server; the rest of the room comes through their rosters, signaled through the mesh.
      // So many replies per announce round: replies to our repeated announce are taken even if
      // ones to the first were (those members may have crashed before our offers reached them).
      const round = room.bootstrapAt >= room.announcedAt
      if (roomNeighbours === 0 && round && room.bootstrapTaken >= this.o.bootstrapDials) {
        this.stats.ignored++
        if (room.bootstrap?.to.has(e.from) !== true) room.spare.set(e.from, now)
        if (room.spare.size > 8) room.spare.delete(room.spare.keys().next().value as PeerId)
        return
      }
      if (roomNeighbours === 0) {
        if (!round) {
          room.bootstrapTaken = 0
          room.replyMs = now - room.announcedAt
          room.spare.clear()
        }
        room.bootstrapTaken++
        room.bootstrapAt = now
      }
      room.view.saw(e.from, now)
      room.replies.delete(e.from)
      room.replies.set(e.from, now)
      if (room.replies.size > 64) room.replies.delete(room.replies.keys().next().value as PeerId)
      // Answered: the room has members, so newcomers' announces are the rendezvous points' to answer.
      this.updateQuiet(e.topic, room, roomNeighbours, room.view.isRendezvous(this.o.rendezvous))
      this.emitSafe('announce', e)
      return
    }
    // A ymesh newcomer's broadcast announce: only the rendezvous points answer (the newcomer
    // dials the first that does); everyone else learns of it through rosters and reaches it
    // through the mesh. A repeated announce means nobody answered: then every member with room
    // neighbours answers, and from the third on every member still subscribed.
    const key = `${e.topic}\u0000${e.from}`
    // A repeat says so: a quiet member hears only repeats, and counts it as what it is.
    const seen = Math.max((this.announcesSeen.get(key) ?? 0) + 1, (e.again ?? 0) + 1)
    this.announcesSeen.delete(key)
    this.announcesSeen.set(key, seen)
    if (this.announcesSeen.size > 4096) this.announcesSeen.delete(this.announcesSeen.keys().next().value as string)
    // A member still bootstrapping itself (no room neighbour, but it knows of members) would
    // split the room off into a second mesh, so it answers only a third announce; a member
    // alone in the room is its rendezvous point — also when the only member it knows of is the
    // announcer itself, coming back (a closed page reopened): no other mesh can be split off.
    const settled = roomNeighbours > 0 || room.view.size === 0 || (room.view.size === 1 && room.view.has(e.from))
    const answer = this.o.rendezvous <= 0 || seen >= 3 || (settled && (seen === 2 || room.view.isRendezvous(this.o.rendezvous)))
    // Not into the view yet: a member counts for the rendezvous election once the mesh reaches
    // it (a connection or a roster), or a newcomer nobody connected to would unseat a
    // rendezvous point and cut the room's server presence.
    if (!answer) { this.stats.ignored++; return }
    this.stats.answered++
    room.answeredAt = now
    this.emitSafe('announce', e)
  }

  private sawOnServer (room: Room | undefined, peer: PeerId): void {
    if (room === undefined) return
    room.serverSeen.delete(peer)
    room.serverSeen.set(peer, this.init.clock.now())
    if (room.serverSeen.size > 4096) room.serverSeen.delete(room.serverSeen.keys().next().value as PeerId)
  }

  private readonly onStatus = (e: SignalingStatus): void => {
    if (e.connected) {
      // The source announced every subscribed room on (re)connecting: the reply clock starts now.
      const now = this.init.clock.now()
      for (const room of this.rooms.values()) if (!room.parked) room.announcedAt = now
      for (const send of this.serverQueue.splice(0)) send()
    }
    this.emitSafe('status', e)
  }

  private readonly onNeighbourUp = ({ connection }: { readonly connection: { readonly remotePeer: PeerId, readonly room: string | null } }): void => {
    const now = this.init.clock.now()
    for (const [topic, room] of this.rooms) {
      if (connection.room === topic) room.view.saw(connection.remotePeer, now)
      if (room.view.has(connection.remotePeer)) this.sendRoster(connection.remotePeer, topic, room, now)
    }
  }

  private rosterFrom (from: PeerId, topic: string, entries: ReadonlyArray<readonly [PeerId, number]>, parked: ReadonlySet<PeerId> | undefined, relayRttMs: number | undefined, late = false): void {
    const room = this.rooms.get(topic)
    if (room === undefined) return
    if (this.init.neighbours.get(from) === undefined) {
      // The roster a member sends the moment its side of a new connection opens can arrive
      // before our side has opened: look again shortly rather than wait for its next roster.
      if (!late && this.lateRosters.size < 64) {
        const timer = this.init.clock.setTimeout(() => { this.lateRosters.delete(timer); this.rosterFrom(from, topic, entries, parked, relayRttMs, true) }, 50)
        this.lateRosters.add(timer)
      }
      return
    }
    const now = this.init.clock.now()
    room.view.saw(from, now)
    // A neighbour that sends a roster for `topic` says it is in it, as an announce would. Our
    // connection to it may have been opened for another room we share: the peer learns the
    // membership (its providers then serve this room over that connection too). Only its own
    // word counts: what it says of others goes through the view like any roster entry.
    if (this.init.servesTopic?.(from, topic) === false) this.emitSafe('announce', { topic, from, ymesh: true, to: this.localPeer })
    // A newcomer's first capsules wait as long as the relays it is about to use take, not initialMs.
    if (relayRttMs !== undefined) this.timing.seed(relayRttMs)
    for (const [peer, age] of entries) {
      if (parked !== undefined && peer !== this.localPeer) this.heardServerState(room, peer, parked.has(peer), now - age)
      if (peer === from) continue
      if (age === 0) {
        // Seen by `from` this very moment: connected to it (see sendRoster), so `from` relays to it in one hop.
        this.introducer.set(peer, from)
        this.adjacentAt.delete(peer)
        this.adjacentAt.set(peer, now)
        if (this.adjacentAt.size > 4096) this.adjacentAt.delete(this.adjacentAt.keys().next().value as PeerId)
      } else if (!this.introducer.has(peer) || this.init.neighbours.get(this.introducer.get(peer) as PeerId) === undefined) {
        this.introducer.set(peer, from)
      }
      if (this.introducer.size > 4096) this.introducer.delete(this.introducer.keys().next().value as PeerId)
      if (!room.view.saw(peer, now, age)) continue
      this.stats.learned++
      // The peer treats it like a reply to its announce: a candidate, no answer owed.
      this.emitSafe('announce', { topic, from: peer, ymesh: true, to: this.localPeer })
    }
    // A newcomer's first roster shows it is not a rendezvous point: quiet at once, not at the next tick.
    this.updateQuiet(topic, room, this.roomNeighbours(room), room.view.isRendezvous(this.o.rendezvous))
  }

  /** Word from a roster on whether `peer` is parked, as of `at`: the freshest word wins. */
  private heardServerState (room: Room, peer: PeerId, parked: boolean, at: number): void {
    const known = room.serverState.get(peer)
    if (known !== undefined && known.at > at) return
    room.serverState.delete(peer)
    room.serverState.set(peer, { parked, at })
    if (room.serverState.size > 4096) room.serverState.delete(room.serverState.keys().next().value as PeerId)
  }

  /**
   * A first-hand sighting of each neighbour connected for `topic`: now, when it was heard from
   * lately; else when it was last heard from, so that a neighbour that died is not kept young
   * in rosters until its connection times out (see onNeighbourDown).
   */
  private sawNeighbours (topic: string, room: Room, now: number): void {
    for (const c of this.init.neighbours.all()) {
      if (c.room !== topic && this.init.servesTopic?.(c.remotePeer, topic) !== true) continue
      const silentMs = now - c.quality.lastReceivedAt
      room.view.saw(c.remotePeer, now, silentMs < this.liveMs ? 0 : silentMs)
    }
  }

  /**
   * A neighbour's connection timed out (it is most likely dead) or it said it is leaving (its
   * bye, when it stops: see the close frame in PROTOCOL.md). It leaves our views at once, and
   * the rosters' last sightings of it do not bring it back (RoomView.bury). When it was a
   * rendezvous point of our view, this member goes back on the server topic until every view
   * has dropped it: if the room's rendezvous points all died at once, members whose views still
   * elect them stay parked for memberMaxAgeMs, and newcomers would find nobody to answer them;
   * a newcomer's repeated announce is answered by any subscribed member with room neighbours.
   */
  private readonly onNeighbourDown = ({ connection, reason }: { readonly connection: { readonly remotePeer: PeerId, readonly quality: { readonly lastReceivedAt: number } }, readonly reason: string }): void => {
    if ((reason !== 'timeout' && reason !== 'left') || !this.running) return
    const peer = connection.remotePeer
    const now = this.init.clock.now()
    for (const [topic, room] of this.rooms) {
      if (!room.view.has(peer)) continue
      const elected = this.o.rendezvous > 0 && room.view.rendezvousPoints(this.o.rendezvous).has(peer)
      room.view.bury(peer, now)
      this.stats.buried++
      if (!elected) continue
      // Its other neighbours listed it at age 0 for up to liveMs after its last frame; views
      // drop it memberMaxAgeMs after that (checked at their next tick).
      room.holdUntil = Math.max(room.holdUntil, connection.quality.lastReceivedAt + this.liveMs + this.o.memberMaxAgeMs + 1_000)
      if (room.parked) {
        this.stats.rescueUnparks++
        this.rejoinServer(topic, room)
      }
    }
  }

  private neighbourIds (): PeerId[] {
    return [...this.init.neighbours.all()].map((c) => c.remotePeer)
  }

  private maintain (): void {
    if (!this.running) return
    const now = this.init.clock.now()
    const sendRosters = now - this.lastRoster >= this.o.rosterIntervalMs
    if (sendRosters) this.lastRoster = now
    for (const [topic, room] of this.rooms) {
      this.sawNeighbours(topic, room, now)
      room.view.expire(now)
      const roomNeighbours = this.neighbourIds().filter((p) => room.view.has(p))
      if (sendRosters) for (const p of roomNeighbours) this.sendRoster(p, topic, room, now)
      this.reannounce(topic, room, roomNeighbours.length, now)
      this.rendezvous(topic, room, roomNeighbours.length, roomNeighbours.filter((p) => this.balancer.willRelay(p)).length, now)
    }
    this.updateIdle()
  }

  /**
   * The rendezvous rule (docs/hybrid-signaling.md): park when well meshed and not elected;
   * unpark when elected or cut off. In between, a member with a room neighbour that is not
   * elected subscribes quietly: it answers no announce (only rendezvous points do), so other
   * members' broadcasts need not reach it; what is addressed to it still does.
   */
  private rendezvous (topic: string, room: Room, roomNeighbours: number, relayNeighbours: number, now: number): void {
    if (this.o.rendezvous <= 0 || this.inner.park === undefined || this.inner.unpark === undefined) return
    const elected = room.view.isRendezvous(this.o.rendezvous)
    // A member that just answered a newcomer stays until the newcomer's offer arrived: a parked
    // member gets no server signals, and the newcomer would wait for its attempt to time out.
    const owed = now - room.answeredAt < this.o.reannounceMs
    if (!room.parked && !elected && !owed && now >= room.holdUntil && relayNeighbours >= this.o.leaveAt && now - room.joinedAt >= this.o.minStayMs) {
      room.parked = true
      this.inner.park(topic)
    } else if (room.parked && (elected || relayNeighbours === 0)) {
      this.rejoinServer(topic, room)
    }
    this.updateQuiet(topic, room, roomNeighbours, elected)
  }

  /** Back on the server topic (subscribed loud, announced), waking the server connection. */
  private rejoinServer (topic: string, room: Room): void {
    room.parked = false
    room.quiet = false // unpark subscribes loud
    this.wake()
    this.inner.unpark?.(topic)
  }

  /**
   * Subscribed quietly unless this member may answer a first announce: one its view elects a
   * rendezvous point (with room neighbours it answers newcomers; without, it is alone or knows
   * few, and answers a returning member it knows), or one that knows nobody (alone in the room).
   * Exception: a newcomer that just took a member's reply is on its way in and answers nobody
   * meanwhile. Everyone else answers only a repeated announce, which is marked `all`.
   */
  private updateQuiet (topic: string, room: Room, roomNeighbours: number, elected: boolean): void {
    const joining = roomNeighbours === 0 && this.init.clock.now() - room.bootstrapAt < this.o.reannounceMs
    const quiet = room.view.size > 0 && (!elected || joining)
    if (room.parked || quiet === room.quiet || this.inner.quiet === undefined || this.inner.park === undefined || this.o.rendezvous <= 0) return
    room.quiet = quiet
    this.inner.quiet(topic, quiet)
  }

  /**
   * A member without room neighbours whose announce went unanswered announces again, backing
   * off; so does one stuck below the neighbours it wants (see stallMs), more slowly.
   */
  private reannounce (topic: string, room: Room, roomNeighbours: number, now: number): void {
    const gained = roomNeighbours > room.neighboursAt
    room.neighboursAt = roomNeighbours
    const wait = reannounceAfter({
      parked: room.parked, neighbours: roomNeighbours, gained, known: room.view.size,
      wants: roomNeighbours > 0 && this.init.wantsNeighbours?.(topic) === true, announces: room.announces
    }, this.o)
    if (wait === null) { room.announces = 0; room.announcedAt = now; return }
    if (now - room.announcedAt < wait) return
    if (room.parked) {
      // Parked and stuck (a neighbour left, or the relays fail us): back on the server topic,
      // which announces us, and there long enough for the answers and the offers to come.
      room.announces++
      room.announcedAt = now
      room.holdUntil = now + 2 * this.o.reannounceMs
      this.stats.reannounced++
      this.stats.reannounceReasons.stuck = (this.stats.reannounceReasons.stuck ?? 0) + 1
      this.rejoinServer(topic, room)
      return
    }
    if (!this.inner.connected) return
    if (roomNeighbours === 0 && this.init.underWay?.(topic) === true) return
    this.announceAgain(topic, room, now, roomNeighbours > 0 ? 'stuck' : 'unanswered')
  }

  private announceAgain (topic: string, room: Room, now: number, why: 'unanswered' | 'stuck' | 'bootstrap' | 'silent'): void {
    if (!this.inner.connected) return
    room.announces++
    room.announcedAt = now
    this.stats.reannounced++
    this.stats.reannounceReasons[why] = (this.stats.reannounceReasons[why] ?? 0) + 1
    // A repeated announce reaches quiet members too: the rendezvous points did not answer.
    this.inner.announce(topic, undefined, { repeat: room.announces })
  }

  private updateIdle (): void {
    if (!this.o.disconnectWhenIdle || this.rooms.size === 0) return
    const allParked = [...this.rooms.values()].every((r) => r.parked)
    if (allParked && !this.idle && this.serverQueue.length === 0 && this.pending.size === 0) {
      this.idle = true
      this.inner.stop()
    }
  }

  private wake (): void {
    if (!this.idle || !this.running) return
    this.idle = false
    this.inner.start()
  }

  /** Run `send` on the server now, or once it is connected again (waking it when idle). */
  private toServer (send: () => void): void {
    this.wake()
    if (this.inner.connected) { send(); return }
    if (this.serverQueue.length < 256) this.serverQueue.push(send)
  }

  private emitSafe<N extends keyof SignalingEvents> (name: N, event: Parameters<SignalingEvents[N]>[0]): void {
    try {
      this.emit(name, [event] as unknown as Parameters<SignalingEvents[N]>)
    } catch (error) {
      this.init.logger.warn(`a hybrid signaling '${name}' listener threw`, { error })
    }
  }
}
