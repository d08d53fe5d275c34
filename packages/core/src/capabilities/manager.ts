/**
 * Keeps the newest valid capability record of every peer, learned through gossip on
 * CAPABILITY_TOPIC and persisted through a CapabilityStore. A record is refused — counted in
 * ymesh_capability_rejected_total{reason} and never forwarded — when it is malformed, signed
 * by someone else than the peer it describes, not newer than what we hold (a replay or a
 * stale copy), too old, or from the future. Bad signatures never get here: gossip verifies
 * every envelope against its source first (and start() re-verifies what storage returns).
 */
import { ObservableV2 } from 'lib0/observable'
import {
  createEnvelope, decodeEnvelope, encodeEnvelope, ENVELOPE_SIGNING_DOMAIN, envelopeSigningInput, MESSAGE_ID_SIZE, Tag,
  withSignature
} from '@ymesh/protocol'
import type { Clock, Envelope, PeerId, Rng, Timer } from '@ymesh/protocol'
import { sign, verify, type Identity } from '@ymesh/crypto'
import { InvalidOptionsError, StoppedError } from '../errors.js'
import type { Counter } from '../metrics/registry.js'
import type { CoreMetrics } from '../metrics/core-metrics.js'
import type { Logger } from '../logger.js'
import type { Gossip, GossipMessage, GossipVerdict } from '../gossip/gossip.js'
import { CAPABILITY_TOPIC, decodeCapabilityRecord, encodeCapabilityRecord, type CapabilityFields, type CapabilityRecord } from './record.js'
import { MemoryCapabilityStore, type CapabilityStore } from './store.js'

export type CapabilityRejectReason = 'malformed' | 'wrong-peer' | 'stale' | 'expired' | 'future' | 'bad-signature' | 'full'

export interface CapabilityEvents {
  'record-accepted': (event: { readonly record: CapabilityRecord, readonly previous: CapabilityRecord | undefined }) => void
  'record-rejected': (event: { readonly reason: CapabilityRejectReason, readonly source: PeerId }) => void
}

export interface PeerCapabilityManagerOptions {
  readonly gossip: Gossip
  readonly clock: Clock
  readonly rng: Rng
  readonly metrics: CoreMetrics
  readonly logger: Logger
  /** Needed to publish our own record. */
  readonly identity?: Identity
  readonly store?: CapabilityStore
  /**
   * The time stamped into records and checked against theirs. Peers must agree on it: pass
   * `Date.now` on real peers (the default, the clock's `now`, is right on the simulator only).
   */
  readonly now?: () => number
  /** Records issued longer ago are refused and forgotten. Default 1 hour (the advertiser refreshes every 10 minutes). */
  readonly maxRecordAgeMs?: number
  /** Records stamped further ahead of our time are refused. Default 5 minutes. */
  readonly maxFutureSkewMs?: number
  /** Most peers remembered. Default 10 000. */
  readonly maxRecords?: number
}

interface Held { readonly record: CapabilityRecord, readonly envelope: Envelope }

export class PeerCapabilityManager extends ObservableV2<CapabilityEvents> {
  private readonly held = new Map<PeerId, Held>()
  private readonly options: PeerCapabilityManagerOptions
  private readonly store: CapabilityStore
  private readonly now: () => number
  private readonly maxAgeMs: number
  private readonly maxSkewMs: number
  private readonly maxRecords: number
  private readonly rejected: Counter
  private readonly accepted: Counter
  private lastOwnSequence = 0
  private sweep: Timer | null = null
  private running = false

  constructor (options: PeerCapabilityManagerOptions) {
    super()
    this.options = options
    this.store = options.store ?? new MemoryCapabilityStore()
    this.now = options.now ?? (() => options.clock.now())
    this.maxAgeMs = options.maxRecordAgeMs ?? 3_600_000
    this.maxSkewMs = options.maxFutureSkewMs ?? 300_000
    this.maxRecords = options.maxRecords ?? 10_000
    if (!(this.maxAgeMs > 0 && this.maxSkewMs >= 0 && this.maxRecords > 0)) {
      throw new InvalidOptionsError('maxRecordAgeMs and maxRecords must be positive, maxFutureSkewMs not negative')
    }
    const registry = options.metrics.registry
    this.rejected = registry.counter('ymesh_capability_rejected_total', 'Capability records refused, by reason')
    this.accepted = registry.counter('ymesh_capability_accepted_total', 'Capability records accepted (new or newer)')
  }

  get size (): number {
    return this.held.size
  }

  get started (): boolean {
    return this.running
  }

  /** Subscribes to the capability topic, then loads (and re-verifies) the stored records. */
  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    this.options.gossip.subscribe(CAPABILITY_TOPIC, (message) => this.onMessage(message), { lazyOnly: true })
    this.sweep = this.options.clock.setInterval(() => { this.forgetExpired() }, Math.max(1_000, this.maxAgeMs / 4))
    let stored: Uint8Array[] = []
    try {
      stored = await this.options.clock.settle(this.store.load())
    } catch (error) {
      this.options.logger.warn('capability store failed to load; starting without stored records', { error })
    }
    for (const bytes of stored) {
      let envelope: Envelope
      try {
        envelope = decodeEnvelope(bytes)
      } catch {
        this.reject('malformed', '' as PeerId)
        continue
      }
      let valid = false
      try {
        valid = await this.options.clock.settle(verify(envelope.source, ENVELOPE_SIGNING_DOMAIN, envelopeSigningInput(envelope), envelope.signature))
      } catch { /* malformed source or signature: not valid */ }
      if (!this.running) return
      if (!valid) { this.reject('bad-signature', envelope.source); continue }
      this.ingest(envelope, false)
    }
  }

  stop (): void {
    if (!this.running) return
    this.running = false
    this.options.gossip.unsubscribe(CAPABILITY_TOPIC)
    if (this.sweep !== null) this.options.clock.clearInterval(this.sweep)
    this.sweep = null
  }

  get (peer: PeerId): CapabilityRecord | undefined {
    return this.held.get(peer)?.record
  }

  records (): CapabilityRecord[] {
    return [...this.held.values()].map((h) => h.record)
  }

  /** The signed envelope of `peer`'s record, as its author signed it (to re-serve it). */
  envelopeOf (peer: PeerId): Envelope | undefined {
    return this.held.get(peer)?.envelope
  }

  /** Sign and spread our own record; the sequence always increases, across restarts too. */
  async publish (fields: CapabilityFields): Promise<CapabilityRecord> {
    const identity = this.options.identity
    if (identity === undefined) throw new InvalidOptionsError('the capability manager needs an identity to publish our record')
    if (!this.running) throw new StoppedError('the capability manager')
    const issuedAt = Math.max(0, Math.floor(this.now()))
    const sequence = this.lastOwnSequence + 1
    this.lastOwnSequence = sequence
    const record: CapabilityRecord = { ...fields, peerId: identity.peerId, sequence, issuedAt }
    const envelope = createEnvelope({
      id: this.options.rng.bytes(MESSAGE_ID_SIZE),
      source: identity.peerId,
      destination: { kind: 'topic', topic: CAPABILITY_TOPIC },
      payloadType: Tag.Capability,
      payload: encodeCapabilityRecord(record),
      ttl: this.options.gossip.tuning.ttl
    })
    const signature = await this.options.clock.settle(sign(identity, ENVELOPE_SIGNING_DOMAIN, envelopeSigningInput(envelope)))
    const signed = withSignature(envelope, signature)
    this.ingest(signed, true)
    if (this.running) this.options.gossip.publishEnvelope(signed)
    return record
  }

  /**
   * Consider a verified envelope: 'accept' when it holds a newer valid record (kept, stored,
   * announced), 'ignore' when stale or out of its time window, 'reject' when it is malformed
   * or describes a peer other than its signer.
   */
  ingest (envelope: Envelope, persist = true): GossipVerdict {
    if (envelope.payloadType !== Tag.Capability) return this.reject('malformed', envelope.source)
    let record: CapabilityRecord
    try {
      record = decodeCapabilityRecord(envelope.payload)
    } catch {
      return this.reject('malformed', envelope.source)
    }
    if (record.peerId !== envelope.source) return this.reject('wrong-peer', envelope.source)
    const now = this.now()
    if (record.issuedAt < now - this.maxAgeMs) return this.reject('expired', envelope.source)
    if (record.issuedAt > now + this.maxSkewMs) return this.reject('future', envelope.source)
    const previous = this.held.get(record.peerId)
    if (previous !== undefined && previous.record.sequence >= record.sequence) return this.reject('stale', envelope.source)
    if (previous === undefined && this.held.size >= this.maxRecords) return this.reject('full', envelope.source)
    this.held.set(record.peerId, { record, envelope })
    if (record.peerId === this.options.identity?.peerId) this.lastOwnSequence = Math.max(this.lastOwnSequence, record.sequence)
    this.accepted.inc()
    if (persist) {
      void this.options.clock.settle(this.store.save(record.peerId, encodeEnvelope(envelope))).catch((error: unknown) => {
        this.options.logger.warn('capability store failed to save a record', { peer: record.peerId, error })
      })
    }
    this.emitSafe('record-accepted', { record, previous: previous?.record })
    return 'accept'
  }

  private onMessage (message: GossipMessage): GossipVerdict {
    return this.ingest(message.envelope)
  }

  private forgetExpired (): void {
    const oldest = this.now() - this.maxAgeMs
    for (const [peer, held] of this.held) {
      if (held.record.issuedAt >= oldest) continue
      this.held.delete(peer)
      void this.options.clock.settle(this.store.delete(peer)).catch(() => {})
    }
  }

  private reject (reason: CapabilityRejectReason, source: PeerId): 'ignore' | 'reject' {
    this.rejected.inc({ reason })
    this.options.logger.debug('capability record refused', { reason, source })
    this.emitSafe('record-rejected', { reason, source })
    // Old or ill-timed records are normal in a mesh (slow paths, skewed clocks); only lies are the sender's fault.
    return reason === 'malformed' || reason === 'wrong-peer' ? 'reject' : 'ignore'
  }

  private emitSafe<N extends keyof CapabilityEvents> (name: N, event: Parameters<CapabilityEvents[N]>[0]): void {
    try {
      this.emit(name, [event] as unknown as Parameters<CapabilityEvents[N]>)
    } catch (error) {
      this.options.logger.warn(`capability ${name} listener threw`, { error })
    }
  }
}
