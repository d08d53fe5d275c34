/**
 * A peer's capability record: what it offers the mesh and how loaded it is. It travels as
 * the payload of an envelope (payload type 'capability', topic CAPABILITY_TOPIC) signed by
 * the peer it describes, so the envelope's signature is the record's: the signing input
 * covers the payload type and topic (domain separation), and `peerId` must equal the
 * envelope's source.
 *
 *   capability = format:varUint(1) • peerId • sequence:varUint • issuedAt:varUint •
 *                platform:varString • roles:varUint • freeSlots:varUint • bandwidth:varUint •
 *                uptimeMs:varUint • load:varUint • storageQuota:varUint •
 *                versionCount:varUint • version:varUint*
 */
import * as encoding from 'lib0/encoding'
import {
  decodeAll, InvalidMessageError, MAX_TAG, MAX_VERSION_COUNT, readBoundedVarString, readBoundedVarUint, readPeerId, writePeerId
} from '@ymesh/protocol'
import type { PeerId } from '@ymesh/protocol'

/** The well-known gossip topic of capability records. */
export const CAPABILITY_TOPIC = 'ymesh/capabilities'

const FORMAT = 1
const MAX_PLATFORM_BYTES = 64
/** Load is in permille: 0 idle, 1000 saturated. */
export const MAX_LOAD = 1000
const MAX_SAFE = Number.MAX_SAFE_INTEGER

/** Roles a peer offers (bit flags on the wire). */
export const CapabilityRole = Object.freeze({ Relay: 1, Anchor: 2, Storage: 4, FileSeed: 8 } as const)
export type CapabilityRoleName = 'relay' | 'anchor' | 'storage' | 'file-seed'
const ROLE_BITS: ReadonlyArray<readonly [CapabilityRoleName, number]> = [
  ['relay', CapabilityRole.Relay], ['anchor', CapabilityRole.Anchor], ['storage', CapabilityRole.Storage], ['file-seed', CapabilityRole.FileSeed]
]
const ROLE_MASK = 15

/** What a peer measures and decides about itself; the advertiser turns it into records. */
export interface CapabilityFields {
  /** 'browser', 'node', ... (at most 64 UTF-8 bytes). */
  readonly platform: string
  readonly roles: readonly CapabilityRoleName[]
  /** Connections it can still accept. */
  readonly freeSlots: number
  /** Measured bandwidth, bytes per second. */
  readonly bandwidth: number
  readonly uptimeMs: number
  /** Current load, permille (0–1000). */
  readonly load: number
  /** Bytes it offers to store for others. */
  readonly storageQuota: number
  /** Protocol versions it speaks, newest first. */
  readonly protocolVersions: readonly number[]
}

export interface CapabilityRecord extends CapabilityFields {
  readonly peerId: PeerId
  /** Increases with every record the peer issues; the newer record wins. */
  readonly sequence: number
  /** When the peer issued it (its clock, ms). */
  readonly issuedAt: number
}

const uint = (value: number, max: number, what: string): number => {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new InvalidMessageError(`capability ${what} must be an integer from 0 to ${max}, got ${value}`)
  return value
}

export const encodeCapabilityRecord = (record: CapabilityRecord): Uint8Array => encoding.encode((encoder) => {
  encoding.writeVarUint(encoder, FORMAT)
  writePeerId(encoder, record.peerId)
  encoding.writeVarUint(encoder, uint(record.sequence, MAX_SAFE, 'sequence'))
  encoding.writeVarUint(encoder, uint(record.issuedAt, MAX_SAFE, 'issuedAt'))
  const platform = new TextEncoder().encode(record.platform)
  if (platform.length > MAX_PLATFORM_BYTES) throw new InvalidMessageError(`capability platform is at most ${MAX_PLATFORM_BYTES} bytes`)
  encoding.writeVarUint8Array(encoder, platform)
  let roles = 0
  for (const [name, bit] of ROLE_BITS) if (record.roles.includes(name)) roles |= bit
  encoding.writeVarUint(encoder, roles)
  encoding.writeVarUint(encoder, uint(record.freeSlots, 0xffff, 'freeSlots'))
  encoding.writeVarUint(encoder, uint(record.bandwidth, MAX_SAFE, 'bandwidth'))
  encoding.writeVarUint(encoder, uint(record.uptimeMs, MAX_SAFE, 'uptimeMs'))
  encoding.writeVarUint(encoder, uint(record.load, MAX_LOAD, 'load'))
  encoding.writeVarUint(encoder, uint(record.storageQuota, MAX_SAFE, 'storageQuota'))
  if (record.protocolVersions.length > MAX_VERSION_COUNT) throw new InvalidMessageError(`at most ${MAX_VERSION_COUNT} protocol versions`)
  encoding.writeVarUint(encoder, record.protocolVersions.length)
  for (const v of record.protocolVersions) encoding.writeVarUint(encoder, uint(v, MAX_TAG, 'protocol version'))
})

export const decodeCapabilityRecord = (payload: Uint8Array): CapabilityRecord => decodeAll(payload, 'capability', (decoder) => {
  const format = readBoundedVarUint(decoder, MAX_TAG, 'capability format')
  if (format !== FORMAT) throw new InvalidMessageError(`capability format ${format} is not supported (this version reads ${FORMAT})`)
  const peerId = readPeerId(decoder, 'capability peer id')
  const sequence = readBoundedVarUint(decoder, MAX_SAFE, 'capability sequence')
  const issuedAt = readBoundedVarUint(decoder, MAX_SAFE, 'capability issuedAt')
  const platform = readBoundedVarString(decoder, MAX_PLATFORM_BYTES, 'capability platform')
  const bits = readBoundedVarUint(decoder, ROLE_MASK, 'capability roles')
  const roles = ROLE_BITS.filter(([, bit]) => (bits & bit) !== 0).map(([name]) => name)
  const freeSlots = readBoundedVarUint(decoder, 0xffff, 'capability freeSlots')
  const bandwidth = readBoundedVarUint(decoder, MAX_SAFE, 'capability bandwidth')
  const uptimeMs = readBoundedVarUint(decoder, MAX_SAFE, 'capability uptimeMs')
  const load = readBoundedVarUint(decoder, MAX_LOAD, 'capability load')
  const storageQuota = readBoundedVarUint(decoder, MAX_SAFE, 'capability storageQuota')
  const count = readBoundedVarUint(decoder, MAX_VERSION_COUNT, 'capability version count')
  const protocolVersions: number[] = []
  for (let i = 0; i < count; i++) protocolVersions.push(readBoundedVarUint(decoder, MAX_TAG, 'capability protocol version'))
  return { peerId, sequence, issuedAt, platform, roles, freeSlots, bandwidth, uptimeMs, load, storageQuota, protocolVersions }
})
