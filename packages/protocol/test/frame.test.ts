import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  decodeFrame, encodeFrame, isValidPeerIdString, LEGACY_MAX_FRAME_SIZE, MAX_FRAME_SIZE, MAX_TAG, readPeerId, Tag, toPeerId,
  writePeerId
} from '@ymesh/protocol'
import * as decoding from 'lib0/decoding'

describe('frames', () => {
  it('round-trips tag and payload, and the payload is a view (no copy)', () => {
    const frame = encodeFrame(Tag.Ping, new Uint8Array([1, 2, 3]))
    expect([...frame]).toEqual([Tag.Ping, 1, 2, 3])
    const decoded = decodeFrame(frame)
    expect(decoded.tag).toBe(Tag.Ping)
    expect([...decoded.payload]).toEqual([1, 2, 3])
    expect(decoded.payload.buffer).toBe(frame.buffer)
  })

  it('allows an empty payload and multi-byte tags', () => {
    expect(decodeFrame(encodeFrame(Tag.Sync, new Uint8Array(0)))).toMatchObject({ tag: 0, payload: new Uint8Array(0) })
    expect(decodeFrame(encodeFrame(MAX_TAG, new Uint8Array([9]))).tag).toBe(MAX_TAG)
  })

  it(`encodes frames up to exactly MAX_FRAME_SIZE (${MAX_FRAME_SIZE}) bytes and refuses larger ones`, () => {
    const fits = encodeFrame(Tag.Envelope, new Uint8Array(MAX_FRAME_SIZE - 1))
    expect(fits.length).toBe(MAX_FRAME_SIZE)
    expect(decodeFrame(fits).payload.length).toBe(MAX_FRAME_SIZE - 1)
    expect(() => encodeFrame(Tag.Envelope, new Uint8Array(MAX_FRAME_SIZE))).toThrow(
      expect.objectContaining({ name: 'MessageTooLargeError', size: MAX_FRAME_SIZE + 1, limit: MAX_FRAME_SIZE }))
  })

  it('refuses an oversized received frame before parsing it, unless the caller raises the limit', () => {
    const big = new Uint8Array(MAX_FRAME_SIZE + 1)
    expect(() => decodeFrame(big)).toThrow(expect.objectContaining({ name: 'MessageTooLargeError' }))
    expect(decodeFrame(big, { maxSize: LEGACY_MAX_FRAME_SIZE }).payload.length).toBe(MAX_FRAME_SIZE)
  })

  it('rejects empty frames, truncated tags and tags over MAX_TAG', () => {
    expect(() => decodeFrame(new Uint8Array(0))).toThrow(expect.objectContaining({ name: 'InvalidMessageError' }))
    expect(() => decodeFrame(new Uint8Array([0x80]))).toThrow(/truncated/)
    expect(() => decodeFrame(new Uint8Array([0x80, 0x80, 0x04]))).toThrow(/frame tag is 65536, over the limit of 65535/)
  })

  it('refuses to encode a tag that is not an integer from 0 to MAX_TAG', () => {
    for (const tag of [-1, 1.5, MAX_TAG + 1, Number.NaN]) {
      expect(() => encodeFrame(tag, new Uint8Array(0))).toThrow(expect.objectContaining({ name: 'InvalidMessageError' }))
    }
  })

  it("decodes y-webrtc's own sync messages as frames of tag 0 whose payload y-protocols reads", () => {
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'hello')
    // Exactly what y-webrtc's WebrtcConn sends: varUint messageSync, then y-protocols sync.
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, 0)
    syncProtocol.writeSyncStep2(encoder, doc)
    const frame = decodeFrame(encoding.toUint8Array(encoder))
    expect(frame.tag).toBe(Tag.Sync)
    const other = new Y.Doc()
    syncProtocol.readSyncMessage(decoding.createDecoder(frame.payload), encoding.createEncoder(), other, null)
    expect(other.getText('t').toString()).toBe('hello')
  })
})

describe('peer ids', () => {
  it('accepts ymesh (base64url Ed25519) and y-webrtc (uuid) ids', () => {
    expect(isValidPeerIdString('11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo')).toBe(true)
    expect(isValidPeerIdString('3b241101-e2bb-4255-8caf-4136c566a962')).toBe(true)
    expect(isValidPeerIdString('a'.repeat(64))).toBe(true)
  })

  it('rejects empty, too long, wrong characters and non-strings', () => {
    for (const bad of ['', 'a'.repeat(65), 'has space', 'a/b', 'a+b', 'ä', 'a\n', 42, null, undefined]) {
      expect(isValidPeerIdString(bad)).toBe(false)
    }
    expect(() => toPeerId('bad id')).toThrow(/peer id "bad id" is not a valid peer id: use 1–64 characters/)
    expect(() => toPeerId(7 as unknown as string)).toThrow(/peer id number is not a valid peer id/)
  })

  it('round-trips on the wire and refuses bad ids both ways', () => {
    const id = toPeerId('peer-A_1')
    const bytes = encoding.encode((e) => writePeerId(e, id))
    expect(readPeerId(decoding.createDecoder(bytes))).toBe(id)
    expect(() => encoding.encode((e) => writePeerId(e, 'x y' as ReturnType<typeof toPeerId>))).toThrow(/not a valid peer id/)
    const wrong = encoding.encode((e) => encoding.writeVarString(e, 'x y'))
    expect(() => readPeerId(decoding.createDecoder(wrong), 'source')).toThrow(/source "x y" is not a valid peer id/)
    const long = encoding.encode((e) => encoding.writeVarString(e, 'a'.repeat(65)))
    expect(() => readPeerId(decoding.createDecoder(long))).toThrow(/peer id length is 65, over the limit of 64/)
  })
})
