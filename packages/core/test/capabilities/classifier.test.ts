import { describe, expect, it } from 'vitest'
import type { PeerId } from '@ymesh/protocol'
import { classifyRecord, DEFAULT_ROLE_THRESHOLDS, PeerRoleClassifier } from '../../src/capabilities/classifier.js'
import type { CapabilityRecord } from '../../src/capabilities/record.js'

const rec = (overrides: Partial<CapabilityRecord>): CapabilityRecord => ({
  peerId: 'p' as PeerId, sequence: 1, issuedAt: 0, platform: 'node', roles: [], freeSlots: 0, bandwidth: 0, uptimeMs: 0, load: 0,
  storageQuota: 0, protocolVersions: [1], ...overrides
})
const relay = rec({ roles: ['relay'], freeSlots: 8, bandwidth: 5_000_000, load: 100 })
const anchor = rec({ roles: ['anchor', 'relay'], freeSlots: 8, bandwidth: 5_000_000, uptimeMs: 7_200_000, storageQuota: 10 * 1024 ** 3, load: 100 })

describe('role classification', () => {
  it('gives leaf, relay and anchor from the offered roles and figures', () => {
    expect(classifyRecord(rec({}), undefined)).toBe('leaf')
    expect(classifyRecord(relay, undefined)).toBe('relay')
    expect(classifyRecord(anchor, undefined)).toBe('anchor')
    expect(classifyRecord({ ...relay, roles: [] }, undefined)).toBe('leaf') // capable but not offering
    expect(classifyRecord({ ...anchor, uptimeMs: 60_000 }, undefined)).toBe('relay') // too new to anchor, can still relay
  })

  it('has hysteresis: entering needs the full threshold, keeping a role only the relaxed one', () => {
    const t = DEFAULT_ROLE_THRESHOLDS
    const hovering = { ...relay, freeSlots: t.relayMinSlots - 1, load: t.relayMaxLoad + 50 }
    expect(classifyRecord(hovering, 'leaf')).toBe('leaf')
    expect(classifyRecord(hovering, 'relay')).toBe('relay')
    expect(classifyRecord({ ...hovering, freeSlots: 0 }, 'relay')).toBe('leaf')
    const fading = { ...anchor, uptimeMs: t.anchorMinUptimeMs * 0.9 }
    expect(classifyRecord(fading, undefined)).toBe('relay')
    expect(classifyRecord(fading, 'anchor')).toBe('anchor')
  })

  it('does not flap on figures oscillating around a threshold, and reports changes deterministically', () => {
    const classifier = new PeerRoleClassifier()
    const changes: string[] = []
    classifier.on('role-changed', ({ peer, role }) => { changes.push(`${peer}:${role}`) })
    classifier.update(relay)
    for (let i = 0; i < 10; i++) classifier.update({ ...relay, sequence: i + 2, load: i % 2 === 0 ? 650 : 760 })
    expect(changes).toEqual(['p:relay'])
    classifier.update({ ...relay, sequence: 20, load: 990 })
    expect(changes).toEqual(['p:relay', 'p:leaf'])
    classifier.update({ ...anchor, peerId: 'b' as PeerId })
    classifier.update({ ...relay, peerId: 'a' as PeerId })
    expect(classifier.peersWithRole('relay')).toEqual(['a'])
    expect(classifier.role('b' as PeerId)).toBe('anchor')
    classifier.remove('b' as PeerId)
    expect(classifier.role('b' as PeerId)).toBe('leaf')
  })
})
