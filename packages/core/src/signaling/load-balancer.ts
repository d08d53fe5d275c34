/**
 * Which neighbours relay a signal: those with the most spare capacity, by their advertised
 * capability records (load, free slots, relay role) and by what this peer saw itself
 * (signals it has in flight through each, recent declines). A neighbour that declined is
 * avoided for a while, and one whose record lacks the relay role is not asked at all, so
 * signaling load spreads instead of piling onto one peer.
 */
import type { PeerId, Rng } from '@ymesh/protocol'

/** What the balancer needs to know of a neighbour's advertised capability record. */
export interface RelayCapacity {
  readonly relay: boolean
  /** permille, 0–1000 */
  readonly load: number
  readonly freeSlots: number
}

export interface SignalingLoadBalancerOptions {
  readonly rng: Rng
  readonly now: () => number
  /** The neighbour's advertised capacity, or undefined when no record is known. */
  readonly capacityOf: (peer: PeerId) => RelayCapacity | undefined
  /** A neighbour that declined is avoided this long. Default 30 000 ms. */
  readonly declineCooldownMs?: number
  /** A neighbour that went silent while relaying for us is avoided this long. Default 5 000 ms. */
  readonly silentCooldownMs?: number
  /** When anything last came from this neighbour (its connection's lastReceivedAt), if known. */
  readonly lastHeardAt?: (peer: PeerId) => number | undefined
}

export class SignalingLoadBalancer {
  private readonly inFlight = new Map<PeerId, number>()
  private readonly declinedAt = new Map<PeerId, number>()
  private readonly silentAt = new Map<PeerId, number>()

  constructor (private readonly options: SignalingLoadBalancerOptions) {}

  /** Lower is better; Infinity: do not ask. */
  score (peer: PeerId): number {
    const declined = this.declinedAt.get(peer)
    if (declined !== undefined && this.options.now() - declined < (this.options.declineCooldownMs ?? 30_000)) return Infinity
    if (this.isSilent(peer)) return Infinity
    const cap = this.options.capacityOf(peer)
    if (cap !== undefined && !cap.relay) return Infinity
    const load = cap?.load ?? 500
    const slots = cap?.freeSlots ?? 4
    return load + 100 * (this.inFlight.get(peer) ?? 0) - 10 * Math.min(slots, 50)
  }

  /** Up to `count` of `candidates` ranked best first (ties broken at random); never the excluded. */
  pick (candidates: Iterable<PeerId>, count: number, exclude: ReadonlySet<PeerId> = new Set()): PeerId[] {
    const ranked: Array<[PeerId, number, number]> = []
    for (const peer of candidates) {
      if (exclude.has(peer)) continue
      const score = this.score(peer)
      if (score !== Infinity) ranked.push([peer, score, this.options.rng.float()])
    }
    ranked.sort((a, b) => a[1] - b[1] || a[2] - b[2])
    return ranked.slice(0, count).map(([peer]) => peer)
  }

  started (peer: PeerId): void {
    this.inFlight.set(peer, (this.inFlight.get(peer) ?? 0) + 1)
  }

  finished (peer: PeerId): void {
    const n = (this.inFlight.get(peer) ?? 0) - 1
    if (n <= 0) this.inFlight.delete(peer)
    else this.inFlight.set(peer, n)
  }

  declined (peer: PeerId): void {
    this.declinedAt.set(peer, this.options.now())
  }

  /**
   * A capsule through `peer` timed out and nothing at all came from `peer` since it was sent:
   * it may have crashed, which the connection notices only after its dead-peer timeout. Until
   * the cooldown ends, or `peer` is heard from again, signals take other paths.
   */
  silent (peer: PeerId): void {
    this.silentAt.set(peer, this.options.now())
  }

  isSilent (peer: PeerId): boolean {
    const at = this.silentAt.get(peer)
    if (at === undefined) return false
    const heard = this.options.lastHeardAt?.(peer) ?? -Infinity
    if (heard <= at && this.options.now() - at < (this.options.silentCooldownMs ?? 5_000)) return true
    this.silentAt.delete(peer)
    return false
  }

  /** A neighbour that declined (or whose record says it does not relay) is not counted on. */
  willRelay (peer: PeerId): boolean {
    return this.score(peer) !== Infinity
  }

  forget (peer: PeerId): void {
    this.inFlight.delete(peer)
    this.declinedAt.delete(peer)
    this.silentAt.delete(peer)
  }
}
