import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import {
  decodeAll, expectEnd, MAX_VARUINT_BYTES, readBoundedVarString, readBoundedVarUint, readBoundedVarUint8Array,
  readFixedUint8Array
} from '@ymesh/protocol'

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values)
const decoderOf = (...values: number[]): decoding.Decoder => decoding.createDecoder(bytes(...values))
const encoded = (write: (encoder: encoding.Encoder) => void): decoding.Decoder =>
  decoding.createDecoder(encoding.encode(write))

describe('readBoundedVarUint', () => {
  it('reads what lib0 writes, up to the largest safe integer', () => {
    for (const value of [0, 1, 127, 128, 16383, 16384, 2 ** 31, 2 ** 32 - 1, Number.MAX_SAFE_INTEGER]) {
      const decoder = encoded((e) => encoding.writeVarUint(e, value))
      expect(readBoundedVarUint(decoder, Number.MAX_SAFE_INTEGER, 'n')).toBe(value)
      expect(decoding.hasContent(decoder)).toBe(false)
    }
  })

  it('rejects a value over its limit, naming the field', () => {
    expect(() => readBoundedVarUint(decoderOf(0x81, 0x01), 128, 'widget count')).toThrow(/widget count is 129, over the limit of 128/)
  })

  it('rejects a truncated varUint with InvalidMessageError', () => {
    expect(() => readBoundedVarUint(decoderOf(0x80, 0x80), 1000, 'n')).toThrow(expect.objectContaining({ name: 'InvalidMessageError' }))
    expect(() => readBoundedVarUint(decoderOf(), 1000, 'n')).toThrow(/truncated/)
  })

  it('rejects non-minimal encodings so each value has one encoding', () => {
    expect(() => readBoundedVarUint(decoderOf(0x80, 0x00), 1000, 'n')).toThrow(/non-minimal/)
    expect(() => readBoundedVarUint(decoderOf(0x81, 0x80, 0x00), 1000, 'n')).toThrow(/non-minimal/)
  })

  it(`stops after ${MAX_VARUINT_BYTES} bytes where lib0 would return NaN`, () => {
    const hostile = [...new Array(200).fill(0x80), 0x01]
    expect(Number.isNaN(decoding.readVarUint(decoderOf(...hostile)))).toBe(true)
    expect(() => readBoundedVarUint(decoderOf(...hostile), Number.MAX_SAFE_INTEGER, 'n')).toThrow(/longer than 8 bytes/)
  })
})

describe('readFixedUint8Array / readBoundedVarUint8Array', () => {
  it('returns a view, not a copy', () => {
    const source = bytes(3, 1, 2, 3)
    const view = readBoundedVarUint8Array(decoding.createDecoder(source), 10, 'blob')
    expect([...view]).toEqual([1, 2, 3])
    expect(view.buffer).toBe(source.buffer)
  })

  it('checks the declared length against the limit before reading', () => {
    expect(() => readBoundedVarUint8Array(decoderOf(5, 1, 2, 3, 4, 5), 4, 'blob')).toThrow(/blob length is 5, over the limit of 4/)
  })

  it('checks the declared length against the bytes remaining', () => {
    // A 1-GiB claim in a 6-byte frame fails without allocating a gigabyte.
    const decoder = encoded((e) => { encoding.writeVarUint(e, 2 ** 30); encoding.writeUint8(e, 1) })
    expect(() => readBoundedVarUint8Array(decoder, 2 ** 31, 'blob')).toThrow(/blob needs 1073741824 bytes but only 1 remain/)
    expect(() => readFixedUint8Array(decoderOf(1, 2), 3, 'nonce')).toThrow(/nonce needs 3 bytes/)
  })
})

describe('readBoundedVarString', () => {
  it('round-trips UTF-8 strings', () => {
    const decoder = encoded((e) => encoding.writeVarString(e, 'zwölf 🍕'))
    expect(readBoundedVarString(decoder, 100, 'name')).toBe('zwölf 🍕')
  })

  it('bounds the length in UTF-8 bytes', () => {
    const decoder = encoded((e) => encoding.writeVarString(e, 'ööö'))
    expect(() => readBoundedVarString(decoder, 5, 'name')).toThrow(/name length is 6, over the limit of 5/)
  })

  it('rejects invalid UTF-8 as InvalidMessageError, not TypeError', () => {
    expect(() => readBoundedVarString(decoderOf(2, 0xc3, 0x28), 10, 'name')).toThrow(
      expect.objectContaining({ name: 'InvalidMessageError', message: 'name is not valid UTF-8' }))
  })
})

describe('expectEnd / decodeAll', () => {
  it('rejects trailing bytes', () => {
    const decoder = decoderOf(1, 2)
    decoding.readUint8(decoder)
    expect(() => expectEnd(decoder, 'thing')).toThrow(/thing has 1 unexpected trailing bytes/)
    expect(() => decodeAll(bytes(1, 2), 'thing', (d) => readBoundedVarUint(d, 10, 'n'))).toThrow(/trailing/)
  })

  it('turns any foreign error into InvalidMessageError, keeping the cause', () => {
    const cause = new RangeError('boom')
    try {
      decodeAll(bytes(1), 'thing', () => { throw cause })
      expect.unreachable()
    } catch (err) {
      expect(err).toMatchObject({ name: 'InvalidMessageError', message: 'thing is malformed: boom', cause })
    }
    expect(() => decodeAll(bytes(1), 'thing', () => { throw 'a string' })).toThrow(/thing is malformed: a string/)
  })

  it('passes named errors through unchanged', () => {
    expect(() => decodeAll(bytes(), 'thing', (d) => readBoundedVarUint(d, 1, 'n'))).toThrow(/^n: truncated/)
  })

  it('rejects input that is not a Uint8Array', () => {
    expect(() => decodeAll('nope' as unknown as Uint8Array, 'thing', () => 1)).toThrow(/thing must be a Uint8Array/)
  })
})
