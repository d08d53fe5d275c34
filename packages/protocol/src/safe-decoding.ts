/**
 * Bounded readers over lib0's decoding. Every declared length is checked against its limit
 * AND against the bytes left BEFORE anything is allocated, and every failure is an
 * InvalidMessageError (lib0 throws plain Errors such as "Unexpected end of array", and
 * TextDecoder a TypeError), so a hostile frame can cost at most its own size.
 */
import * as decoding from 'lib0/decoding'
import * as string from 'lib0/string'
import { InvalidMessageError, isProtocolError } from './errors.js'
import { MAX_VARUINT_BYTES } from './limits.js'

const remaining = (decoder: decoding.Decoder): number => decoder.arr.length - decoder.pos

/**
 * Read a varUint no larger than `max`. Unlike lib0's readVarUint it stops after
 * MAX_VARUINT_BYTES (lib0 keeps reading and can return NaN for a long run of 0x80 bytes)
 * and rejects non-minimal encodings, so every value has exactly one encoding.
 */
export const readBoundedVarUint = (decoder: decoding.Decoder, max: number, what: string): number => {
  const arr = decoder.arr
  let num = 0
  let mult = 1
  for (let i = 0; i < MAX_VARUINT_BYTES; i++) {
    if (decoder.pos >= arr.length) {
      throw new InvalidMessageError(`${what}: truncated varUint; the message ends early`)
    }
    const byte = arr[decoder.pos++] as number
    num += (byte & 0x7f) * mult
    if (byte < 0x80) {
      if (byte === 0 && i > 0) {
        throw new InvalidMessageError(`${what}: non-minimal varUint encoding; encode integers with lib0's writeVarUint`)
      }
      if (num > max) {
        throw new InvalidMessageError(`${what} is ${num}, over the limit of ${max}`)
      }
      return num
    }
    mult *= 128
  }
  throw new InvalidMessageError(`${what}: varUint longer than ${MAX_VARUINT_BYTES} bytes`)
}

/** Read exactly `length` bytes. Returns a view into the decoder's buffer (no copy). */
export const readFixedUint8Array = (decoder: decoding.Decoder, length: number, what: string): Uint8Array => {
  if (remaining(decoder) < length) {
    throw new InvalidMessageError(`${what} needs ${length} bytes but only ${remaining(decoder)} remain; the message is truncated`)
  }
  return decoding.readUint8Array(decoder, length)
}

/**
 * Read a length-prefixed byte array of at most `max` bytes. Returns a view into the
 * decoder's buffer (no copy): copy it if you keep it longer than the message.
 */
export const readBoundedVarUint8Array = (decoder: decoding.Decoder, max: number, what: string): Uint8Array => {
  const length = readBoundedVarUint(decoder, max, `${what} length`)
  return readFixedUint8Array(decoder, length, what)
}

/** Read a length-prefixed UTF-8 string of at most `maxBytes` bytes; invalid UTF-8 is rejected. */
export const readBoundedVarString = (decoder: decoding.Decoder, maxBytes: number, what: string): string => {
  const bytes = readBoundedVarUint8Array(decoder, maxBytes, what)
  try {
    return string.decodeUtf8(bytes)
  } catch {
    throw new InvalidMessageError(`${what} is not valid UTF-8`)
  }
}

/** Throw unless every byte has been read: trailing bytes mean the grammar was not followed. */
export const expectEnd = (decoder: decoding.Decoder, what: string): void => {
  if (decoding.hasContent(decoder)) {
    throw new InvalidMessageError(`${what} has ${remaining(decoder)} unexpected trailing bytes`)
  }
}

/**
 * Run `read` over the whole of `bytes` and require that it consumes all of them. Any failure
 * that is not already one of our named errors becomes an InvalidMessageError, so callers
 * only ever see named errors from a decoder.
 */
export const decodeAll = <T>(bytes: Uint8Array, what: string, read: (decoder: decoding.Decoder) => T): T => {
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidMessageError(`${what} must be a Uint8Array`)
  }
  try {
    const decoder = decoding.createDecoder(bytes)
    const value = read(decoder)
    expectEnd(decoder, what)
    return value
  } catch (err) {
    if (isProtocolError(err)) throw err
    throw new InvalidMessageError(`${what} is malformed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
}
