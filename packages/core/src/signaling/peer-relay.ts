/**
 * PeerSignalingRelay: the mesh side of hybrid signaling, on top of the MessageRouter.
 *
 * As author it seals a capsule of signals to the target; as relay it forwards other authors'
 * capsules towards their target (or declines: relaying off, over its rate, no route); as target
 * it opens (which authenticates), drops replays, hands the signals on and acks to the author.
 * Relays read only the capsule's clear header (author, target, sequence): the body is sealed
 * under a key only author and target hold, with the header in the AAD, so any change to header
 * or body fails to open (pair-keys.ts).
 */
import { Tag, type Clock, type PeerId, type Rng } from '@ymesh/protocol'
import type { Identity } from '@ymesh/crypto'
import type { FrameDispatcher } from '../connections/dispatcher.js'
import type { Neighbours } from '../connections/neighbours.js'
import type { Logger } from '../logger.js'
import type { Counter } from '../metrics/registry.js'
import type { CoreMetrics } from '../metrics/core-metrics.js'
import type { MessageRouter } from '../routing/message-router.js'
import { parseSignal } from './messages.js'
import {
  CAPSULE_DOMAIN, capsuleHeader, decodeCapsule, decodeCapsuleBody, decodeRelayMessage, encodeCapsule, encodeCapsuleBody,
  encodeRelayMessage, type CapsuleBody, type DeclineReasonName, type RelayMessage
} from './relay-wire.js'
import { PairKeys } from './pair-keys.js'
import { ReplayWindow } from './replay-window.js'

export interface PeerSignalingRelayHandlers {
  /** A verified, fresh capsule (signals validated); `via`: the neighbour or author it came from; `seq`: to ack. */
  readonly signals: (from: PeerId, body: CapsuleBody, via: PeerId, seq: number) => void
  /** A verified duplicate of a capsule delivered before: ack it again (the first ack may be lost). */
  readonly duplicate: (from: PeerId, via: PeerId, seq: number) => void
  readonly ack: (from: PeerId, seq: number) => void
  readonly decline: (relay: PeerId, target: PeerId, seq: number, reason: DeclineReasonName) => void
  /** `parked`: the entries the sender knows to be off the server topic (undefined: it did not say). */
  readonly roster: (from: PeerId, topic: string, entries: ReadonlyArray<readonly [PeerId, number]>, parked: ReadonlySet<PeerId> | undefined, relayRttMs: number | undefined) => void
}

export interface PeerSignalingRelayOptions {
  readonly identity: Identity
  readonly router: MessageRouter
  readonly clock: Clock
  readonly rng: Rng
  readonly logger: Logger
  readonly metrics: CoreMetrics
  readonly handlers: PeerSignalingRelayHandlers
  /**
   * With both, a message for a direct neighbour goes straight over the connection (tag
   * relayed-signal-hop) instead of in a routed envelope; without, everything is routed.
   */
  readonly neighbours?: Neighbours
  readonly dispatcher?: FrameDispatcher
  /** Relay other peers' signals (default true). false: decline every request. */
  readonly relay?: boolean
  /** Relay requests accepted per second, and in a burst; beyond, decline 'overloaded'. Default 50 / 100. */
  readonly relayPerSecond?: number
  readonly relayBurst?: number
  readonly replayWindow?: number
}

/** 'unopenable': the seal did not open — altered, forged, re-addressed or renumbered on the way. */
export type RelayRejectReason = 'duplicate' | 'malformed' | 'not-for-us' | 'replay' | 'unopenable' | 'bad-signal' | 'not-author'

export class PeerSignalingRelay {
  private readonly replay: ReplayWindow
  private readonly rejected: Counter
  private readonly relayed: Counter
  private readonly declines: Counter
  private tokens: number
  private tokensAt = 0
  private unregister: (() => void) | null = null
  private unregisterHop: (() => void) | null = null
  /** Relay requests this peer forwarded for others (tests and the bench read it). */
  relayedForOthers = 0
  /** Capsule keys, derived once per remote peer and direction. */
  readonly keys: PairKeys

  constructor (private readonly o: PeerSignalingRelayOptions) {
    this.replay = new ReplayWindow(o.replayWindow ?? 1024)
    this.keys = new PairKeys({ identity: o.identity })
    this.tokens = o.relayBurst ?? 100
    const r = o.metrics.registry
    this.rejected = r.counter('ymesh_relayed_signal_rejected_total', 'Relayed signaling capsules refused at the target, by reason')
    this.relayed = r.counter('ymesh_relayed_signal_forwarded_total', 'Capsules this peer relayed for other peers')
    this.declines = r.counter('ymesh_relayed_signal_declined_total', 'Relay requests this peer declined, by reason')
  }

  get self (): PeerId {
    return this.o.identity.peerId
  }

  start (): void {
    if (this.unregister !== null) return
    this.unregister = this.o.router.handle(Tag.RelayedSignal, (m) => { this.receive(m.from, m.payload) })
    // The frame's payload is a view into received bytes; capsules are kept past this call.
    this.unregisterHop = this.o.dispatcher?.handle(Tag.RelayedSignalHop, (frame, connection) => { this.receive(connection.remotePeer, frame.payload.slice()) }) ?? null
  }

  stop (): void {
    this.unregister?.()
    this.unregister = null
    this.unregisterHop?.()
    this.unregisterHop = null
    this.keys.clear()
  }

  /** Seal `body` to `to` as capsule `seq`. */
  async seal (to: PeerId, seq: number, body: CapsuleBody): Promise<Uint8Array> {
    const { clock, rng } = this.o
    const header = { from: this.self, to, seq }
    const sealed = await clock.settle(this.keys.seal(to, `${CAPSULE_DOMAIN}|${this.self}`, encodeCapsuleBody(body), rng.bytes(12), capsuleHeader(header)))
    return encodeCapsule({ ...header, sealed })
  }

  /** Send a capsule to `target` through `via` (a neighbour asked to relay it) or, via = target, along the router's route. */
  async send (via: PeerId, target: PeerId, capsule: Uint8Array): Promise<void> {
    await this.transmit(via, { kind: 'forward', target, capsule })
  }

  /**
   * Hand `m` to `to`: straight over the connection when `to` is a neighbour (PROTOCOL.md,
   * relayed-signal-hop: the connection is authenticated and encrypted, and the envelope's seal
   * and signature cost ~15 WebCrypto operations a hop, which queue behind everything a joining
   * peer verifies), else as a routed envelope. Rejects when neither way takes it.
   */
  private async transmit (to: PeerId, m: RelayMessage): Promise<void> {
    const connection = this.o.dispatcher === undefined ? undefined : this.o.neighbours?.get(to)
    if (connection !== undefined && connection.kind === 'ymesh' && connection.send(Tag.RelayedSignalHop, encodeRelayMessage(m))) return
    await this.o.router.send(to, Tag.RelayedSignal, encodeRelayMessage(m))
  }

  /** `relayRttMs` (our smoothed relay round trip) goes only with a `parked` list. */
  sendRoster (to: PeerId, topic: string, entries: ReadonlyArray<readonly [PeerId, number]>, parked?: ReadonlySet<PeerId>, relayRttMs?: number): void {
    this.post(to, { kind: 'roster', topic, entries, ...(parked === undefined ? {} : { parked, ...(relayRttMs === undefined ? {} : { relayRttMs }) }) })
  }

  private post (to: PeerId, m: RelayMessage): void {
    this.transmit(to, m).catch((error: unknown) => {
      this.o.logger.debug('relayed-signal message not sent', { to, kind: m.kind, error })
    })
  }

  /** A relay message from `from` (the routed envelope's verified author, or the connection's authenticated remote). */
  private receive (from: PeerId, payload: Uint8Array): void {
    let message: RelayMessage
    try {
      message = decodeRelayMessage(payload)
    } catch {
      this.rejected.inc({ reason: 'malformed' })
      return
    }
    switch (message.kind) {
      case 'forward':
        if (message.target === this.self) void this.deliver(message.capsule, from)
        else this.relay(from, message.target, message.capsule)
        return
      case 'ack': this.o.handlers.ack(from, message.seq); return
      case 'decline': this.o.handlers.decline(from, message.target, message.seq, message.reason); return
      case 'roster': this.o.handlers.roster(from, message.topic, message.entries, message.parked, message.relayRttMs)
    }
  }

  private relay (author: PeerId, target: PeerId, capsule: Uint8Array): void {
    let seq: number
    try {
      const header = decodeCapsule(capsule)
      seq = header.seq
      // Only authors ask for relaying: a relay cannot launder someone else's capsule through us.
      if (header.from !== author || header.to !== target) return this.decline(author, target, seq, 'invalid')
    } catch {
      this.rejected.inc({ reason: 'malformed' })
      return
    }
    const router = this.o.router
    if (this.o.relay === false || !router.options.forwarding || !router.options.routing) return this.decline(author, target, seq, 'disabled')
    if (!this.takeToken()) return this.decline(author, target, seq, 'overloaded')
    this.relayedForOthers++
    this.relayed.inc()
    this.transmit(target, { kind: 'forward', target, capsule }).catch(() => {
      this.decline(author, target, seq, 'no-route')
    })
  }

  private decline (author: PeerId, target: PeerId, seq: number, reason: DeclineReasonName): void {
    this.declines.inc({ reason })
    this.post(author, { kind: 'decline', target, seq, reason })
  }

  private takeToken (): boolean {
    const now = this.o.clock.now()
    const rate = this.o.relayPerSecond ?? 50
    this.tokens = Math.min(this.o.relayBurst ?? 100, this.tokens + (now - this.tokensAt) * rate / 1000)
    this.tokensAt = now
    if (this.tokens < 1) return false
    this.tokens--
    return true
  }

  private reject (reason: RelayRejectReason, from: PeerId | null): void {
    this.rejected.inc({ reason })
    this.o.logger.debug('relayed signal refused', { reason, from })
  }

  private async deliver (bytes: Uint8Array, via: PeerId): Promise<void> {
    const { clock } = this.o
    let capsule
    try {
      capsule = decodeCapsule(bytes)
    } catch {
      return this.reject('malformed', null)
    }
    if (capsule.to !== this.self) return this.reject('not-for-us', capsule.from)
    // Opening authenticates: only the author could seal this body with this header to us.
    let opened: Uint8Array
    try {
      opened = await clock.settle(this.keys.open(capsule.from, `${CAPSULE_DOMAIN}|${capsule.from}`, capsule.sealed, capsuleHeader(capsule)))
    } catch {
      return this.reject('unopenable', capsule.from)
    }
    if (!this.replay.accept(capsule.from, capsule.seq)) {
      // A copy over a second path is a duplicate: ack it again (the first ack may be lost), deliver nothing.
      if (!this.replay.isDuplicate(capsule.from, capsule.seq)) return this.reject('replay', capsule.from)
      this.rejected.inc({ reason: 'duplicate' })
      this.o.handlers.duplicate(capsule.from, via, capsule.seq)
      return
    }
    let body: CapsuleBody
    try {
      const raw = decodeCapsuleBody(opened)
      const signals = raw.signals.map((s) => ({ index: s.index, signal: parseSignal(s.signal) }))
      if (signals.some((s) => s.signal === null)) return this.reject('bad-signal', capsule.from)
      body = { topic: raw.topic, session: raw.session, signals: signals as CapsuleBody['signals'], acks: raw.acks, reach: raw.reach, ...(raw.parked === undefined ? {} : { parked: raw.parked }) }
    } catch {
      return this.reject('malformed', capsule.from)
    }
    if (this.unregister === null) return
    this.o.handlers.signals(capsule.from, body, via, capsule.seq)
  }
}
