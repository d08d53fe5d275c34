/**
 * How long a relayed signal may take before the server path is used: an RTO in the manner of
 * TCP (RFC 6298) over the round trips of relayed signals — capsule out, the target's ack back
 * — so the timeout follows the mesh instead of being a fixed few seconds.
 *
 *   timeout = clamp(max(multiplier × srtt, srtt + 4 × rttvar) × backoff, floor, ceiling)
 *
 * backoff doubles on each timeout and goes back to 1 with the next measured round trip (RFC
 * 6298 §5.5): under load the relay round trip grows faster than the average follows, and
 * without it every capsule would also go through the server. Acks that arrive after the
 * fallback are measured too (the signals took another path, so the sample is not ambiguous);
 * leaving them out would keep the estimate at the fast round trips only.
 */
export interface FallbackTimingOptions {
  /** Before any round trip was measured. Default 1 000 ms. */
  readonly initialMs?: number
  /** Never less (one slow event loop turn must not trigger the server path). Default 150 ms. */
  readonly floorMs?: number
  /** Never more: success must not wait long on a dead relay. Default 4 000 ms. */
  readonly ceilingMs?: number
  /** Default 3. */
  readonly multiplier?: number
}

export class FallbackTimer {
  private srtt: number | null = null
  private rttvar = 0
  private backoff = 1
  /** srtt came from seed(), not from our own round trips. */
  private borrowed = false
  readonly initialMs: number
  readonly floorMs: number
  readonly ceilingMs: number
  readonly multiplier: number

  constructor (options: FallbackTimingOptions = {}) {
    this.initialMs = options.initialMs ?? 1_000
    this.floorMs = options.floorMs ?? 150
    this.ceilingMs = options.ceilingMs ?? 4_000
    this.multiplier = options.multiplier ?? 3
  }

  /** Smoothed relay round trip of our own samples, or null before the first. */
  get smoothedRttMs (): number | null {
    return this.borrowed ? null : this.srtt
  }

  /**
   * A neighbour's estimate, before we measured anything: our first timeouts follow the mesh
   * as it is (a loaded mesh's relays take seconds) instead of initialMs. Our own first round
   * trip replaces it, as a first sample does.
   */
  seed (rttMs: number): void {
    if (this.srtt !== null || !(rttMs > 0) || !Number.isFinite(rttMs)) return
    this.srtt = rttMs
    this.rttvar = rttMs / 2
    this.borrowed = true
  }

  observe (rttMs: number): void {
    if (!(rttMs >= 0) || !Number.isFinite(rttMs)) return
    this.backoff = 1
    if (this.srtt === null || this.borrowed) {
      this.borrowed = false
      this.srtt = rttMs
      this.rttvar = rttMs / 2
      return
    }
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rttMs)
    this.srtt = 0.875 * this.srtt + 0.125 * rttMs
  }

  /** A relayed signal timed out: wait longer for the next ones until a round trip is measured again. */
  timedOut (): void {
    this.backoff = Math.min(8, this.backoff * 2)
  }

  timeoutMs (): number {
    const rto = this.srtt === null ? this.initialMs : Math.max(this.multiplier * this.srtt, this.srtt + 4 * this.rttvar)
    return Math.min(this.ceilingMs, Math.max(this.floorMs, rto * this.backoff))
  }
}
