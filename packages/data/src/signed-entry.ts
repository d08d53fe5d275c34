/**
 * Signed entries: every operation of every model (room op, message, edit, reaction, receipt,
 * contact change) is one immutable entry, signed by its author under a domain that names the
 * model and the document, so an entry replayed into another room or model never verifies.
 *
 *   entry   = version (1) ‖ varUint kind ‖ id (16) ‖ author Ed25519 key (32) ‖ varUint time
 *             ‖ varUint n ‖ n × dep id (16) ‖ varUint8Array body ‖ signature (64)
 *   signed  = sign(author, domain, entry without its signature)
 *
 * The id is random (chosen by the author); deps name the entries the author had seen (the
 * heads of the causal graph), which is what makes "concurrent" decidable.
 */
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { decodeAll, readBoundedVarUint, readBoundedVarUint8Array, readFixedUint8Array } from '@ymesh/protocol'
import type { PeerId } from '@ymesh/protocol'
import { sign, verify, peerIdFromPublicKey, publicKeyFromPeerId, toBase64Url, SIGNATURE_LENGTH } from '@ymesh/crypto'
import type { Identity, RandomSource } from '@ymesh/crypto'
import { InvalidEntryError } from './errors.js'

export type EntryId = string & { readonly __brand: 'EntryId' }

export const ENTRY_VERSION = 1
export const ENTRY_ID_LENGTH = 16
export const MAX_DEPS = 64
export const MAX_BODY_BYTES = 64 * 1024
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
}

export interface EntryDraft {
  readonly kind: number
  readonly time: number
  readonly deps?: readonly EntryId[]
  readonly body: Uint8Array
}

export const newEntryIdBytes = (random?: RandomSource): Uint8Array =>
  random !== undefined ? random(ENTRY_ID_LENGTH).slice(0, ENTRY_ID_LENGTH) : globalThis.crypto.getRandomValues(new Uint8Array(ENTRY_ID_LENGTH))

const idFromBytes = (bytes: Uint8Array): EntryId => toBase64Url(bytes) as EntryId

const idToBytes = (id: EntryId): Uint8Array => {
  const b = Uint8Array.from(atob(id.replace(/-/g, '+').replace(/_/g, '/') + '=='), (c) => c.charCodeAt(0))
  if (b.length !== ENTRY_ID_LENGTH) throw new InvalidEntryError(`An entry id is ${ENTRY_ID_LENGTH} bytes in base64url, got '${id}'.`)
  return b
}

const encodeUnsigned = (draft: EntryDraft, id: Uint8Array, author: Uint8Array): Uint8Array => {
  const deps = draft.deps ?? []
  if (deps.length > MAX_DEPS) throw new InvalidEntryError(`An entry names at most ${MAX_DEPS} dependencies, got ${deps.length}.`)
  if (draft.body.length > MAX_BODY_BYTES) throw new InvalidEntryError(`An entry body is at most ${MAX_BODY_BYTES} bytes, got ${draft.body.length}; split it or send it as a file.`)
  if (!Number.isSafeInteger(draft.time) || draft.time < 0) throw new InvalidEntryError(`An entry time is a non-negative integer of milliseconds, got ${draft.time}.`)
  const e = encoding.createEncoder()
  encoding.writeUint8(e, ENTRY_VERSION)
  encoding.writeVarUint(e, draft.kind)
  encoding.writeUint8Array(e, id)
  encoding.writeUint8Array(e, author)
  encoding.writeVarUint(e, draft.time)
  encoding.writeVarUint(e, deps.length)
  for (const d of deps) encoding.writeUint8Array(e, idToBytes(d))
  encoding.writeVarUint8Array(e, draft.body)
  return encoding.toUint8Array(e)
}

/** Signs `draft` as `identity` for `domain`; returns the encoded entry. */
export const createEntry = async (identity: Identity, domain: string, draft: EntryDraft, random?: RandomSource): Promise<Entry> => {
  const id = newEntryIdBytes(random)
  const unsigned = encodeUnsigned(draft, id, identity.publicKey)
  const signature = await sign(identity, domain, unsigned)
  const bytes = new Uint8Array(unsigned.length + SIGNATURE_LENGTH)
  bytes.set(unsigned)
  bytes.set(signature, unsigned.length)
  return { kind: draft.kind, id: idFromBytes(id), author: identity.peerId, time: draft.time, deps: [...(draft.deps ?? [])], body: draft.body, bytes }
}

/** Decodes an entry without checking its signature. Throws InvalidEntryError on bad bytes. */
export const decodeEntry = (bytes: Uint8Array): Entry => {
  if (!(bytes instanceof Uint8Array) || bytes.length < SIGNATURE_LENGTH + 1) throw new InvalidEntryError('An entry is a Uint8Array longer than its 64-byte signature.')
  const unsigned = bytes.subarray(0, bytes.length - SIGNATURE_LENGTH)
  try {
    return decodeAll(unsigned, 'data entry', (d) => {
      const version = decoding.readUint8(d)
      if (version !== ENTRY_VERSION) throw new InvalidEntryError(`Unknown entry version ${version}; this version of @ymesh/data reads version ${ENTRY_VERSION}.`)
      const kind = readBoundedVarUint(d, MAX_KIND, 'entry kind')
      const id = idFromBytes(readFixedUint8Array(d, ENTRY_ID_LENGTH, 'entry id'))
      const author = peerIdFromPublicKey(readFixedUint8Array(d, 32, 'entry author'))
      const time = readBoundedVarUint(d, MAX_TIME, 'entry time')
      const n = readBoundedVarUint(d, MAX_DEPS, 'entry dependency count')
      const deps: EntryId[] = []
      for (let i = 0; i < n; i++) deps.push(idFromBytes(readFixedUint8Array(d, ENTRY_ID_LENGTH, 'entry dependency')))
      const body = readBoundedVarUint8Array(d, MAX_BODY_BYTES, 'entry body')
      return { kind, id, author, time, deps, body, bytes }
    })
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
 * Checks signatures once per stored entry object: a loaded Y.Doc keeps the same Uint8Array
 * for an entry, so re-deriving a view never re-verifies (Ed25519 verify is ~6k/s per core).
 */
export class EntryVerifier {
  readonly domain: string
  private readonly cache = new WeakMap<Uint8Array, Promise<boolean>>()
  /** Entries whose signature did not verify, counted once each. */
  rejected = 0

  constructor (domain: string) {
    this.domain = domain
  }

  /** Marks bytes this replica signed itself as valid (no need to verify our own signature). */
  seed (bytes: Uint8Array): void {
    this.cache.set(bytes, Promise.resolve(true))
  }

  verify (entry: Entry): Promise<boolean> {
    let result = this.cache.get(entry.bytes)
    if (result === undefined) {
      const unsigned = entry.bytes.subarray(0, entry.bytes.length - SIGNATURE_LENGTH)
      const signature = entry.bytes.subarray(entry.bytes.length - SIGNATURE_LENGTH)
      result = verify(publicKeyFromPeerId(entry.author), this.domain, unsigned, signature)
        .catch(() => false)
        .then((ok) => { if (!ok) this.rejected++; return ok })
      this.cache.set(entry.bytes, result)
    }
    return result
  }
}
