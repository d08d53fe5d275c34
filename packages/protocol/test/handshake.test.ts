import { describe, expect, it } from 'vitest'
import {
  decodeClose, decodeHello, decodeHelloProof, decodePing, decodePong, encodeClose, encodeHello, encodeHelloProof, encodePing, encodePong,
  HELLO_NONCE_SIZE, MAX_SEQUENCE, MAX_SIGNATURE_SIZE, MAX_VERSION_COUNT, PROTOCOL_VERSION, selectVersion, toPeerId,
  type Hello
} from '@ymesh/protocol'
import * as encoding from 'lib0/encoding'

const hello: Hello = {
  versions: [2, 1],
  nonce: new Uint8Array(HELLO_NONCE_SIZE).map((_, i) => i),
  peerId: toPeerId('11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'),
  signature: new Uint8Array(64).fill(7)
}

describe('hello', () => {
  it('round-trips every field', () => {
    const decoded = decodeHello(encodeHello(hello))
    expect(decoded.versions).toEqual([2, 1])
    expect([...decoded.nonce]).toEqual([...hello.nonce])
    expect(decoded.peerId).toBe(hello.peerId)
    expect([...decoded.signature]).toEqual([...hello.signature])
    expect(decodeHello(encodeHello({ ...hello, signature: new Uint8Array(0) })).signature.length).toBe(0)
  })

  it('refuses to encode bad fields', () => {
    const bad: Partial<Hello>[] = [
      { versions: [] },
      { versions: new Array(MAX_VERSION_COUNT + 1).fill(1) },
      { versions: [0] },
      { versions: [1.5] },
      { nonce: new Uint8Array(HELLO_NONCE_SIZE - 1) },
      { signature: new Uint8Array(MAX_SIGNATURE_SIZE + 1) },
      { peerId: 'not valid' as Hello['peerId'] }
    ]
    for (const patch of bad) {
      expect(() => encodeHello({ ...hello, ...patch })).toThrow(expect.objectContaining({ name: 'InvalidMessageError' }))
    }
  })

  it('rejects malformed payloads with InvalidMessageError', () => {
    const valid = encodeHello(hello)
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array([0]), /no protocol version/],
      [new Uint8Array([MAX_VERSION_COUNT + 1]), /version count is 17/],
      [new Uint8Array([1, 0]), /version 0/],
      [new Uint8Array([1, 1, 1, 2, 3]), /hello nonce needs 32 bytes/],
      [valid.subarray(0, valid.length - 1), /hello signature needs 64 bytes/],
      [new Uint8Array([...valid, 0]), /trailing/]
    ]
    for (const [bytes, message] of cases) {
      expect(() => decodeHello(bytes)).toThrow(message)
    }
  })
})

describe('hello-proof', () => {
  it('round-trips and bounds the signature', () => {
    const signature = new Uint8Array(64).fill(3)
    expect([...decodeHelloProof(encodeHelloProof({ signature })).signature]).toEqual([...signature])
    expect(() => encodeHelloProof({ signature: new Uint8Array(MAX_SIGNATURE_SIZE + 1) })).toThrow(/at most 128 bytes/)
    const oversized = encoding.encode((e) => encoding.writeVarUint8Array(e, new Uint8Array(MAX_SIGNATURE_SIZE + 1)))
    expect(() => decodeHelloProof(oversized)).toThrow(/hello-proof signature length is 129/)
  })
})

describe('selectVersion', () => {
  it('picks the newest common version', () => {
    expect(selectVersion([3, 2, 1], [1, 2])).toBe(2)
    expect(selectVersion([PROTOCOL_VERSION])).toBe(PROTOCOL_VERSION)
  })

  it('throws UnsupportedVersionError when there is none', () => {
    expect(() => selectVersion([5, 4], [1])).toThrow(expect.objectContaining({ name: 'UnsupportedVersionError', version: 5 }))
    expect(() => selectVersion([], [1])).toThrow(expect.objectContaining({ name: 'UnsupportedVersionError', version: 0 }))
  })
})

describe('ping / pong', () => {
  it('round-trips the sequence number, up to MAX_SEQUENCE', () => {
    for (const sequence of [0, 1, 300, MAX_SEQUENCE]) {
      expect(decodePing(encodePing({ sequence }))).toEqual({ sequence })
      expect(decodePong(encodePong({ sequence }))).toEqual({ sequence })
    }
  })

  it('rejects out-of-range, truncated and padded payloads', () => {
    for (const sequence of [-1, 0.5, MAX_SEQUENCE + 1]) {
      expect(() => encodePing({ sequence })).toThrow(/cannot encode sequence/)
    }
    expect(() => decodePing(encoding.encode((e) => encoding.writeVarUint(e, MAX_SEQUENCE + 1)))).toThrow(/ping sequence is 4294967296/)
    expect(() => decodePong(new Uint8Array(0))).toThrow(/truncated/)
    expect(() => decodePong(new Uint8Array([1, 1]))).toThrow(/pong has 1 unexpected trailing bytes/)
  })
})

describe('close', () => {
  it('round-trips bye and bye-ack', () => {
    expect(decodeClose(encodeClose({ kind: 'bye' }))).toEqual({ kind: 'bye' })
    expect(decodeClose(encodeClose({ kind: 'bye-ack' }))).toEqual({ kind: 'bye-ack' })
    expect(encodeClose({ kind: 'bye' })).toEqual(new Uint8Array([0]))
  })

  it('a bye may say the sender is leaving (trailing flags); unknown flag bits are ignored', () => {
    expect(encodeClose({ kind: 'bye', leaving: true })).toEqual(new Uint8Array([0, 1]))
    expect(decodeClose(encodeClose({ kind: 'bye', leaving: true }))).toEqual({ kind: 'bye', leaving: true })
    expect(encodeClose({ kind: 'bye', leaving: false })).toEqual(new Uint8Array([0]))
    expect(decodeClose(new Uint8Array([0, 0]))).toEqual({ kind: 'bye', leaving: false })
    expect(decodeClose(new Uint8Array([0, 3]))).toEqual({ kind: 'bye', leaving: true })
    expect(() => decodeClose(new Uint8Array([0, 0xff, 0x7f]))).toThrow(/close flags/)
    expect(() => encodeClose({ kind: 'bye-ack', leaving: true })).toThrow(/only a bye/)
  })

  it('rejects unknown kinds, truncated and padded payloads', () => {
    expect(() => encodeClose({ kind: 'later' as 'bye' })).toThrow(/cannot encode close kind later/)
    expect(() => decodeClose(new Uint8Array([2]))).toThrow(/close kind is 2/)
    expect(() => decodeClose(new Uint8Array(0))).toThrow(/truncated/)
    expect(() => decodeClose(new Uint8Array([1, 0]))).toThrow(/close has 1 unexpected trailing bytes/)
  })
})
