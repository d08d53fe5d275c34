/**
 * Tuning of the router, with defaults. Every number here is explained in docs/routing.md
 * ("Timers"); the wire limits themselves live in @ymesh/protocol.
 */
import { DEFAULT_TTL, MAX_ROUTE_DICTIONARY_SIZE, MAX_TTL } from '@ymesh/protocol'
import { InvalidOptionsError } from '../errors.js'

export interface RouterOptions {
  /** false: no route adverts, no forwarding; send() reaches direct neighbours only (the plain path). */
  readonly routing?: boolean
  /** false: this peer routes its own messages but forwards nobody else's (a leaf). */
  readonly forwarding?: boolean
  /** Full table sent to every neighbour this often (plus triggered updates in between). */
  readonly updateIntervalMs?: number
  /** A route not refreshed for this long is dropped. */
  readonly routeExpiryMs?: number
  /** Feasibility distance of a destination with no routes is forgotten after this long. */
  readonly sourceGcMs?: number
  /** Triggered updates are batched for this long. */
  readonly triggeredDelayMs?: number
  /** How often link costs are re-read from connection quality. */
  readonly costIntervalMs?: number
  /** A link cost is changed only when the new one differs by more than this share. */
  readonly costHysteresis?: number
  /** Traffic moves to another route only when it is cheaper by more than this share. */
  readonly switchHysteresis?: number
  /** Metric of one hop on an ideal link. */
  readonly hopCost?: number
  /** Round-trip time that costs one more hop. */
  readonly rttUnitMs?: number
  /** Most destinations in the table; adverts for more are dropped. */
  readonly maxRoutes?: number
  /** Advert items accepted per neighbour per second (token bucket rate). */
  readonly advertItemsPerSecond?: number
  /** Advert items a neighbour may send in a burst. */
  readonly advertBurst?: number
  /** Most destinations named per connection before the dictionary is reset. */
  readonly maxDictionarySize?: number
  /** Hop limit of seqno requests. */
  readonly requestHopLimit?: number
  /** Least time between two seqno requests for one destination. */
  readonly requestIntervalMs?: number
  /** TTL of messages this peer sends. */
  readonly ttl?: number
  /** How long envelope ids are remembered (loop and duplicate suppression). */
  readonly seenTtlMs?: number
  /** Most remembered envelope ids and delivered message ids. */
  readonly seenMaxEntries?: number
  /** How long delivered message ids are remembered (duplicate suppression across retries). */
  readonly deliveredTtlMs?: number
  /** Attempts of an acknowledged send, the first included. */
  readonly maxAttempts?: number
  /** First ack timeout before anything was measured for the destination. */
  readonly ackTimeoutMs?: number
  /** Smallest ack timeout, however fast the destination answered before. */
  readonly minAckTimeoutMs?: number
  /** Largest ack timeout after backoff. */
  readonly maxAckTimeoutMs?: number
  /** Each retry waits this many times longer than the previous one. */
  readonly backoffFactor?: number
}

export type ResolvedRouterOptions = Required<RouterOptions>

export const DEFAULT_ROUTER_OPTIONS: ResolvedRouterOptions = Object.freeze({
  routing: true,
  forwarding: true,
  updateIntervalMs: 60_000,
  routeExpiryMs: 210_000,
  sourceGcMs: 360_000,
  triggeredDelayMs: 20,
  costIntervalMs: 2_000,
  costHysteresis: 0.2,
  switchHysteresis: 0.1,
  hopCost: 256,
  rttUnitMs: 100,
  maxRoutes: 4096,
  advertItemsPerSecond: 4096,
  advertBurst: 16_384,
  maxDictionarySize: MAX_ROUTE_DICTIONARY_SIZE,
  requestHopLimit: 16,
  requestIntervalMs: 1_000,
  ttl: DEFAULT_TTL,
  seenTtlMs: 60_000,
  seenMaxEntries: 65_536,
  deliveredTtlMs: 300_000,
  maxAttempts: 6,
  ackTimeoutMs: 2_000,
  minAckTimeoutMs: 500,
  maxAckTimeoutMs: 16_000,
  backoffFactor: 2
})

const positive = (options: ResolvedRouterOptions, names: ReadonlyArray<keyof ResolvedRouterOptions>): void => {
  for (const name of names) {
    const value = options[name]
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new InvalidOptionsError(`router option ${name} must be a positive number, got ${String(value)}`)
    }
  }
}

export const resolveRouterOptions = (options: RouterOptions = {}): ResolvedRouterOptions => {
  const resolved: ResolvedRouterOptions = { ...DEFAULT_ROUTER_OPTIONS, ...options }
  positive(resolved, [
    'updateIntervalMs', 'routeExpiryMs', 'sourceGcMs', 'triggeredDelayMs', 'costIntervalMs', 'hopCost', 'rttUnitMs',
    'maxRoutes', 'advertItemsPerSecond', 'advertBurst', 'maxDictionarySize', 'requestHopLimit', 'requestIntervalMs',
    'ttl', 'seenTtlMs', 'seenMaxEntries', 'deliveredTtlMs', 'maxAttempts', 'ackTimeoutMs', 'minAckTimeoutMs',
    'maxAckTimeoutMs', 'backoffFactor'
  ])
  if (resolved.routeExpiryMs <= resolved.updateIntervalMs) {
    throw new InvalidOptionsError('router option routeExpiryMs must exceed updateIntervalMs, or routes expire between refreshes (use about 3.5×)')
  }
  if (!Number.isInteger(resolved.ttl) || resolved.ttl > MAX_TTL) {
    throw new InvalidOptionsError(`router option ttl must be an integer from 1 to ${MAX_TTL}, got ${resolved.ttl}`)
  }
  if (resolved.maxDictionarySize > MAX_ROUTE_DICTIONARY_SIZE) {
    throw new InvalidOptionsError(`router option maxDictionarySize must be at most ${MAX_ROUTE_DICTIONARY_SIZE}`)
  }
  if (resolved.costHysteresis < 0 || resolved.switchHysteresis < 0) {
    throw new InvalidOptionsError('router options costHysteresis and switchHysteresis must be 0 or more')
  }
  return resolved
}
