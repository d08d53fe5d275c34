/** What subscribers and the peer see of gossip: messages, verdicts, drops, penalties, options. */
import type { Clock, Envelope, PeerId, Rng } from '@ymesh/protocol'
import type { Identity } from '@ymesh/crypto'
import type { FrameDispatcher } from '../connections/dispatcher.js'
import type { Neighbours } from '../connections/neighbours.js'
import type { CoreMetrics } from '../metrics/core-metrics.js'
import type { Logger } from '../logger.js'
import type { GossipTuning } from './options.js'

/**
 * A message as a subscriber sees it. On an 'envelope' topic its signature has been verified
 * against `source`; on a 'payload' topic nothing has been checked but that `id` is the
 * payload's digest (payloadMessageId): the subscriber authenticates the payload itself.
 */
export interface GossipMessage {
  readonly id: Uint8Array
  readonly topic: string
  /** The author (verified on 'envelope' topics; only claimed on 'payload' topics). */
  readonly source: PeerId
  readonly payloadType: number
  readonly payload: Uint8Array
  /** Links crossed before reaching us. */
  readonly hops: number
  /** The neighbour that handed it to us. */
  readonly from: PeerId
  readonly envelope: Envelope
}

/**
 * What a subscriber says about a message: 'accept' (the default) forwards it; 'ignore' keeps
 * it from being forwarded (stale, not interesting); 'reject' also penalises the neighbour
 * that sent it (invalid content).
 */
export type GossipVerdict = 'accept' | 'ignore' | 'reject'
/**
 * A subscriber. It may answer later (a promise), e.g. after checking the payload's own
 * signature: the message is forwarded only once the verdict is in, and copies arriving
 * meanwhile are suppressed as duplicates.
 */
export type GossipHandler = (message: GossipMessage) => GossipVerdict | undefined | void | PromiseLike<GossipVerdict | undefined | void>

/**
 * Who vouches for a topic's messages. 'envelope' (default): the author signs each envelope
 * and every receiver verifies it before the subscriber sees it. 'payload': the payload is
 * signed by its author at a higher layer (Yjs updates signed by @ymesh/sync), so envelopes
 * carry no signature, ids are the payload's digest, and the subscriber's verdict is the check
 * ('reject' penalises the neighbour that sent it, and the message goes no further).
 */
export type GossipAuthentication = 'envelope' | 'payload'

export interface SubscribeOptions {
  /** Spread by announcements and pulls only: one copy per peer, a few round trips more per hop. */
  readonly lazyOnly?: boolean
  readonly authentication?: GossipAuthentication
  /**
   * How long this topic's messages stay in the cache that answers pulls and catches up
   * neighbours that subscribe later (default `cacheTtlMs`): short for presence-like topics.
   */
  readonly cacheTtlMs?: number
}

/** Why an inbound gossip frame or message was dropped (the metric label). */
export type GossipDropReason =
  | 'malformed' | 'bad-signature' | 'oversized' | 'rate-limited' | 'rejected' | 'not-subscribed' | 'not-topic'
  | 'missing-full' | 'pull-gave-up' | 'bad-id'

/** Penalty added to a neighbour's score per drop reason (0: not its fault). */
export const GOSSIP_PENALTIES: Readonly<Record<GossipDropReason, number>> = Object.freeze({
  malformed: 10,
  'bad-signature': 20,
  oversized: 10,
  'rate-limited': 1,
  rejected: 5,
  'not-subscribed': 0,
  'not-topic': 0,
  'missing-full': 0,
  'pull-gave-up': 0,
  'bad-id': 20
})

export interface GossipEvents {
  /** A neighbour's penalty score went up: a hook for reputation and connection pruning. */
  penalty: (event: { readonly peer: PeerId, readonly reason: GossipDropReason, readonly score: number }) => void
}

export interface GossipOptions {
  readonly neighbours: Neighbours
  readonly dispatcher: FrameDispatcher
  readonly clock: Clock
  readonly rng: Rng
  readonly metrics: CoreMetrics
  readonly logger: Logger
  /** Needed to publish(); a relay-only gossip can leave it out. */
  readonly identity?: Identity
  /**
   * Register for 'envelope' frames on the dispatcher (default true). A peer that also routes
   * envelopes to peers registers one handler itself and passes topic envelopes to
   * receiveEnvelope().
   */
  readonly handleEnvelopeFrames?: boolean
  readonly options?: GossipTuning
}
