/**
 * Signed entries: every operation of every model (room op, message, edit, reaction, receipt,
 * contact change) is one immutable entry, signed by its author under a domain that names the
 * model and the document, so an entry replayed into another room or model never verifies.
 *
 *   entry v1 = 1 ‖ varUint kind ‖ id (16) ‖ author Ed25519 key (32) ‖ varUint time
 *              ‖ varUint n ‖ n × dep id (16) ‖ varUint8Array body ‖ signature (64)
 *   signed   = sign(author, domain, entry without its signature)
 *
 *   entry v2 = 2 ‖ (the same fields) ‖ batch id (16) ‖ uint32 index      (batched)
 *   batch    = a v1 entry of kind BATCH_KIND by the same author whose body is
 *              varUint n ‖ n × SHA-256(entry v2 without its 20-byte trailer)
 *
 * A burst of one author's entries (a group commit) is signed once, by its batch: Ed25519
 * signing (~15k/s per core) would otherwise cap the message rate. Each batched entry stays
 * individually verifiable given its batch: one cached signature check, then one hash.
 *
 * The id is random (chosen by the author); deps name the entries the author had seen (the
 * heads of the causal graph), which is what makes "concurrent" decidable.
 */
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { digest as sha256 } from 'lib0/hash/sha256'
import { decodeAll, readBoundedVarUint, readBoundedVarUint8Array, readFixedUint8Array } from '@ymesh/protocol'
import type { PeerId } from '@ymesh/protocol'
import { sign, signedMessage, peerIdFromPublicKey, publicKeyFromPeerId, toBase64Url, SIGNATURE_LENGTH } from '@ymesh/crypto'
import type { Identity, RandomSource } from '@ymesh/crypto'
import { InvalidEntryError } from './errors.js'

export type EntryId = string & { readonly __brand: 'EntryId' }

export const ENTRY_VERSION = 1
export const BATCHED_ENTRY_VERSION = 2
export const ENTRY_ID_LENGTH = 16
export const MAX_DEPS = 64
export const MAX_BODY_BYTES = 64 * 1024
/** Entries per batch signature: 512 hashes make a 16 KiB batch body. */
export const MAX_BATCH = 512
/** Kind of a batch entry (kinds of every model stay below it). */
export const BATCH_KIND = 0xfffe
const HASH_LENGTH = 32
const BATCH_TRAILER = ENTRY_ID_LENGTH + 4
const MAX_KIND = 0xffff
const MAX_TIME = Number.MAX_SAFE_INTEGER

export interface Entry {
  readonly kind: number
  readonly id: EntryId
  readonly author: PeerId
  /** Milliseconds since the epoch, as the author's clock said: shown, never trusted for order. */
  readonly time: number
  readonly deps: readonly EntryId[]
  readonly body: Uint8Array
  /** The whole encoded entry, as stored in the document. */
  readonly bytes: Uint8Array
  /** What the signature (v1) or the batch's hash (v2) covers. */
  readonly signed: Uint8Array
  /** For a batched entry, its batch and position in it; null when signed inline. */
  readonly batch: { readonly id: EntryId, readonly index: number } | null
}

export interface EntryDraft {
  readonly kind: number
  readonly time: number
  readonly deps?: readonly EntryId[]
  readonly body: Uint8Array
}

export const newEntryIdBytes = (random?: RandomSource): Uint8Array =>
  random !== undefined ? random(ENTRY_ID_LENGTH).slice(0, ENTRY_ID_LENGTH) : globalThis.crypto.getRandomValues(new Uint8Array(ENTRY_ID_LENGTH))

export const entryIdFromBytes = (bytes: Uint8Array): EntryId => toBase64Url(bytes) as EntryId

const idToBytes = (id: EntryId): Uint8Array => {
  const b = Uint8Array.from(atob(id.replace(/-/g, '+').replace(/_/g, '/') + '=='), (c) => c.charCodeAt(0))
  if (b.length !== ENTRY_ID_LENGTH) throw new InvalidEntryError(`An entry id is ${ENTRY_ID_LENGTH} bytes in base64url, got '${id}'.`)
  return b
}

const encodeUnsigned = (draft: EntryDraft, id: Uint8Array, author: Uint8Array, version: number): Uint8Array => {
  const deps = draft.deps ?? []
  if (deps.length > MAX_DEPS) throw new InvalidEntryError(`An entry names at most ${MAX_DEPS} dependencies, got ${deps.length}.`)
  if (draft.body.length > MAX_BODY_BYTES) throw new InvalidEntryError(`An entry body is at most ${MAX_BODY_BYTES} bytes, got ${draft.body.length}; split it or send it as a file.`)
  if (!Number.isSafeInteger(draft.time) || draft.time < 0) throw new InvalidEntryError(`An entry time is a non-negative integer of milliseconds, got ${draft.time}.`)
  if (!Number.isSafeInteger(draft.kind) || draft.kind < 0 || draft.kind > MAX_KIND) throw new InvalidEntryError(`An entry kind is an integer in [0, ${MAX_KIND}], got ${draft.kind}.`)
  const e = encoding.createEncoder()
  encoding.writeUint8(e, version)
  encoding.writeVarUint(e, draft.kind)
  encoding.writeUint8Array(e, id)
  encoding.writeUint8Array(e, author)
  encoding.writeVarUint(e, draft.time)
  encoding.writeVarUint(e, deps.length)
  for (const d of deps) encoding.writeUint8Array(e, idToBytes(d))
  encoding.writeVarUint8Array(e, draft.body)
  return encoding.toUint8Array(e)
}

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

/** Signs `draft` as `identity` for `domain`; returns the encoded entry. */
export const createEntry = async (identity: Identity, domain: string, draft: EntryDraft, random?: RandomSource): Promise<Entry> => {
  const id = newEntryIdBytes(random)
  const unsigned = encodeUnsigned(draft, id, identity.publicKey, ENTRY_VERSION)
  const bytes = concat(unsigned, await sign(identity, domain, unsigned))
  return { kind: draft.kind, id: entryIdFromBytes(id), author: identity.peerId, time: draft.time, deps: [...(draft.deps ?? [])], body: draft.body, bytes, signed: unsigned, batch: null }
}

/**
 * Signs a burst of drafts (ids chosen by the caller) with one signature. One draft gives a
 * plain v1 entry and no batch; more give v2 entries and the batch entry that vouches for them.
 */
export const signEntries = async (
  identity: Identity, domain: string, items: ReadonlyArray<{ readonly id: Uint8Array, readonly draft: EntryDraft }>, random?: RandomSource
): Promise<{ entries: Entry[], batch: Entry | null }> => {
  if (items.length === 0) return { entries: [], batch: null }
  if (items.length > MAX_BATCH) throw new InvalidEntryError(`A batch signs at most ${MAX_BATCH} entries, got ${items.length}; split the burst.`)
  const build = (item: { id: Uint8Array, draft: EntryDraft }, bytes: Uint8Array, signed: Uint8Array, batch: Entry['batch']): Entry => ({
    kind: item.draft.kind, id: entryIdFromBytes(item.id), author: identity.peerId, time: item.draft.time, deps: [...(item.draft.deps ?? [])], body: item.draft.body, bytes, signed, batch
  })
  if (items.length === 1) {
    const item = items[0]!
    const unsigned = encodeUnsigned(item.draft, item.id, identity.publicKey, ENTRY_VERSION)
    return { entries: [build(item, concat(unsigned, await sign(identity, domain, unsigned)), unsigned, null)], batch: null }
  }
  const batchId = newEntryIdBytes(random)
  const batchRef = entryIdFromBytes(batchId)
  const hashes = encoding.createEncoder()
  encoding.writeVarUint(hashes, items.length)
  const entries = items.map((item, index) => {
    const unsigned = encodeUnsigned(item.draft, item.id, identity.publicKey, BATCHED_ENTRY_VERSION)
    encoding.writeUint8Array(hashes, sha256(unsigned))
    const trailer = encoding.createEncoder()
    encoding.writeUint8Array(trailer, batchId)
    encoding.writeUint32(trailer, index)
    return build(item, concat(unsigned, encoding.toUint8Array(trailer)), unsigned, { id: batchRef, index })
  })
  const time = Math.max(...items.map((i) => i.draft.time))
  const batch = await createEntry(identity, domain, { kind: BATCH_KIND, time, body: encoding.toUint8Array(hashes) }, () => batchId)
  return { entries, batch }
}

/** Decodes an entry without checking its signature. Throws InvalidEntryError on bad bytes. */
export const decodeEntry = (bytes: Uint8Array): Entry => {
  if (!(bytes instanceof Uint8Array) || bytes.length < SIGNATURE_LENGTH + 1) throw new InvalidEntryError('An entry is a Uint8Array longer than its 64-byte signature.')
  const version = bytes[0]
  if (version !== ENTRY_VERSION && version !== BATCHED_ENTRY_VERSION) throw new InvalidEntryError(`Unknown entry version ${version}; this version of @ymesh/data reads versions ${ENTRY_VERSION} and ${BATCHED_ENTRY_VERSION}.`)
  const trailer = version === ENTRY_VERSION ? SIGNATURE_LENGTH : BATCH_TRAILER
  const signed = bytes.subarray(0, bytes.length - trailer)
  try {
    const fields = decodeAll(signed, 'data entry', (d) => {
      decoding.readUint8(d)
      const kind = readBoundedVarUint(d, MAX_KIND, 'entry kind')
      const id = entryIdFromBytes(readFixedUint8Array(d, ENTRY_ID_LENGTH, 'entry id'))
      const author = peerIdFromPublicKey(readFixedUint8Array(d, 32, 'entry author'))
      const time = readBoundedVarUint(d, MAX_TIME, 'entry time')
      const n = readBoundedVarUint(d, MAX_DEPS, 'entry dependency count')
      const deps: EntryId[] = []
      for (let i = 0; i < n; i++) deps.push(entryIdFromBytes(readFixedUint8Array(d, ENTRY_ID_LENGTH, 'entry dependency')))
      const body = readBoundedVarUint8Array(d, MAX_BODY_BYTES, 'entry body')
      return { kind, id, author, time, deps, body }
    })
    let batch: Entry['batch'] = null
    if (version === BATCHED_ENTRY_VERSION) {
      const d = decoding.createDecoder(bytes.subarray(bytes.length - trailer))
      batch = { id: entryIdFromBytes(decoding.readUint8Array(d, ENTRY_ID_LENGTH)), index: decoding.readUint32(d) }
    }
    return { ...fields, bytes, signed, batch }
  } catch (err) {
    if (err instanceof InvalidEntryError) throw err
    throw new InvalidEntryError(`Malformed data entry: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
}

/** Decodes, or null for anything malformed (entries from the network never throw). */
export const tryDecodeEntry = (bytes: unknown): Entry | null => {
  if (!(bytes instanceof Uint8Array)) return null
  try {
    return decodeEntry(bytes)
  } catch {
    return null
  }
}

/**
 * The id an encoded entry claims, read without decoding the rest (null if it cannot hold
 * one). Unverified: only for finding candidates, which are then decoded and verified.
 */
export const peekEntryId = (bytes: Uint8Array): EntryId | null => {
  if (bytes.length < 3 + ENTRY_ID_LENGTH || (bytes[0] !== ENTRY_VERSION && bytes[0] !== BATCHED_ENTRY_VERSION)) return null
  let i = 1
  while (i < 4 && (bytes[i]! & 0x80) !== 0) i++
  i++
  return i + ENTRY_ID_LENGTH <= bytes.length ? entryIdFromBytes(bytes.subarray(i, i + ENTRY_ID_LENGTH)) : null
}

/** The hashes a batch entry vouches for, or null if its body is malformed. */
const batchHashes = (batch: Entry): Uint8Array[] | null => {
  try {
    return decodeAll(batch.body, 'batch body', (d) => {
      const n = readBoundedVarUint(d, MAX_BATCH, 'batch size')
      const out: Uint8Array[] = []
      for (let i = 0; i < n; i++) out.push(readFixedUint8Array(d, HASH_LENGTH, 'batch hash'))
      return out
    })
  } catch {
    return null
  }
}

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Batch entries by id, as held next to the entries they vouch for. Several: an id is not proof. */
export type BatchLookup = (id: EntryId) => readonly Entry[] | undefined

/**
 * Checks signatures once per stored entry object: a loaded Y.Doc keeps the same Uint8Array
 * for an entry, so re-deriving a view never re-verifies (Ed25519 verify is ~6k/s per core).
 * Authors' public keys are imported once each, not once per signature.
 */
export class EntryVerifier {
  readonly domain: string
  private readonly cache = new WeakMap<Uint8Array, Promise<boolean>>()
  private readonly hashes = new WeakMap<Uint8Array, Uint8Array[] | null>()
  private readonly counted = new WeakSet<Uint8Array>()
  private readonly keys = new Map<PeerId, Promise<CryptoKey | null>>()
  /** Entries whose signature (or batch) did not verify, counted once each. */
  rejected = 0

  constructor (domain: string) {
    this.domain = domain
  }

  /** Marks bytes this replica signed itself as valid (no need to verify our own signature). */
  seed (bytes: Uint8Array): void {
    this.cache.set(bytes, Promise.resolve(true))
  }

  private key (author: PeerId): Promise<CryptoKey | null> {
    let key = this.keys.get(author)
    if (key === undefined) {
      // Bounded: a flood of one-off authors must not grow this forever.
      if (this.keys.size >= 4096) this.keys.clear()
      key = globalThis.crypto.subtle.importKey('raw', publicKeyFromPeerId(author), { name: 'Ed25519' }, false, ['verify']).catch(() => null)
      this.keys.set(author, key)
    }
    return key
  }

  private reject (bytes: Uint8Array): false {
    if (!this.counted.has(bytes)) { this.counted.add(bytes); this.rejected++ }
    return false
  }

  private verifySignature (entry: Entry): Promise<boolean> {
    let result = this.cache.get(entry.bytes)
    if (result === undefined) {
      const signature = entry.bytes.subarray(entry.bytes.length - SIGNATURE_LENGTH)
      result = this.key(entry.author)
        .then((key) => key !== null && globalThis.crypto.subtle.verify('Ed25519', key, signature.slice(), signedMessage(this.domain, entry.signed)))
        .catch(() => false)
        .then((ok) => ok || this.reject(entry.bytes))
      this.cache.set(entry.bytes, result)
    }
    return result
  }

  /**
   * True iff `entry` is authentic. A batched entry needs its batch (`batches`); while the
   * batch is absent the answer is false and not remembered, so it can verify once it arrives.
   */
  verify (entry: Entry, batches?: BatchLookup): Promise<boolean> {
    if (entry.batch === null) return this.verifySignature(entry)
    const known = this.cache.get(entry.bytes)
    if (known !== undefined) return known
    const ref = entry.batch
    const candidates = (batches?.(ref.id) ?? []).filter((b) => b.author === entry.author && b.kind === BATCH_KIND && b.batch === null)
    if (candidates.length === 0) return Promise.resolve(false)
    return (async () => {
      let digest: Uint8Array | null = null
      for (const b of candidates) {
        let hashes = this.hashes.get(b.bytes)
        if (hashes === undefined) this.hashes.set(b.bytes, (hashes = batchHashes(b)))
        const expected = hashes?.[ref.index]
        if (expected === undefined || !(await this.verifySignature(b))) continue
        digest ??= sha256(entry.signed)
        if (equalBytes(digest, expected)) {
          this.cache.set(entry.bytes, Promise.resolve(true))
          return true
        }
      }
      return this.reject(entry.bytes)
    })()
  }
}
