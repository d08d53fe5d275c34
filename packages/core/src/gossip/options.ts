import { MAX_TTL } from '@ymesh/protocol'
import { InvalidOptionsError } from '../errors.js'

/** Tuning of a Gossip instance; every field has a default (GOSSIP_DEFAULTS). */
export interface GossipTuning {
  /**
   * Plumtree: a neighbour that delivers a message we already had is moved from the eager
   * set to the lazy set (PRUNE), so eager pushes converge on a spanning tree. Off: every new
   * message is pushed to every subscribed neighbour (plain flooding).
   */
  readonly eagerPruning?: boolean
  /** IHAVE announcements to lazy neighbours and IWANT pulls of what is missing. Off: no repair. */
  readonly lazyRepair?: boolean
  /** Duplicates in a row from an eager neighbour (with no first copy between) before it is pruned. */
  readonly pruneAfterDuplicates?: number
  /** Most neighbours a relayed source's tree starts with (Dhigh); the rest start lazy. A publisher pushes its own messages to all. */
  readonly maxEager?: number
  /** Sources per topic whose push trees are remembered (least recently used forgotten first; a forgotten source's next message floods again). */
  readonly maxSources?: number
  /** A message announced but not received within this is pulled (IWANT, GRAFT). */
  readonly graftTimeoutMs?: number
  /** Announcements wait this long to be batched into one IHAVE frame per neighbour. */
  readonly ihaveDelayMs?: number
  /** Period of re-announcements, cache expiry and pull retries. */
  readonly heartbeatMs?: number
  /**
   * Treat what a connection accepted as delivered (true for WebRTC data channels and the
   * simulator's reliable mode). False: keep re-announcing to every neighbour that has not
   * shown it has a message, `announceRounds` times — for lossy links.
   */
  readonly trustLinkDelivery?: boolean
  /** Announcements of one message per neighbour when deliveries are not trusted, 0, 1, 3, 7, 15, 31 ... heartbeats after it arrived. */
  readonly announceRounds?: number
  /** Pull attempts per missing message (rotating through the neighbours that announced it). */
  readonly maxPullAttempts?: number
  /** Seen-cache bounds: count and age. */
  readonly seenMax?: number
  readonly seenTtlMs?: number
  /** Message-cache bounds (for answering pulls): count, bytes and age. */
  readonly cacheMax?: number
  readonly cacheMaxBytes?: number
  readonly cacheTtlMs?: number
  /** Most missing ids tracked at once. */
  readonly maxMissing?: number
  /** Largest envelope frame accepted or published, bytes. */
  readonly maxMessageBytes?: number
  /** TTL of published messages (hops). */
  readonly ttl?: number
  /** Per-neighbour token bucket over inbound gossip frames. */
  readonly ratePerSecond?: number
  readonly rateBurst?: number
}

export type ResolvedGossipTuning = Required<GossipTuning>

export const GOSSIP_DEFAULTS: ResolvedGossipTuning = Object.freeze({
  eagerPruning: true,
  lazyRepair: true,
  pruneAfterDuplicates: 1,
  maxEager: 8,
  maxSources: 256,
  graftTimeoutMs: 150,
  ihaveDelayMs: 10,
  heartbeatMs: 1_000,
  trustLinkDelivery: true,
  announceRounds: 6,
  maxPullAttempts: 6,
  seenMax: 65_536,
  seenTtlMs: 300_000,
  cacheMax: 8_192,
  cacheMaxBytes: 32 * 1024 * 1024,
  cacheTtlMs: 120_000,
  maxMissing: 8_192,
  maxMessageBytes: 1024 * 1024,
  ttl: MAX_TTL,
  ratePerSecond: 1_000,
  rateBurst: 4_000
})

export const resolveGossipTuning = (tuning: GossipTuning = {}): ResolvedGossipTuning => {
  const t = { ...GOSSIP_DEFAULTS, ...tuning }
  const positive = ['pruneAfterDuplicates', 'maxEager', 'maxSources', 'heartbeatMs', 'announceRounds', 'maxPullAttempts', 'seenMax', 'seenTtlMs', 'cacheMax',
    'cacheMaxBytes', 'cacheTtlMs', 'maxMissing', 'maxMessageBytes', 'ratePerSecond', 'rateBurst', 'graftTimeoutMs'] as const
  for (const key of positive) {
    if (!(typeof t[key] === 'number' && t[key] > 0 && Number.isFinite(t[key]))) {
      throw new InvalidOptionsError(`gossip option ${key} must be a positive number, got ${String(t[key])}`)
    }
  }
  if (!(t.ihaveDelayMs >= 0)) throw new InvalidOptionsError(`gossip option ihaveDelayMs must be >= 0, got ${t.ihaveDelayMs}`)
  if (!(Number.isInteger(t.ttl) && t.ttl >= 1 && t.ttl <= MAX_TTL)) {
    throw new InvalidOptionsError(`gossip option ttl must be an integer from 1 to ${MAX_TTL}, got ${t.ttl}`)
  }
  return t
}
