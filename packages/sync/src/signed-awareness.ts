/**
 * Signed awareness entries: one client's presence state and clock, signed by the identity
 * its clientID is bound to, so nobody can set, remove or "lock" (with a huge clock) another
 * peer's presence. Grammar in README.md ("Signed awareness").
 */
import type * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import {
  InvalidMessageError, UnsupportedVersionError, decodeAll, readBoundedVarString, readBoundedVarUint,
  readBoundedVarUint8Array, readPeerId, type PeerId
} from '@ymesh/protocol'
import { SIGNATURE_LENGTH, isYmeshPeerId, sign, verify, type Identity } from '@ymesh/crypto'
import {
  MAX_AWARENESS_STATE_BYTES, MAX_DOC_ID_BYTES, MAX_SAFE, SIGNED_AWARENESS_DOMAIN, SIGNED_UPDATE_VERSION
} from './limits.js'

export interface SignedAwareness {
  readonly docId: string
  readonly author: PeerId
  readonly clientIndex: number
  readonly clientId: number
  /** y-protocols awareness clock of this client. */
  readonly clock: number
  /** The state as JSON ('null' when the client leaves). */
  readonly state: string
  readonly signature: Uint8Array
  readonly bytes: Uint8Array
  readonly signedBytes: Uint8Array
}

type Fields = Omit<SignedAwareness, 'signature' | 'bytes' | 'signedBytes'>

const writeFields = (encoder: encoding.Encoder, f: Fields): void => {
  encoding.writeVarUint(encoder, SIGNED_UPDATE_VERSION)
  encoding.writeVarString(encoder, f.docId)
  encoding.writeVarString(encoder, f.author)
  encoding.writeVarUint(encoder, f.clientIndex)
  encoding.writeVarUint(encoder, f.clientId)
  encoding.writeVarUint(encoder, f.clock)
  encoding.writeVarString(encoder, f.state)
}

export const createSignedAwareness = async (identity: Identity, fields: Omit<Fields, 'author'>): Promise<SignedAwareness> => {
  const f: Fields = { ...fields, author: identity.peerId }
  const signedBytes = encoding.encode((e) => writeFields(e, f))
  const signature = await sign(identity, SIGNED_AWARENESS_DOMAIN, signedBytes)
  const bytes = encoding.encode((e) => {
    encoding.writeUint8Array(e, signedBytes)
    encoding.writeVarUint8Array(e, signature)
  })
  return { ...f, signature, bytes, signedBytes: bytes.subarray(0, signedBytes.length) }
}

const readSignedAwareness = (decoder: decoding.Decoder): SignedAwareness => {
  const start = decoder.pos
  const version = readBoundedVarUint(decoder, 0xffff, 'signed awareness version')
  if (version !== SIGNED_UPDATE_VERSION) throw new UnsupportedVersionError(version, [SIGNED_UPDATE_VERSION])
  const docId = readBoundedVarString(decoder, MAX_DOC_ID_BYTES, 'signed awareness docId')
  const author = readPeerId(decoder, 'signed awareness author')
  if (!isYmeshPeerId(author)) throw new InvalidMessageError('a signed awareness author must be a ymesh peer id')
  const clientIndex = readBoundedVarUint(decoder, MAX_SAFE, 'signed awareness clientIndex')
  const clientId = readBoundedVarUint(decoder, MAX_SAFE, 'signed awareness clientId')
  const clock = readBoundedVarUint(decoder, MAX_SAFE, 'signed awareness clock')
  const state = readBoundedVarString(decoder, MAX_AWARENESS_STATE_BYTES, 'signed awareness state')
  const end = decoder.pos
  const signature = readBoundedVarUint8Array(decoder, SIGNATURE_LENGTH, 'signed awareness signature')
  if (signature.length !== SIGNATURE_LENGTH) throw new InvalidMessageError(`a signed awareness signature is ${SIGNATURE_LENGTH} bytes`)
  return { docId, author, clientIndex, clientId, clock, state, signature, bytes: decoder.arr.subarray(start, decoder.pos), signedBytes: decoder.arr.subarray(start, end) }
}

export const decodeSignedAwareness = (bytes: Uint8Array): SignedAwareness => decodeAll(bytes, 'signed awareness', readSignedAwareness)

export const verifySignedAwareness = async (entry: SignedAwareness): Promise<boolean> => {
  try {
    return await verify(entry.author, SIGNED_AWARENESS_DOMAIN, entry.signedBytes, entry.signature)
  } catch {
    return false
  }
}
