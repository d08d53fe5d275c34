/**
 * Byte-compatible with y-webrtc 10.x src/crypto.js, so ymesh peers can talk to stock
 * y-webrtc peers in password rooms:
 *
 *   key   = PBKDF2-SHA-256(password, salt = room name, 100,000 rounds) → AES-GCM-256
 *   blob  = varString('AES-GCM') ‖ varUint8Array(IV, 12 bytes) ‖ varUint8Array(ciphertext+tag)
 *   JSON  = blob of lib0 encoding.writeAny(value)
 *
 * (y-webrtc base64-encodes the JSON blob for signaling publishes; that is the caller's.)
 * Unlike y-webrtc's decrypt, garbage in gives a DecryptionError, never an unhandled
 * rejection or a throw from inside a decoder.
 */
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { CryptoError, DecryptionError, InvalidArgumentError, InvalidKeyError } from './errors.js'
import { bufferSource, describe, requireBytes, utf8 } from './bytes.js'
import { guard, randomBytes, subtle, type RandomSource } from './webcrypto.js'

export const Y_WEBRTC_PBKDF2_ITERATIONS = 100_000
const ALGORITHM = 'AES-GCM'

export const deriveYWebrtcKey = async (password: string, roomName: string): Promise<CryptoKey> => {
  if (typeof password !== 'string' || typeof roomName !== 'string') {
    throw new InvalidArgumentError(`deriveYWebrtcKey() takes the room password and room name as strings, got ${describe(password)} and ${describe(roomName)}.`)
  }
  const s = subtle()
  return await guard(async () => {
    const material = await s.importKey('raw', utf8(password), 'PBKDF2', false, ['deriveKey'])
    return await s.deriveKey(
      { name: 'PBKDF2', salt: utf8(roomName), iterations: Y_WEBRTC_PBKDF2_ITERATIONS, hash: 'SHA-256' },
      material, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
  }, (cause) => new CryptoError('WebCrypto could not derive the y-webrtc room key (PBKDF2-SHA-256).', { cause }))
}

const requireKey = (key: unknown): CryptoKey => {
  if (!(key instanceof CryptoKey) || key.algorithm.name !== 'AES-GCM') {
    throw new InvalidKeyError(`Expected the AES-GCM key from deriveYWebrtcKey(), got ${describe(key)}.`)
  }
  return key
}

export const encryptYWebrtc = async (data: Uint8Array, key: CryptoKey, options: { readonly random?: RandomSource } = {}): Promise<Uint8Array> => {
  const plaintext = bufferSource(requireBytes(data, 'The data to encrypt'))
  requireKey(key)
  const iv = randomBytes(12, options.random)
  const cipher = await guard(
    () => subtle().encrypt({ name: 'AES-GCM', iv }, key, plaintext),
    (cause) => new CryptoError('WebCrypto could not encrypt for the y-webrtc room.', { cause })
  )
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, ALGORITHM)
  encoding.writeVarUint8Array(encoder, iv)
  encoding.writeVarUint8Array(encoder, new Uint8Array(cipher))
  return encoding.toUint8Array(encoder)
}

export const decryptYWebrtc = async (data: Uint8Array, key: CryptoKey): Promise<Uint8Array> => {
  requireBytes(data, 'The data to decrypt')
  requireKey(key)
  let iv: Uint8Array<ArrayBuffer>
  let cipher: Uint8Array<ArrayBuffer>
  try {
    const decoder = decoding.createDecoder(data)
    const algorithm = decoding.readVarString(decoder)
    if (algorithm !== ALGORITHM) throw new Error(`unknown algorithm ${algorithm.slice(0, 40)}`)
    iv = bufferSource(decoding.readVarUint8Array(decoder))
    cipher = bufferSource(decoding.readVarUint8Array(decoder))
  } catch (cause) {
    throw new DecryptionError('Not a y-webrtc encrypted message (expected "AES-GCM", IV and ciphertext in lib0 encoding).', { cause })
  }
  return new Uint8Array(await guard(
    () => subtle().decrypt({ name: 'AES-GCM', iv }, key, cipher),
    (cause) => new DecryptionError('Could not decrypt this y-webrtc message: the room password differs, or the message was altered.', { cause })
  ))
}

/** Encrypts any value lib0's encoding.writeAny accepts (what y-webrtc publishes). */
export const encryptYWebrtcJson = async (value: unknown, key: CryptoKey, options: { readonly random?: RandomSource } = {}): Promise<Uint8Array> => {
  const encoder = encoding.createEncoder()
  try {
    encoding.writeAny(encoder, value as Parameters<typeof encoding.writeAny>[1])
  } catch (cause) {
    throw new InvalidArgumentError('This value cannot be encoded for y-webrtc (lib0 writeAny: JSON-like values and Uint8Arrays only).', { cause })
  }
  return await encryptYWebrtc(encoding.toUint8Array(encoder), key, options)
}

export const decryptYWebrtcJson = async (data: Uint8Array, key: CryptoKey): Promise<unknown> => {
  const plaintext = await decryptYWebrtc(data, key)
  try {
    return decoding.readAny(decoding.createDecoder(plaintext))
  } catch (cause) {
    throw new DecryptionError('The decrypted y-webrtc message is not lib0-encoded data.', { cause })
  }
}
