/**
 * Peer ids: base64url (no padding) of the 32-byte Ed25519 public key, 43 characters, so a
 * signature or a sealed message can be checked against the id alone, with no key lookup.
 */
import type { PeerId } from '@ymesh/protocol'
import { InvalidKeyError, InvalidPeerIdError } from './errors.js'
import { describe, fromBase64Url, toBase64Url } from './bytes.js'

export const PEER_ID_LENGTH = 43
export const PUBLIC_KEY_LENGTH = 32

export const peerIdFromPublicKey = (publicKey: Uint8Array): PeerId => {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new InvalidKeyError(`An Ed25519 public key is ${PUBLIC_KEY_LENGTH} bytes, got ${describe(publicKey)}.`)
  }
  return toBase64Url(publicKey) as PeerId
}

/**
 * The Ed25519 public key a peer id encodes. Checks the format only (cheap enough for every
 * inbound message); whether the bytes are a curve point shows when the key is used.
 */
export const publicKeyFromPeerId = (peerId: string): Uint8Array<ArrayBuffer> => {
  const bytes = typeof peerId === 'string' && peerId.length === PEER_ID_LENGTH ? fromBase64Url(peerId) : null
  if (bytes === null) {
    const shown = typeof peerId === 'string' ? `'${peerId.length > 60 ? peerId.slice(0, 60) + '…' : peerId}'` : describe(peerId)
    throw new InvalidPeerIdError(`${shown} is not a ymesh peer id: expected ${PEER_ID_LENGTH} base64url characters (the peer's Ed25519 public key). Peer ids of stock y-webrtc peers (UUIDs) cannot be verified or sealed to.`)
  }
  return bytes
}

/** True if `value` has the form of a ymesh peer id (43 canonical base64url characters). */
export const isYmeshPeerId = (value: unknown): value is PeerId =>
  typeof value === 'string' && value.length === PEER_ID_LENGTH && fromBase64Url(value) !== null
