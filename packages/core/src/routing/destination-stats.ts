/**
 * Per-destination figures from acknowledged sends: smoothed round trip and its variation
 * (RFC 6298, for the ack timeout) and the hop count last seen. Bounded: the least recently
 * updated destination is forgotten first.
 */
import type { PeerId } from '@ymesh/protocol'

export interface DestinationFigures {
  readonly srttMs: number
  readonly rttVarMs: number
  readonly hops: number
}

export class DestinationStats {
  private readonly byDestination = new Map<PeerId, DestinationFigures>()

  constructor (private readonly maxEntries: number) {}

  observe (destination: PeerId, rttMs: number, hops: number): void {
    const old = this.byDestination.get(destination)
    const next = old === undefined
      ? { srttMs: rttMs, rttVarMs: rttMs / 2, hops }
      : {
          rttVarMs: 0.75 * old.rttVarMs + 0.25 * Math.abs(old.srttMs - rttMs),
          srttMs: 0.875 * old.srttMs + 0.125 * rttMs,
          hops
        }
    this.byDestination.delete(destination)
    this.byDestination.set(destination, next)
    if (this.byDestination.size > this.maxEntries) this.byDestination.delete(this.byDestination.keys().next().value as PeerId)
  }

  get (destination: PeerId): DestinationFigures | undefined {
    return this.byDestination.get(destination)
  }

  /** RFC 6298's retransmission timeout (srtt + 4·rttvar), clamped; undefined before any sample. */
  timeout (destination: PeerId, minMs: number, maxMs: number): number | undefined {
    const s = this.byDestination.get(destination)
    if (s === undefined) return undefined
    return Math.min(maxMs, Math.max(minMs, s.srttMs + 4 * s.rttVarMs))
  }

  rows (): Array<readonly [PeerId, DestinationFigures]> {
    return [...this.byDestination]
  }
}
