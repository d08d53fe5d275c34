/**
 * Byte helpers shared by the modules of this package: strict base64url, concatenation,
 * UTF-8, argument checks. Kept here so that every module validates the same way.
 */
import { InvalidArgumentError } from './errors.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const BASE64URL_RE = /^[A-Za-z0-9_-]*$/

/** base64url without padding (RFC 4648 §5). */
export const toBase64Url = (bytes: Uint8Array): string => {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!
  }
  return out
}

/**
 * Strict base64url decoding: no padding, no whitespace, and canonical (unused trailing
 * bits must be zero), so that one byte string has exactly one textual form — two spellings
 * of one key would otherwise be two peer ids. Returns null when `text` is not canonical
 * base64url; callers turn that into their own named error.
 */
export const fromBase64Url = (text: string): Uint8Array<ArrayBuffer> | null => {
  if (typeof text !== 'string' || !BASE64URL_RE.test(text) || text.length % 4 === 1) return null
  const out = new Uint8Array(Math.floor((text.length * 3) / 4))
  let bits = 0
  let acc = 0
  let o = 0
  for (let i = 0; i < text.length; i++) {
    acc = (acc << 6) | ALPHABET.indexOf(text[i]!)
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (acc >> bits) & 0xff
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return null
  return out
}

export const concatBytes = (...parts: Uint8Array[]): Uint8Array<ArrayBuffer> => {
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

export const utf8 = (text: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(text)

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export const hex = (bytes: Uint8Array): string => {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!]!
  return out
}

/**
 * A copy that WebCrypto accepts (its typings want an ArrayBuffer-backed view), and that the
 * caller cannot mutate while an asynchronous operation still reads it.
 */
export const copyBytes = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(bytes.length)
  out.set(bytes)
  return out
}

/**
 * `bytes` as WebCrypto's typings want them, without a copy unless they live in a
 * SharedArrayBuffer. Only for data handed to WebCrypto synchronously: WebCrypto copies its
 * inputs when called, so the caller may reuse the buffer afterwards.
 */
export const bufferSource = (bytes: Uint8Array): Uint8Array<ArrayBuffer> =>
  bytes.buffer instanceof ArrayBuffer ? bytes as Uint8Array<ArrayBuffer> : copyBytes(bytes)

/** Throws InvalidArgumentError unless `value` is a Uint8Array (of `length`, if given). */
export const requireBytes = (value: unknown, what: string, length?: number): Uint8Array => {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${what} must be a Uint8Array, got ${describe(value)}.`)
  }
  if (length !== undefined && value.length !== length) {
    throw new InvalidArgumentError(`${what} must be ${length} bytes long, got ${value.length}.`)
  }
  return value
}

/** Domains separate signatures and ciphertexts by purpose, e.g. 'ymesh/awareness'. */
export const requireDomain = (domain: unknown): string => {
  if (typeof domain !== 'string' || domain.length === 0) {
    throw new InvalidArgumentError(`A domain must be a non-empty string naming the purpose (e.g. 'ymesh/update'), got ${describe(domain)}.`)
  }
  // 127 keeps varString(domain) to a one-byte length prefix, which hot paths write by hand.
  if (utf8(domain).length > 127) {
    throw new InvalidArgumentError('A domain must be at most 127 bytes of UTF-8; use a short, fixed purpose name.')
  }
  return domain
}

export const describe = (value: unknown): string => {
  if (value === null) return 'null'
  if (value instanceof Uint8Array) return `${value.length} bytes`
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object'
  return typeof value
}
