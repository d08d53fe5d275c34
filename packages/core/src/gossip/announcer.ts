/**
 * Lazy push: ids of new messages (and our member lists) queued per neighbour and sent as
 * batched gossip-ihave frames every `ihaveDelayMs`. Nothing is announced twice on a trusted
 * link; on lossy links an id is re-announced with exponential spacing.
 */
import { Tag, type Clock, type Timer } from '@ymesh/protocol'
import type { Connection } from '../connections/connection.js'
import type { CachedMessage } from './caches.js'
import type { GossipMetrics } from './metrics.js'
import type { ResolvedGossipTuning } from './options.js'
import { encodeGossipControl, IHaveFlag, MAX_GOSSIP_IDS } from './wire.js'

/** Sends a control frame, split into several when there are more ids than one frame carries. */
export const sendControl = (connection: Connection, tag: number, topic: string, flags: number, ids: readonly Uint8Array[]): void => {
  for (let at = 0; at === 0 || at < ids.length; at += MAX_GOSSIP_IDS) {
    connection.send(tag, encodeGossipControl({ topic, flags, ids: ids.slice(at, at + MAX_GOSSIP_IDS) }))
  }
}

export interface AnnouncerOptions {
  readonly clock: Clock
  readonly tuning: ResolvedGossipTuning
  readonly metrics: GossipMetrics
  /** A topic's members and our member list as digests; undefined once unsubscribed. */
  readonly members: (topic: string) => { readonly members: Iterable<Connection>, readonly digests: Uint8Array[] } | undefined
}

export class Announcer {
  private readonly pending = new Map<Connection, Map<string, Uint8Array[]>>()
  /** Topics whose member list changed and is to be sent to their members. */
  private readonly membersDirty = new Set<string>()
  private timer: Timer | null = null

  constructor (private readonly options: AnnouncerOptions) {}

  /** Queue `entry`'s id for an IHAVE to `connection`, unless it has it or has been told often enough. */
  announce (entry: CachedMessage, connection: Connection): void {
    const { tuning, clock } = this.options
    if (entry.outbound === null || entry.knownBy.has(connection)) return
    if (tuning.trustLinkDelivery) {
      entry.knownBy.add(connection)
    } else {
      const times = entry.announced.get(connection) ?? 0
      // Re-announce with exponential spacing (0, 1, 3, 7, ... heartbeats): cheap, yet it outlasts a partition.
      if (times >= tuning.announceRounds) return
      if (times > 0 && clock.now() - entry.firstSeen < tuning.heartbeatMs * (2 ** times - 1)) return
      entry.announced.set(connection, times + 1)
    }
    let byTopic = this.pending.get(connection)
    if (byTopic === undefined) this.pending.set(connection, byTopic = new Map())
    let ids = byTopic.get(entry.topic)
    if (ids === undefined) byTopic.set(entry.topic, ids = [])
    ids.push(entry.envelope.id)
    this.schedule()
  }

  /** Our member list for `topic` changed: tell the members with the next flush. */
  membersChanged (topic: string): void {
    this.membersDirty.add(topic)
    this.schedule()
  }

  forget (connection: Connection): void {
    this.pending.delete(connection)
  }

  clear (): void {
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer)
    this.timer = null
    this.pending.clear()
    this.membersDirty.clear()
  }

  private schedule (): void {
    this.timer ??= this.options.clock.setTimeout(() => { this.flush() }, this.options.tuning.ihaveDelayMs)
  }

  private flush (): void {
    this.timer = null
    for (const topic of this.membersDirty) {
      const mesh = this.options.members(topic)
      if (mesh === undefined) continue
      const digests = mesh.digests.slice(0, MAX_GOSSIP_IDS) // a longer list would need several frames; adjacency is only an optimisation
      for (const connection of mesh.members) sendControl(connection, Tag.GossipIHave, topic, IHaveFlag.Members, digests)
    }
    this.membersDirty.clear()
    for (const [connection, byTopic] of this.pending) {
      for (const [topic, ids] of byTopic) {
        this.options.metrics.idsAnnounced.inc({}, ids.length)
        sendControl(connection, Tag.GossipIHave, topic, 0, ids)
      }
    }
    this.pending.clear()
  }
}
