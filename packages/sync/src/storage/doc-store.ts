/**
 * One document's persisted log on top of any SyncStorage, with a local integrity check: each
 * record carries an HMAC-SHA-256 under a key only this peer can derive, so loading 100,000
 * stored updates costs 100,000 HMACs instead of 100,000 Ed25519 verifications, and a record
 * altered on disk is detected and skipped. Records are MACed synchronously (HmacSha256, the
 * pad blocks pre-hashed) when the key's secret is at hand: one async WebCrypto call per
 * record cost more than everything else in a load. Snapshots, which can be megabytes, go
 * to WebCrypto.
 *
 *   record   = kind varUint (0 signed update | 1 unsigned update) ‖ body varUint8Array ‖ mac (32)
 *   snapshot = yjs update varUint8Array ‖ log vector (as in sync-request) ‖ mac (32)
 *   mac      = HMAC-SHA-256(key, varString(docId) ‖ everything before the mac)
 *
 * The key is derived from the identity's deterministic Ed25519 signature over a fixed
 * string, so nothing but the identity needs to be kept secret.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { readBoundedVarUint, readBoundedVarUint8Array, readFixedUint8Array } from '@ymesh/protocol'
import { sign, type Identity } from '@ymesh/crypto'
import { MAX_SAFE, MAX_UPDATE_BYTES, MAX_VECTOR_ENTRIES, STORE_KEY_DOMAIN } from '../limits.js'
import { HmacSha256 } from './hmac-sha256.js'
import type { SyncStorage } from './sync-storage.js'

const MAC_LENGTH = 32
const KIND_SIGNED = 0
const KIND_UNSIGNED = 1
const MAC_CONCURRENCY = 512

/** The key that authenticates a peer's own store. */
export interface StoreKey {
  readonly key: CryptoKey
  /** The raw 32 bytes behind `key`, when known: lets DocStore MAC records synchronously. */
  readonly secret?: Uint8Array
}

/** Derives the store key from `identity` (same identity ⇒ same key, on every device). */
export const storeKeyFromIdentity = async (identity: Identity): Promise<StoreKey> => {
  const signature = await sign(identity, STORE_KEY_DOMAIN, new TextEncoder().encode('local store integrity'))
  return await storeKeyFromBytes(new Uint8Array(await crypto.subtle.digest('SHA-256', signature)))
}

/** A store key from 32 secret bytes. */
export const storeKeyFromBytes = async (bytes: Uint8Array): Promise<StoreKey> => ({
  key: await crypto.subtle.importKey('raw', new Uint8Array(bytes), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']),
  secret: bytes.slice()
})

export interface StoredLog {
  readonly signed: Uint8Array[]
  readonly unsigned: Uint8Array[]
  /** Every record that checked out, signed and unsigned, in the order they were stored. */
  readonly entries: ReadonlyArray<{ readonly signed: boolean, readonly bytes: Uint8Array }>
  readonly snapshot: { readonly update: Uint8Array, readonly logVector: Map<number, number> } | null
  /** Records skipped: unreadable frames (backend) plus records whose MAC failed. */
  readonly corrupt: number
}

const SYNC_MAC_MAX_BYTES = 1 << 20

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

export class DocStore {
  private readonly prefix: Uint8Array
  private readonly hmac: HmacSha256 | null

  constructor (readonly storage: SyncStorage, readonly docId: string, private readonly key: StoreKey) {
    this.prefix = encoding.encode((e) => encoding.writeVarString(e, docId))
    this.hmac = key.secret === undefined ? null : new HmacSha256(key.secret)
  }

  async appendSigned (bytes: Uint8Array): Promise<void> {
    await this.storage.append(this.docId, await this.record(KIND_SIGNED, bytes))
  }

  async appendUnsigned (update: Uint8Array): Promise<void> {
    await this.storage.append(this.docId, await this.record(KIND_UNSIGNED, update))
  }

  /** Rewrites the whole log (after compaction) with a snapshot of the document it yields. */
  async replace (signed: readonly Uint8Array[], unsigned: readonly Uint8Array[], snapshot: { update: Uint8Array, logVector: ReadonlyMap<number, number> } | null): Promise<void> {
    const records = await Promise.all([
      ...signed.map(async (b) => await this.record(KIND_SIGNED, b)),
      ...unsigned.map(async (b) => await this.record(KIND_UNSIGNED, b))
    ])
    let snap: Uint8Array | null = null
    if (snapshot !== null) {
      const body = encoding.encode((e) => {
        encoding.writeVarUint8Array(e, snapshot.update)
        encoding.writeVarUint(e, snapshot.logVector.size)
        for (const [client, seq] of snapshot.logVector) {
          encoding.writeVarUint(e, client)
          encoding.writeVarUint(e, seq)
        }
      })
      snap = await this.withMac(body)
    }
    await this.storage.replace(this.docId, records, snap)
  }

  async load (): Promise<StoredLog> {
    const raw = await this.storage.load(this.docId)
    let corrupt = raw.corrupt
    const signed: Uint8Array[] = []
    const unsigned: Uint8Array[] = []
    const entries: Array<{ signed: boolean, bytes: Uint8Array }> = []
    const hmac = this.hmac
    let checked: Array<Uint8Array | null>
    if (hmac !== null) {
      checked = raw.records.map((r) => this.openSync(hmac, r))
    } else {
      checked = []
      for (let i = 0; i < raw.records.length; i += MAC_CONCURRENCY) {
        checked.push(...await Promise.all(raw.records.slice(i, i + MAC_CONCURRENCY).map(async (r) => await this.open(r))))
      }
    }
    for (const body of checked) {
      if (body === null) { corrupt++; continue }
      try {
        const decoder = decoding.createDecoder(body)
        const kind = readBoundedVarUint(decoder, KIND_UNSIGNED, 'stored record kind')
        const bytes = readBoundedVarUint8Array(decoder, MAX_UPDATE_BYTES + 1024, 'stored record')
        ;(kind === KIND_SIGNED ? signed : unsigned).push(bytes)
        entries.push({ signed: kind === KIND_SIGNED, bytes })
      } catch {
        corrupt++
      }
    }
    let snapshot: StoredLog['snapshot'] = null
    if (raw.snapshot !== null) {
      const body = await this.open(raw.snapshot)
      try {
        if (body === null) throw new Error('bad mac')
        const decoder = decoding.createDecoder(body)
        const update = readBoundedVarUint8Array(decoder, MAX_UPDATE_BYTES * 16, 'snapshot')
        const count = readBoundedVarUint(decoder, MAX_VECTOR_ENTRIES, 'snapshot vector size')
        const logVector = new Map<number, number>()
        for (let i = 0; i < count; i++) logVector.set(readBoundedVarUint(decoder, MAX_SAFE, 'client'), readBoundedVarUint(decoder, MAX_SAFE, 'seq'))
        snapshot = { update, logVector }
      } catch {
        corrupt++
      }
    }
    return { signed, unsigned, entries, snapshot, corrupt }
  }

  private async record (kind: number, bytes: Uint8Array): Promise<Uint8Array> {
    return await this.withMac(encoding.encode((e) => {
      encoding.writeVarUint(e, kind)
      encoding.writeVarUint8Array(e, bytes)
    }))
  }

  private async mac (body: Uint8Array): Promise<Uint8Array> {
    if (this.hmac !== null && body.length <= SYNC_MAC_MAX_BYTES) return this.hmac.mac([this.prefix, body])
    const input = new Uint8Array(this.prefix.length + body.length)
    input.set(this.prefix, 0)
    input.set(body, this.prefix.length)
    return new Uint8Array(await crypto.subtle.sign('HMAC', this.key.key, input))
  }

  private async withMac (body: Uint8Array): Promise<Uint8Array> {
    const out = new Uint8Array(body.length + MAC_LENGTH)
    out.set(body, 0)
    out.set(await this.mac(body), body.length)
    return out
  }

  /** open(), synchronously. */
  private openSync (hmac: HmacSha256, stored: Uint8Array): Uint8Array | null {
    if (stored.length < MAC_LENGTH) return null
    const body = stored.subarray(0, stored.length - MAC_LENGTH)
    return hmac.verify([this.prefix, body], stored.subarray(stored.length - MAC_LENGTH)) ? body : null
  }

  /** The body of a stored item whose MAC checks out, else null. */
  private async open (stored: Uint8Array): Promise<Uint8Array | null> {
    if (stored.length < MAC_LENGTH) return null
    const decoder = decoding.createDecoder(stored)
    const body = readFixedUint8Array(decoder, stored.length - MAC_LENGTH, 'stored body')
    const mac = readFixedUint8Array(decoder, MAC_LENGTH, 'stored mac')
    return bytesEqual(await this.mac(body), mac) ? body : null
  }
}
