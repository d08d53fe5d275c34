import { describe, expect, it } from 'vitest'
import * as encoding from 'lib0/encoding'
import type { PeerId } from '@ymesh/protocol'
import { decodeCapabilityRecord, encodeCapabilityRecord, type CapabilityRecord } from '../../src/capabilities/record.js'

export const sampleRecord = (overrides: Partial<CapabilityRecord> = {}): CapabilityRecord => ({
  peerId: 'A'.repeat(43) as PeerId, sequence: 3, issuedAt: 1_000, platform: 'node', roles: ['relay', 'file-seed'], freeSlots: 5,
  bandwidth: 2_000_000, uptimeMs: 60_000, load: 250, storageQuota: 1024 ** 3, protocolVersions: [1], ...overrides
})

describe('capability record encoding', () => {
  it('round-trips every field', () => {
    const record = sampleRecord({ roles: ['relay', 'anchor', 'storage', 'file-seed'], protocolVersions: [2, 1] })
    expect(decodeCapabilityRecord(encodeCapabilityRecord(record))).toEqual(record)
  })

  it('refuses out-of-range fields when encoding', () => {
    for (const bad of [{ load: 1001 }, { freeSlots: -1 }, { sequence: 1.5 }, { platform: 'x'.repeat(65) }, { protocolVersions: new Array(17).fill(1) }]) {
      expect(() => encodeCapabilityRecord(sampleRecord(bad))).toThrow(expect.objectContaining({ name: 'InvalidMessageError' }))
    }
  })

  it('refuses malformed bytes with InvalidMessageError', () => {
    const good = encodeCapabilityRecord(sampleRecord())
    const otherFormat = encoding.encode((e) => { encoding.writeVarUint(e, 2) })
    for (const bytes of [good.slice(0, good.length - 1), new Uint8Array([...good, 0]), otherFormat, new Uint8Array(0)]) {
      expect(() => decodeCapabilityRecord(bytes)).toThrow(expect.objectContaining({ name: 'InvalidMessageError' }))
    }
  })
})
