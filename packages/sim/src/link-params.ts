import type { SimRng } from './sim-rng.js'

/**
 * Gilbert–Elliott bursty loss: a two-state Markov chain (good, bad) stepped once per
 * message, each state with its own loss probability.
 */
export interface BurstLoss {
  /** Probability of moving from good to bad per message. */
  readonly goodToBad: number
  /** Probability of moving from bad to good per message. */
  readonly badToGood: number
  /** Loss probability in the good state. Default 0. */
  readonly lossGood?: number
  /** Loss probability in the bad state. Default 1. */
  readonly lossBad?: number
}

/** Parameters of one direction of a path between two nodes. */
export interface LinkParams {
  /** One-way propagation delay, ms. */
  readonly latencyMs: number
  /** Extra delay drawn uniformly from [0, jitterMs) per message. */
  readonly jitterMs: number
  /** Bytes per second; Infinity for no serialisation delay. */
  readonly bandwidth: number
  /** Per-transmission loss probability (ignored when `burst` is set). */
  readonly loss: number
  /** Bursty loss instead of independent loss. */
  readonly burst: BurstLoss | null
  /**
   * 'reliable' (default) models a WebRTC data channel: loss shows as retransmission delay,
   * never as reordering or missing messages. 'unreliable' drops, duplicates and reorders.
   */
  readonly mode: 'reliable' | 'unreliable'
  /** Unreliable mode: probability a message is delivered twice. */
  readonly duplicate: number
  /** Unreliable mode: probability a message gets an extra delay of up to reorderDelayMs. */
  readonly reorder: number
  readonly reorderDelayMs: number
  /** Reliable mode: first retransmission timeout, doubled per further loss of one message. */
  readonly rtoMs: number
  /** Reliable mode: retransmission timeout ceiling. */
  readonly maxRtoMs: number
}

export const DEFAULT_LINK_PARAMS: LinkParams = Object.freeze({
  latencyMs: 20,
  jitterMs: 0,
  // 100 Mbit/s: finite, so bufferedAmount and backpressure behave like a real channel.
  bandwidth: 12_500_000,
  loss: 0,
  burst: null,
  mode: 'reliable',
  duplicate: 0,
  reorder: 0,
  reorderDelayMs: 50,
  rtoMs: 200,
  maxRtoMs: 10_000
})

export function resolveParams (base: LinkParams, patch: Partial<LinkParams> | undefined): LinkParams {
  const params = patch === undefined ? base : { ...base, ...patch }
  checkProbability('loss', params.loss)
  checkProbability('duplicate', params.duplicate)
  checkProbability('reorder', params.reorder)
  if (!(params.latencyMs >= 0) || !(params.jitterMs >= 0) || !(params.bandwidth > 0) || !(params.rtoMs > 0)) {
    throw new RangeError('link parameters need latencyMs >= 0, jitterMs >= 0, bandwidth > 0 (bytes/s, or Infinity) and rtoMs > 0')
  }
  return params
}

function checkProbability (name: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`link parameter ${name} is a probability in [0, 1], got ${p}`)
}

/** Per-direction loss state: the Gilbert–Elliott chain's current state. */
export class LossState {
  bad = false

  /** Draws whether one transmission is lost, stepping the burst chain first. */
  lost (params: LinkParams, rng: SimRng): boolean {
    const burst = params.burst
    if (burst === null) return params.loss > 0 && rng.float() < params.loss
    if (this.bad) { if (rng.float() < burst.badToGood) this.bad = false } else if (rng.float() < burst.goodToBad) this.bad = true
    const p = this.bad ? (burst.lossBad ?? 1) : (burst.lossGood ?? 0)
    return p > 0 && rng.float() < p
  }
}
