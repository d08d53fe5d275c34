/**
 * Turns measured connection quality into link costs for the table, with two filters:
 *
 * - the RTT used is the minimum of the raw ping samples of the last `windowMs` (a windowed
 *   min, as BBR's min_rtt), and the loss the minimum of the last readings over the same
 *   span. On a lossy path one retransmitted ping inflates the smoothed RTT (or counts as
 *   lost) for a while, and a cost that followed it would move routes and, through the
 *   feasibility condition, make peers ask for new seqnos all over the mesh. A real slowdown
 *   lasts the whole window and still counts; an improvement counts at once.
 * - a cost changes only when it moved by more than `costHysteresis`.
 *
 * Together with the table's switch hysteresis this keeps traffic on the cheapest path
 * without flapping between near-equal ones.
 */
import type { PeerId } from '@ymesh/protocol'
import type { ConnectionQuality } from '../connections/connection.js'
import { linkCost, type LinkCostOptions } from './metric.js'

export interface RouteOptimizerOptions extends LinkCostOptions {
  readonly costHysteresis: number
  /** Span of the RTT and loss minimum (default 16 s: 8 pings and 8 cost readings at 2 s). */
  readonly windowMs?: number
}

interface Reading {
  readonly at: number
  readonly value: number
}

interface LinkState {
  cost: number | null
  readonly rtts: Reading[]
  readonly losses: Reading[]
}

export class RouteOptimizer {
  private readonly links = new Map<PeerId, LinkState>()
  private readonly windowMs: number

  constructor (private readonly options: RouteOptimizerOptions) {
    this.windowMs = options.windowMs ?? 16_000
  }

  /** A raw RTT sample (the connection's 'rtt' event). */
  observeRtt (neighbour: PeerId, rttMs: number, now: number): void {
    if (Number.isFinite(rttMs) && rttMs >= 0) this.record(this.state(neighbour).rtts, rttMs, now)
  }

  /** The cost to use for `neighbour` now; `quality` gives the loss, and the RTT until samples arrive. */
  cost (neighbour: PeerId, quality: Pick<ConnectionQuality, 'rttMs' | 'loss'>, now: number): number {
    const state = this.state(neighbour)
    if (Number.isFinite(quality.loss)) this.record(state.losses, quality.loss, now)
    this.trim(state.rtts, now)
    const rttMs = state.rtts.length > 0 ? Math.min(...state.rtts.map((r) => r.value)) : quality.rttMs
    const loss = state.losses.length > 0 ? Math.min(...state.losses.map((r) => r.value)) : 0
    const measured = linkCost({ rttMs, loss }, this.options)
    if (state.cost === null || Math.abs(measured - state.cost) > state.cost * this.options.costHysteresis) state.cost = measured
    return state.cost
  }

  forget (neighbour: PeerId): void {
    this.links.delete(neighbour)
  }

  clear (): void {
    this.links.clear()
  }

  private state (neighbour: PeerId): LinkState {
    let state = this.links.get(neighbour)
    if (state === undefined) this.links.set(neighbour, state = { cost: null, rtts: [], losses: [] })
    return state
  }

  private record (readings: Reading[], value: number, now: number): void {
    readings.push({ at: now, value })
    this.trim(readings, now)
  }

  private trim (readings: Reading[], now: number): void {
    // Keep at least the newest reading, so a link whose pings stopped keeps its last measurement.
    while (readings.length > 1 && now - (readings[0] as Reading).at > this.windowMs) readings.shift()
  }
}
