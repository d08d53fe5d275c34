/**
 * Room secrets: 128 random bits carried in an invite link. The secret yields both the
 * signaling topic (so the signaling server never learns the room's name, and cannot link
 * it to anything) and the room's encryption key, with independent derivations.
 */
import { CryptoError, InvalidRoomSecretError } from './errors.js'
import { copyBytes, describe, fromBase64Url, toBase64Url, utf8 } from './bytes.js'
import { importRoomKey, ROOM_KEY_LENGTH, type RoomKey } from './room-key.js'
import { guard, randomBytes, subtle, type RandomSource } from './webcrypto.js'

export const ROOM_SECRET_LENGTH = 16
const TOPIC_LABEL = utf8('ymesh/topic/v1')
const ROOM_KEY_INFO = utf8('ymesh/room-key/v1')

export const generateRoomSecret = (options: { readonly random?: RandomSource } = {}): Uint8Array<ArrayBuffer> =>
  randomBytes(ROOM_SECRET_LENGTH, options.random)

const requireSecret = (secret: unknown): Uint8Array<ArrayBuffer> => {
  if (!(secret instanceof Uint8Array) || secret.length !== ROOM_SECRET_LENGTH) {
    throw new InvalidRoomSecretError(`A room secret is ${ROOM_SECRET_LENGTH} bytes, got ${describe(secret)}.`)
  }
  return copyBytes(secret)
}

/** 22 base64url characters, for the fragment of an invite link. */
export const encodeRoomSecret = (secret: Uint8Array): string => toBase64Url(requireSecret(secret))

export const decodeRoomSecret = (text: string): Uint8Array<ArrayBuffer> => {
  const bytes = typeof text === 'string' && text.length === 22 ? fromBase64Url(text) : null
  if (bytes === null) {
    throw new InvalidRoomSecretError(`${typeof text === 'string' ? `'${text.slice(0, 40)}'` : describe(text)} is not a room secret: expected the 22 base64url characters of an invite link. Check that the link was copied whole.`)
  }
  return bytes
}

/** The signaling topic for the room: base64url(HMAC-SHA-256(secret, 'ymesh/topic/v1')). */
export const topicFromRoomSecret = async (secret: Uint8Array): Promise<string> => {
  const raw = requireSecret(secret)
  const s = subtle()
  const mac = await guard(async () => {
    const key = await s.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    return await s.sign('HMAC', key, TOPIC_LABEL)
  }, (cause) => new CryptoError('WebCrypto could not compute HMAC-SHA-256 for the room topic.', { cause }))
  return toBase64Url(new Uint8Array(mac))
}

/** The room's AES-256-GCM key: HKDF-SHA-256(secret, salt '', info 'ymesh/room-key/v1'). */
export const roomKeyFromSecret = async (secret: Uint8Array): Promise<RoomKey> => {
  const raw = requireSecret(secret)
  const s = subtle()
  const bits = new Uint8Array(await guard(async () => {
    const material = await s.importKey('raw', raw, 'HKDF', false, ['deriveBits'])
    return await s.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: ROOM_KEY_INFO }, material, ROOM_KEY_LENGTH * 8)
  }, (cause) => new CryptoError('WebCrypto could not derive the room key (HKDF-SHA-256).', { cause })))
  const key = await importRoomKey(bits)
  bits.fill(0)
  return key
}
