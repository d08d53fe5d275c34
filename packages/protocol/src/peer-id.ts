/**
 * PeerId on the wire: a length-prefixed string of 1–64 characters from [A-Za-z0-9_-].
 * ymesh peer ids are base64url Ed25519 public keys (43 characters, defined by @ymesh/crypto);
 * stock y-webrtc peers use uuids (36 characters). Both fit.
 */
import type * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { InvalidMessageError } from './errors.js'
import { MAX_PEER_ID_LENGTH } from './limits.js'
import { readBoundedVarString } from './safe-decoding.js'
import type { PeerId } from './transport.js'

const PEER_ID_PATTERN = /^[A-Za-z0-9_-]+$/

/** True when `value` can be a PeerId on the wire. */
export const isValidPeerIdString = (value: unknown): value is PeerId =>
  typeof value === 'string' && value.length >= 1 && value.length <= MAX_PEER_ID_LENGTH && PEER_ID_PATTERN.test(value)

/** Brand a string as a PeerId, or throw InvalidMessageError saying why it cannot be one. */
export const toPeerId = (value: string, what = 'peer id'): PeerId => {
  if (!isValidPeerIdString(value)) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, MAX_PEER_ID_LENGTH + 1)) : typeof value
    throw new InvalidMessageError(`${what} ${shown} is not a valid peer id: use 1–${MAX_PEER_ID_LENGTH} characters of [A-Za-z0-9_-]`)
  }
  return value
}

export const writePeerId = (encoder: encoding.Encoder, peerId: PeerId): void => {
  encoding.writeVarString(encoder, toPeerId(peerId))
}

export const readPeerId = (decoder: decoding.Decoder, what = 'peer id'): PeerId =>
  toPeerId(readBoundedVarString(decoder, MAX_PEER_ID_LENGTH, what), what)
