/**
 * Route metrics and destination sequence numbers: the arithmetic the feasibility condition
 * rests on (docs/routing.md). Pure functions, no state.
 */
import { ROUTE_METRIC_INFINITY } from '@ymesh/protocol'

/** A route's age and cost as advertised: newer seqno first, then lower metric. */
export interface Distance {
  readonly seqno: number
  readonly metric: number
}

/** True when seqno `a` is newer than `b`, modulo 2^32 (RFC 1982 serial arithmetic). */
export const seqnoNewer = (a: number, b: number): boolean => a !== b && ((a - b) >>> 0) < 0x80000000

/** `a + n` modulo 2^32. */
export const seqnoAdd = (a: number, n: number): number => (a + n) >>> 0

/** Saturating metric addition: anything involving infinity, or reaching it, is infinity. */
export const addMetric = (a: number, b: number): number =>
  a >= ROUTE_METRIC_INFINITY || b >= ROUTE_METRIC_INFINITY ? ROUTE_METRIC_INFINITY : Math.min(ROUTE_METRIC_INFINITY, a + b)

/**
 * The feasibility condition (Babel, RFC 8966 §3.5.1): an advertised distance may be used
 * only when it is strictly better than the feasibility distance `fd` (the best distance this
 * peer has itself selected for that destination since the seqno changed). Retractions are
 * always feasible; with no fd yet, anything is.
 */
export const isFeasible = (advertised: Distance, fd: Distance | undefined): boolean =>
  advertised.metric >= ROUTE_METRIC_INFINITY ||
  fd === undefined ||
  seqnoNewer(advertised.seqno, fd.seqno) ||
  (advertised.seqno === fd.seqno && advertised.metric < fd.metric)

/** The better of two distances (newer seqno wins, then lower metric). */
export const betterDistance = (a: Distance, b: Distance | undefined): Distance =>
  b === undefined || seqnoNewer(a.seqno, b.seqno) || (a.seqno === b.seqno && a.metric < b.metric) ? a : b

export interface LinkCostOptions {
  /** Cost of one hop on an ideal link. */
  readonly hopCost: number
  /** RTT that adds one more hopCost. */
  readonly rttUnitMs: number
}

/**
 * The cost of a link from its measured quality: one hopCost, plus one more per rttUnitMs of
 * round-trip time, scaled by the expected transmissions 1 / (1 − loss) (ETX). Hop count
 * dominates on uniform links, so paths stay short; slow or lossy links cost like extra hops.
 */
export const linkCost = (quality: { readonly rttMs: number | null, readonly loss: number }, options: LinkCostOptions): number => {
  const rtt = quality.rttMs !== null && Number.isFinite(quality.rttMs) && quality.rttMs > 0 ? quality.rttMs : 0
  const loss = Number.isFinite(quality.loss) ? Math.min(0.9, Math.max(0, quality.loss)) : 0
  const cost = (options.hopCost + (options.hopCost * rtt) / options.rttUnitMs) / (1 - loss)
  return Math.max(1, Math.min(ROUTE_METRIC_INFINITY - 1, Math.round(cost)))
}
