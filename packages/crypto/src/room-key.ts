/**
 * Room keys: symmetric AES-256-GCM keys every member of a room holds.
 *
 *   sealed = version (1) ‖ key id (4) ‖ IV (12) ‖ ciphertext+tag
 *   AAD    = version ‖ key id ‖ varString(domain)
 *
 * The key id (first 4 bytes of SHA-256('ymesh/room-key-id/v1' ‖ key)) travels in clear so a
 * member holding an old key learns the key was rotated instead of seeing a bare failure.
 */
import { CryptoError, DecryptionError, InvalidKeyError, RoomKeyMismatchError } from './errors.js'
import { bufferSource, concatBytes, copyBytes, describe, hex, requireBytes, requireDomain, utf8 } from './bytes.js'
import { guard, randomBytes, sha256, subtle, type RandomSource } from './webcrypto.js'

export const ROOM_KEY_LENGTH = 32
const VERSION = 1
const KEY_ID_LENGTH = 4
const HEADER_LENGTH = 1 + KEY_ID_LENGTH + 12
export const ROOM_SEAL_OVERHEAD = HEADER_LENGTH + 16
const KEY_ID_DOMAIN = utf8('ymesh/room-key-id/v1')

export interface RoomKey {
  /** AES-256-GCM key (extractable, so it can be handed to new members). */
  readonly key: CryptoKey
  /** 8 hex characters naming this key; changes when the key is rotated. */
  readonly id: string
}

export interface RoomKeyOptions {
  readonly random?: RandomSource
}

export const generateRoomKey = async (options: RoomKeyOptions = {}): Promise<RoomKey> => {
  const raw = randomBytes(ROOM_KEY_LENGTH, options.random)
  const key = await importRoomKey(raw)
  raw.fill(0)
  return key
}

export const importRoomKey = async (raw: Uint8Array): Promise<RoomKey> => {
  if (!(raw instanceof Uint8Array) || raw.length !== ROOM_KEY_LENGTH) {
    throw new InvalidKeyError(`A room key is ${ROOM_KEY_LENGTH} bytes, got ${describe(raw)}.`)
  }
  const bytes = copyBytes(raw)
  const id = hex((await sha256(concatBytes(KEY_ID_DOMAIN, bytes))).subarray(0, KEY_ID_LENGTH))
  const key = await guard(
    () => subtle().importKey('raw', bytes, { name: 'AES-GCM' }, true, ['encrypt', 'decrypt']),
    (cause) => new CryptoError('WebCrypto could not import the room key as AES-256-GCM.', { cause })
  )
  bytes.fill(0)
  return Object.freeze({ key, id })
}

export const exportRoomKey = async (roomKey: RoomKey): Promise<Uint8Array<ArrayBuffer>> => {
  requireRoomKey(roomKey)
  return new Uint8Array(await guard(
    () => subtle().exportKey('raw', roomKey.key),
    (cause) => new InvalidKeyError('This room key cannot be exported; room keys must come from generateRoomKey(), importRoomKey() or roomKeyFromSecret().', { cause })
  ))
}

const requireRoomKey = (roomKey: RoomKey): void => {
  if (roomKey === null || typeof roomKey !== 'object' || !(roomKey.key instanceof CryptoKey) || typeof roomKey.id !== 'string' || roomKey.id.length !== KEY_ID_LENGTH * 2) {
    throw new InvalidKeyError(`Expected a RoomKey from generateRoomKey(), importRoomKey() or roomKeyFromSecret(), got ${describe(roomKey)}.`)
  }
}

// The header (version ‖ key id) followed by varString(domain). Written by hand rather than
// with a lib0 encoder: this runs for every document message.
const aad = (header: Uint8Array, domain: string): Uint8Array<ArrayBuffer> => {
  const name = utf8(domain)
  const out = new Uint8Array(header.length + 1 + name.length)
  out.set(header)
  out[header.length] = name.length // one-byte varUint: requireDomain allows at most 127 bytes
  out.set(name, header.length + 1)
  return out
}

const keyIdBytes = (id: string): Uint8Array => {
  const out = new Uint8Array(KEY_ID_LENGTH)
  for (let i = 0; i < KEY_ID_LENGTH; i++) out[i] = parseInt(id.slice(2 * i, 2 * i + 2), 16)
  return out
}

export const sealWithRoomKey = async (roomKey: RoomKey, domain: string, plaintext: Uint8Array, options: RoomKeyOptions = {}): Promise<Uint8Array<ArrayBuffer>> => {
  requireRoomKey(roomKey)
  requireDomain(domain)
  // encrypt() is called in this same tick and copies its input: no copy needed here.
  const data = bufferSource(requireBytes(plaintext, 'The plaintext'))
  const iv = randomBytes(12, options.random)
  const header = new Uint8Array(1 + KEY_ID_LENGTH)
  header[0] = VERSION
  header.set(keyIdBytes(roomKey.id), 1)
  const ciphertext = await guard(
    () => subtle().encrypt({ name: 'AES-GCM', iv, additionalData: aad(header, domain) }, roomKey.key, data),
    (cause) => new CryptoError('WebCrypto could not encrypt with the room key.', { cause })
  )
  const out = new Uint8Array(HEADER_LENGTH + ciphertext.byteLength)
  out.set(header)
  out.set(iv, header.length)
  out.set(new Uint8Array(ciphertext), HEADER_LENGTH)
  return out
}

/** The id of the room key `sealed` was sealed with, without opening it. */
export const roomKeyIdOf = (sealed: Uint8Array): string => {
  requireBytes(sealed, 'The sealed message')
  if (sealed.length < ROOM_SEAL_OVERHEAD) throw new DecryptionError(`A room-sealed message is at least ${ROOM_SEAL_OVERHEAD} bytes; got ${sealed.length} (truncated?).`)
  if (sealed[0] !== VERSION) throw new DecryptionError(`Unknown room-sealed message version ${sealed[0]}; this version of @ymesh/crypto opens version ${VERSION}.`)
  return hex(sealed.subarray(1, 1 + KEY_ID_LENGTH))
}

/**
 * Opens what sealWithRoomKey() sealed under `domain`. Rejects with RoomKeyMismatchError
 * (a DecryptionError) when it names another key, DecryptionError when it was altered,
 * truncated or sealed for another domain.
 */
export const openWithRoomKey = async (roomKey: RoomKey, domain: string, sealed: Uint8Array): Promise<Uint8Array<ArrayBuffer>> => {
  requireRoomKey(roomKey)
  requireDomain(domain)
  const keyId = roomKeyIdOf(sealed)
  if (keyId !== roomKey.id) throw new RoomKeyMismatchError(keyId, roomKey.id)
  const bytes = bufferSource(sealed)
  const iv = bytes.subarray(1 + KEY_ID_LENGTH, HEADER_LENGTH)
  const ciphertext = bytes.subarray(HEADER_LENGTH)
  return new Uint8Array(await guard(
    () => subtle().decrypt({ name: 'AES-GCM', iv, additionalData: aad(bytes.subarray(0, 1 + KEY_ID_LENGTH), domain) }, roomKey.key, ciphertext),
    (cause) => new DecryptionError(`Could not open this room message: it was sealed for another domain than '${domain}', or it was altered.`, { cause })
  ))
}

