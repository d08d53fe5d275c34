/**
 * What a peer knows of a room's members without the server: itself, its neighbours in the
 * room, and the members its neighbours list in their rosters, each with the age of the
 * freshest first-hand sighting. Ages travel with the entries and only grow, so a member that
 * left disappears everywhere once no one has seen it within maxAgeMs — rosters can never
 * keep each other's stale entries alive.
 *
 * Rendezvous rule: the `count` members with the lowest hash(topic, peerId) stay subscribed at
 * the server for newcomers; every peer computes the same ranking from its view.
 */
import type { PeerId } from '@ymesh/protocol'

/** FNV-1a over the UTF-16 code units, 32 bits, twice with different offsets (deterministic, not secret). */
export const rendezvousRank = (topic: string, peer: PeerId): number => {
  const text = `${topic}\u0000${peer}`
  let h1 = 0x811c9dc5
  let h2 = 0x01000193
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0
  }
  return h1 * 0x100000 + (h2 & 0xfffff)
}

export class RoomView {
  private readonly seenAt = new Map<PeerId, number>()
  /** Members known dead, with the time up to which sightings of them are stale (see bury). */
  private readonly buried = new Map<PeerId, number>()

  constructor (readonly topic: string, readonly self: PeerId, private readonly maxAgeMs: number, private readonly maxMembers = 4096) {}

  /** Records a sighting `ageMs` old; returns true when the member is new to this view. */
  saw (peer: PeerId, now: number, ageMs = 0): boolean {
    if (peer === this.self || !(ageMs >= 0) || ageMs > this.maxAgeMs) return false
    const at = now - ageMs
    if (at <= (this.buried.get(peer) ?? -Infinity)) return false
    const previous = this.seenAt.get(peer)
    if (previous !== undefined) {
      if (at > previous) this.seenAt.set(peer, at)
      return false
    }
    if (this.seenAt.size >= this.maxMembers) return false
    this.seenAt.set(peer, at)
    return true
  }

  forget (peer: PeerId): void {
    this.seenAt.delete(peer)
  }

  /**
   * Drops a member known to be gone (our link to it timed out, or it said it left), and ignores sightings of it up
   * to `until` for maxAgeMs: rosters still carry the last ones for that long. A sighting after
   * `until` (it came back, or only our link to it failed) brings it back.
   */
  bury (peer: PeerId, until: number): void {
    this.seenAt.delete(peer)
    this.buried.delete(peer)
    this.buried.set(peer, until)
    if (this.buried.size > this.maxMembers) this.buried.delete(this.buried.keys().next().value as PeerId)
  }

  /** Buried (see bury) and not seen since. */
  isBuried (peer: PeerId): boolean {
    return this.buried.has(peer) && !this.seenAt.has(peer)
  }

  /** Drops members not seen within maxAgeMs; returns them. */
  expire (now: number): PeerId[] {
    for (const [peer, until] of this.buried) if (now - until > this.maxAgeMs) this.buried.delete(peer)
    const gone: PeerId[] = []
    for (const [peer, at] of this.seenAt) if (now - at > this.maxAgeMs) { this.seenAt.delete(peer); gone.push(peer) }
    return gone
  }

  /** How long ago anyone last saw `peer` first-hand, or undefined when it is not in the view. */
  ageOf (peer: PeerId, now: number): number | undefined {
    const at = this.seenAt.get(peer)
    return at === undefined ? undefined : Math.max(0, now - at)
  }

  has (peer: PeerId): boolean {
    return this.seenAt.has(peer)
  }

  get size (): number {
    return this.seenAt.size
  }

  /** Entries for a roster: ourselves at age 0, then members with their ages, freshest first. */
  roster (now: number, limit: number): Array<readonly [PeerId, number]> {
    const entries = [...this.seenAt].map(([peer, at]) => [peer, Math.max(0, now - at)] as const).sort((a, b) => a[1] - b[1])
    return [[this.self, 0] as const, ...entries].slice(0, limit)
  }

  /** True when this peer is among the `count` lowest-ranked members of its view. */
  isRendezvous (count: number): boolean {
    const mine = rendezvousRank(this.topic, this.self)
    let lower = 0
    for (const peer of this.seenAt.keys()) if (rendezvousRank(this.topic, peer) < mine && ++lower >= count) return false
    return true
  }

  /** The `count` lowest-ranked of this view's members and this peer: who this view elects. */
  rendezvousPoints (count: number): Set<PeerId> {
    const ranked = [this.self, ...this.seenAt.keys()].map((p) => [p, rendezvousRank(this.topic, p)] as const).sort((a, b) => a[1] - b[1])
    return new Set(ranked.slice(0, Math.max(0, count)).map(([p]) => p))
  }
}
