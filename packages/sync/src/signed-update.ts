/**
 * Signed updates: a Yjs update (or its room-sealed form) behind a plaintext header naming
 * its author, the clientID it writes under and the ranges it covers, signed by the author.
 * The header is readable without the room key, so a blind anchor can index, deduplicate and
 * serve updates it cannot read. Grammar in README.md ("Signed update").
 */
import type * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as string from 'lib0/string'
import {
  InvalidMessageError, UnsupportedVersionError, decodeAll, readBoundedVarString, readBoundedVarUint,
  readBoundedVarUint8Array, readPeerId, MAX_PEER_ID_LENGTH, type PeerId
} from '@ymesh/protocol'
import { SIGNATURE_LENGTH, isYmeshPeerId, sign, verify, type Identity } from '@ymesh/crypto'
import {
  FLAG_SEALED, MAX_DOC_ID_BYTES, MAX_SAFE, MAX_UPDATE_BYTES, SIGNED_UPDATE_DOMAIN, SIGNED_UPDATE_VERSION
} from './limits.js'

export interface SignedUpdateHeader {
  readonly docId: string
  /** The author's peer id (base64url Ed25519 key). */
  readonly author: PeerId
  /** The session index: clientId must equal clientIdFromPublicKey(author key, clientIndex). */
  readonly clientIndex: number
  readonly clientId: number
  /** The author's update sequence numbers this update covers, [seqStart, seqEnd). */
  readonly seqStart: number
  readonly seqEnd: number
  /** The Yjs clocks it inserts under clientId, [clockStart, clockEnd) (empty for deletions only). */
  readonly clockStart: number
  readonly clockEnd: number
  /** True when the payload is sealed with the room key. */
  readonly sealed: boolean
}

export interface SignedUpdate extends SignedUpdateHeader {
  readonly payload: Uint8Array
  readonly signature: Uint8Array
  /** The exact encoded bytes: what forwarders pass on unchanged and stores keep. */
  readonly bytes: Uint8Array
  /** The prefix of `bytes` the signature covers. */
  readonly signedBytes: Uint8Array
}

const checkHeader = (h: SignedUpdateHeader): void => {
  const docIdBytes = string.encodeUtf8(h.docId).length
  if (docIdBytes < 1 || docIdBytes > MAX_DOC_ID_BYTES) {
    throw new InvalidMessageError(`a document id is 1 to ${MAX_DOC_ID_BYTES} UTF-8 bytes, not ${docIdBytes}`)
  }
  if (!isYmeshPeerId(h.author)) throw new InvalidMessageError('a signed update\'s author must be a ymesh peer id (43 base64url characters)')
  const ints: Array<[string, number]> = [['clientIndex', h.clientIndex], ['clientId', h.clientId], ['seqStart', h.seqStart],
    ['seqEnd', h.seqEnd], ['clockStart', h.clockStart], ['clockEnd', h.clockEnd]]
  for (const [name, value] of ints) {
    if (!Number.isSafeInteger(value) || value < 0) throw new InvalidMessageError(`signed update ${name} ${value} is not a non-negative safe integer`)
  }
  if (h.clientId < 1) throw new InvalidMessageError('signed update clientId is 0; bound clientIDs are at least 1')
  if (h.seqEnd <= h.seqStart) throw new InvalidMessageError(`signed update covers no sequence numbers (seqStart ${h.seqStart}, seqEnd ${h.seqEnd})`)
  if (h.clockEnd < h.clockStart) throw new InvalidMessageError(`signed update clockEnd ${h.clockEnd} is below clockStart ${h.clockStart}`)
}

const writeUnsigned = (encoder: encoding.Encoder, h: SignedUpdateHeader, payload: Uint8Array): void => {
  encoding.writeVarUint(encoder, SIGNED_UPDATE_VERSION)
  encoding.writeVarUint(encoder, h.sealed ? FLAG_SEALED : 0)
  encoding.writeVarString(encoder, h.docId)
  encoding.writeVarString(encoder, h.author)
  encoding.writeVarUint(encoder, h.clientIndex)
  encoding.writeVarUint(encoder, h.clientId)
  encoding.writeVarUint(encoder, h.seqStart)
  encoding.writeVarUint(encoder, h.seqEnd)
  encoding.writeVarUint(encoder, h.clockStart)
  encoding.writeVarUint(encoder, h.clockEnd)
  encoding.writeVarUint8Array(encoder, payload)
}

/** Signs `payload` under `header` as `identity` (which must be header.author). */
export const createSignedUpdate = async (identity: Identity, header: Omit<SignedUpdateHeader, 'author'>, payload: Uint8Array): Promise<SignedUpdate> => {
  const h: SignedUpdateHeader = { ...header, author: identity.peerId }
  checkHeader(h)
  if (payload.length > MAX_UPDATE_BYTES) throw new InvalidMessageError(`an update payload is at most ${MAX_UPDATE_BYTES} bytes, not ${payload.length}; edit in smaller transactions`)
  const signedBytes = encoding.encode((e) => writeUnsigned(e, h, payload))
  const signature = await sign(identity, SIGNED_UPDATE_DOMAIN, signedBytes)
  const encoder = encoding.createEncoder()
  encoding.writeUint8Array(encoder, signedBytes)
  encoding.writeVarUint8Array(encoder, signature)
  const bytes = encoding.toUint8Array(encoder)
  return { ...h, payload: bytes.subarray(signedBytes.length - payload.length, signedBytes.length), signature, bytes, signedBytes: bytes.subarray(0, signedBytes.length) }
}

/**
 * `vouched`: the bytes come from this peer's own MAC-checked store, where only updates that
 * passed these checks were written; the per-field re-validation (a regex over the author,
 * re-encoding the docId) is skipped, as it cost more than the rest of a load. Bounds and
 * framing are still checked.
 */
const readSignedUpdate = (decoder: decoding.Decoder, vouched = false): SignedUpdate => {
  const start = decoder.pos
  const version = readBoundedVarUint(decoder, 0xffff, 'signed update version')
  if (version !== SIGNED_UPDATE_VERSION) throw new UnsupportedVersionError(version, [SIGNED_UPDATE_VERSION])
  const flags = readBoundedVarUint(decoder, FLAG_SEALED, 'signed update flags')
  const docId = readBoundedVarString(decoder, MAX_DOC_ID_BYTES, 'signed update docId')
  const author = vouched ? readBoundedVarString(decoder, MAX_PEER_ID_LENGTH, 'signed update author') as PeerId : readPeerId(decoder, 'signed update author')
  const clientIndex = readBoundedVarUint(decoder, MAX_SAFE, 'signed update clientIndex')
  const clientId = readBoundedVarUint(decoder, MAX_SAFE, 'signed update clientId')
  const seqStart = readBoundedVarUint(decoder, MAX_SAFE, 'signed update seqStart')
  const seqEnd = readBoundedVarUint(decoder, MAX_SAFE, 'signed update seqEnd')
  const clockStart = readBoundedVarUint(decoder, MAX_SAFE, 'signed update clockStart')
  const clockEnd = readBoundedVarUint(decoder, MAX_SAFE, 'signed update clockEnd')
  const payload = readBoundedVarUint8Array(decoder, MAX_UPDATE_BYTES, 'signed update payload')
  const end = decoder.pos
  const signature = readBoundedVarUint8Array(decoder, SIGNATURE_LENGTH, 'signed update signature')
  if (signature.length !== SIGNATURE_LENGTH) throw new InvalidMessageError(`a signed update's signature is ${SIGNATURE_LENGTH} bytes, not ${signature.length}`)
  // The whole input when it is one update (the common case): one view fewer per update.
  const bytes = start === 0 && decoder.pos === decoder.arr.length ? decoder.arr : decoder.arr.subarray(start, decoder.pos)
  const update: SignedUpdate = {
    docId, author, clientIndex, clientId, seqStart, seqEnd, clockStart, clockEnd, sealed: flags === FLAG_SEALED,
    payload, signature, bytes, signedBytes: decoder.arr.subarray(start, end)
  }
  if (!vouched) checkHeader(update)
  return update
}

/** Decodes a signed update (views into `bytes`); throws InvalidMessageError/UnsupportedVersionError. Does not verify. */
export const decodeSignedUpdate = (bytes: Uint8Array): SignedUpdate => decodeAll(bytes, 'signed update', (d) => readSignedUpdate(d))

/** decodeSignedUpdate for bytes from this peer's own MAC-checked store (see readSignedUpdate). */
export const decodeStoredSignedUpdate = (bytes: Uint8Array): SignedUpdate => decodeAll(bytes, 'signed update', (d) => readSignedUpdate(d, true))

/** True iff the signature is the author's over the header and payload. Never throws. */
export const verifySignedUpdate = async (update: SignedUpdate): Promise<boolean> => {
  try {
    return await verify(update.author, SIGNED_UPDATE_DOMAIN, update.signedBytes, update.signature)
  } catch {
    return false
  }
}
