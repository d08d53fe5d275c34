/**
 * Turns measured connection quality into link costs for the table, with hysteresis: RTT
 * samples wobble by a few percent, and every cost change may move routes and send adverts,
 * so a cost changes only when the measurement moved by more than `costHysteresis`.
 * Together with the table's switch hysteresis this keeps traffic on the cheapest path
 * without flapping between near-equal ones.
 */
import type { PeerId } from '@ymesh/protocol'
import type { ConnectionQuality } from '../connections/connection.js'
import { linkCost, type LinkCostOptions } from './metric.js'

export interface RouteOptimizerOptions extends LinkCostOptions {
  readonly costHysteresis: number
}

export class RouteOptimizer {
  private readonly costs = new Map<PeerId, number>()

  constructor (private readonly options: RouteOptimizerOptions) {}

  /** The cost to use for `neighbour` now, given its latest quality. */
  cost (neighbour: PeerId, quality: Pick<ConnectionQuality, 'rttMs' | 'loss'>): number {
    const measured = linkCost(quality, this.options)
    const current = this.costs.get(neighbour)
    if (current !== undefined && Math.abs(measured - current) <= current * this.options.costHysteresis) return current
    this.costs.set(neighbour, measured)
    return measured
  }

  forget (neighbour: PeerId): void {
    this.costs.delete(neighbour)
  }

  clear (): void {
    this.costs.clear()
  }
}
