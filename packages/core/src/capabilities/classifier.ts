/**
 * Roles from capability records: 'anchor' (always-on, stores for others), 'relay' (spare
 * slots and bandwidth, forwards for others) or 'leaf'. Deterministic — a pure function of
 * the record and the role the peer had — so every peer classifies a record the same way,
 * with hysteresis: entering a role needs the full thresholds, keeping it only the relaxed
 * ones, so a peer hovering at a threshold does not flap.
 */
import { ObservableV2 } from 'lib0/observable'
import type { PeerId } from '@ymesh/protocol'
import type { CapabilityRecord } from './record.js'
import type { PeerCapabilityManager } from './manager.js'

export type PeerRole = 'leaf' | 'relay' | 'anchor'

export interface RoleThresholds {
  /** Relay: free slots at least this. Default 4. */
  readonly relayMinSlots: number
  /** Relay: bandwidth at least this, bytes/s. Default 1 000 000. */
  readonly relayMinBandwidth: number
  /** Relay: load at most this, permille. Default 700. */
  readonly relayMaxLoad: number
  /** Anchor: uptime at least this. Default 1 hour. */
  readonly anchorMinUptimeMs: number
  /** Anchor: storage offered at least this, bytes. Default 1 GiB. */
  readonly anchorMinStorage: number
  /** Anchor: load at most this, permille. Default 800. */
  readonly anchorMaxLoad: number
  /** How far a peer may fall past a threshold before it loses a role it has (fraction). Default 0.25. */
  readonly hysteresis: number
}

export const DEFAULT_ROLE_THRESHOLDS: RoleThresholds = Object.freeze({
  relayMinSlots: 4,
  relayMinBandwidth: 1_000_000,
  relayMaxLoad: 700,
  anchorMinUptimeMs: 3_600_000,
  anchorMinStorage: 1024 ** 3,
  anchorMaxLoad: 800,
  hysteresis: 0.25
})

/** The role `record` earns, given the role its peer had (undefined: none yet). */
export const classifyRecord = (record: CapabilityRecord, previous: PeerRole | undefined, t: RoleThresholds = DEFAULT_ROLE_THRESHOLDS): PeerRole => {
  const keep = (role: PeerRole): number => (previous === role ? 1 - t.hysteresis : 1)
  const anchorKeep = keep('anchor')
  const anchor = record.roles.includes('anchor') &&
    record.uptimeMs >= t.anchorMinUptimeMs * anchorKeep &&
    record.storageQuota >= t.anchorMinStorage * anchorKeep &&
    record.load <= t.anchorMaxLoad * (2 - anchorKeep)
  if (anchor) return 'anchor'
  // An anchor that lost its standing may still relay: it keeps relay-level slack.
  const relayKeep = previous === 'anchor' ? keep('anchor') : keep('relay')
  const relay = record.roles.includes('relay') &&
    record.freeSlots >= Math.floor(t.relayMinSlots * relayKeep) &&
    record.bandwidth >= t.relayMinBandwidth * relayKeep &&
    record.load <= t.relayMaxLoad * (2 - relayKeep)
  return relay ? 'relay' : 'leaf'
}

export interface RoleEvents {
  'role-changed': (event: { readonly peer: PeerId, readonly role: PeerRole, readonly previous: PeerRole | undefined }) => void
}

export class PeerRoleClassifier extends ObservableV2<RoleEvents> {
  private readonly roles = new Map<PeerId, PeerRole>()
  readonly thresholds: RoleThresholds

  constructor (thresholds: Partial<RoleThresholds> = {}) {
    super()
    this.thresholds = { ...DEFAULT_ROLE_THRESHOLDS, ...thresholds }
  }

  /** Classify a (newer) record of its peer; emits 'role-changed' when the role changes. */
  update (record: CapabilityRecord): PeerRole {
    const previous = this.roles.get(record.peerId)
    const role = classifyRecord(record, previous, this.thresholds)
    this.roles.set(record.peerId, role)
    if (role !== previous) this.emit('role-changed', [{ peer: record.peerId, role, previous }])
    return role
  }

  remove (peer: PeerId): void {
    this.roles.delete(peer)
  }

  /** 'leaf' for a peer we know nothing about. */
  role (peer: PeerId): PeerRole {
    return this.roles.get(peer) ?? 'leaf'
  }

  /** Peers with `role`, sorted by id (the same list on every peer that holds the same records). */
  peersWithRole (role: PeerRole): PeerId[] {
    return [...this.roles].filter(([, r]) => r === role).map(([peer]) => peer).sort()
  }

  /** Classify every record `manager` holds and each one it accepts from now on; returns the detach function. */
  attach (manager: PeerCapabilityManager): () => void {
    for (const record of manager.records()) this.update(record)
    const listener = ({ record }: { readonly record: CapabilityRecord }): void => { this.update(record) }
    manager.on('record-accepted', listener)
    return () => { manager.off('record-accepted', listener) }
  }
}
