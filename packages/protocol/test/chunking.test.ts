import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import {
  CHUNK_OVERHEAD_BYTES, Chunker, decodeChunk, decodeFrame, encodeChunk, encodeFrame, MAX_CHUNK_COUNT, MAX_FRAME_SIZE,
  MAX_MESSAGE_SIZE, MAX_PARTIAL_MESSAGES, MAX_SEQUENCE, Reassembler, Tag, type Frame
} from '@ymesh/protocol'

const pattern = (length: number, seed = 1): Uint8Array => new Uint8Array(length).map((_, i) => (i * 31 + seed) & 0xff)

/** Feed frames as a receiver would: plain frames pass through, chunk frames go to the reassembler. */
const receiveAll = (reassembler: Reassembler, frames: Uint8Array[]): Frame[] => {
  const out: Frame[] = []
  for (const bytes of frames) {
    const frame = decodeFrame(bytes)
    if (frame.tag !== Tag.Chunk) { out.push(frame); continue }
    const message = reassembler.receive(frame.payload)
    if (message !== null) out.push(message)
  }
  return out
}

const chunkPayload = (sequence: number, index: number, count: number, data: Uint8Array): Uint8Array =>
  encodeChunk({ sequence, index, count, data })

describe('chunk payload', () => {
  it('round-trips', () => {
    const chunk = { sequence: MAX_SEQUENCE, index: 2, count: 3, data: pattern(10) }
    const decoded = decodeChunk(encodeChunk(chunk))
    expect({ ...decoded, data: [...decoded.data] }).toEqual({ ...chunk, data: [...chunk.data] })
  })

  it('refuses to encode an inconsistent chunk', () => {
    for (const chunk of [
      { sequence: -1, index: 0, count: 1 }, { sequence: MAX_SEQUENCE + 1, index: 0, count: 1 },
      { sequence: 0, index: 1, count: 1 }, { sequence: 0, index: 0, count: 0 },
      { sequence: 0, index: 0, count: MAX_CHUNK_COUNT + 1 }, { sequence: 0, index: 0.5, count: 2 }
    ]) {
      expect(() => encodeChunk({ ...chunk, data: pattern(1) }), JSON.stringify(chunk)).toThrow(/cannot encode chunk/)
    }
    expect(() => encodeChunk({ sequence: 0, index: 0, count: 1, data: pattern(MAX_FRAME_SIZE + 1) })).toThrow(/cannot encode chunk/)
  })

  it('rejects out-of-range index, bad count and oversized data', () => {
    const raw = (...values: number[]): Uint8Array => encoding.encode((e) => values.forEach((v) => encoding.writeVarUint(e, v)))
    expect(() => decodeChunk(raw(0, 3, 3, 0))).toThrow(/chunk index 3 is out of range for a message of 3 chunks/)
    expect(() => decodeChunk(raw(0, MAX_CHUNK_COUNT, MAX_CHUNK_COUNT, 0))).toThrow(/chunk index is 1024, over the limit of 1023/)
    expect(() => decodeChunk(raw(0, 0, MAX_CHUNK_COUNT + 1, 0))).toThrow(/chunk count is 1025/)
    expect(() => decodeChunk(raw(0, 0, 0, 0))).toThrow(/out of range/)
    expect(() => decodeChunk(raw(0, 0, 1, MAX_FRAME_SIZE + 1))).toThrow(/chunk data length is 16385/)
    expect(() => decodeChunk(raw(MAX_SEQUENCE + 1, 0, 1, 0))).toThrow(/chunk sequence/)
  })
})

describe('Chunker', () => {
  it('sends a message that fits as one plain frame', () => {
    const frames = new Chunker().encode(Tag.Envelope, pattern(100))
    expect(frames).toHaveLength(1)
    expect(decodeFrame(frames[0]!).tag).toBe(Tag.Envelope)
  })

  it('splits larger messages into chunk frames that each fit MAX_FRAME_SIZE, and they reassemble exactly', () => {
    for (const size of [MAX_FRAME_SIZE, MAX_FRAME_SIZE * 3, 1024 * 1024 + 7]) {
      const payload = pattern(size, size)
      const frames = new Chunker().encode(Tag.DocSync, payload)
      expect(frames.length).toBeGreaterThan(1)
      for (const frame of frames) expect(frame.length).toBeLessThanOrEqual(MAX_FRAME_SIZE)
      const [message] = receiveAll(new Reassembler(), frames)
      expect(message?.tag).toBe(Tag.DocSync)
      expect(Buffer.from(message!.payload).equals(Buffer.from(payload))).toBe(true)
    }
  })

  it('handles the largest message, and refuses one byte more', () => {
    const chunker = new Chunker()
    const largest = pattern(MAX_MESSAGE_SIZE - 1) // + 1 tag byte = MAX_MESSAGE_SIZE
    const frames = chunker.encode(Tag.FileChunk, largest)
    expect(frames.length).toBeLessThanOrEqual(MAX_CHUNK_COUNT)
    expect(receiveAll(new Reassembler(), frames)[0]?.payload.length).toBe(largest.length)
    expect(() => chunker.encode(Tag.FileChunk, pattern(MAX_MESSAGE_SIZE))).toThrow(expect.objectContaining({ name: 'MessageTooLargeError' }))
  })

  it('numbers chunked messages in turn and wraps after MAX_SEQUENCE', () => {
    const chunker = new Chunker({ maxFrameSize: 64 })
    const sequenceOf = (frames: Uint8Array[]): number => decodeChunk(decodeFrame(frames[0]!).payload).sequence
    expect(sequenceOf(chunker.encode(Tag.DocSync, pattern(100)))).toBe(0)
    expect(chunker.encode(Tag.DocSync, pattern(10))).toHaveLength(1) // plain frames take no number
    expect(sequenceOf(chunker.encode(Tag.DocSync, pattern(100)))).toBe(1);
    (chunker as unknown as { nextSequence: number }).nextSequence = MAX_SEQUENCE // reaching it by 2^32 sends would take hours
    expect(sequenceOf(chunker.encode(Tag.DocSync, pattern(100)))).toBe(MAX_SEQUENCE)
    expect(sequenceOf(chunker.encode(Tag.DocSync, pattern(100)))).toBe(0)
  })

  it('refuses a message that would need more than MAX_CHUNK_COUNT chunks', () => {
    const chunker = new Chunker({ maxFrameSize: 64 })
    expect(() => chunker.encode(Tag.DocSync, pattern(chunker.chunkDataSize * MAX_CHUNK_COUNT + 1))).toThrow(/over MAX_CHUNK_COUNT/)
  })

  it('refuses to chunk a chunk', () => {
    expect(() => new Chunker().encode(Tag.Chunk, pattern(10))).toThrow(/chunks never nest/)
  })

  it('validates its options', () => {
    expect(() => new Chunker({ maxFrameSize: 63 })).toThrow(/maxFrameSize must be an integer from 64/)
    expect(() => new Chunker({ maxFrameSize: MAX_FRAME_SIZE + 1 })).toThrow(/maxFrameSize/)
    expect(() => new Chunker({ maxMessageSize: 0 })).toThrow(/maxMessageSize must be an integer from 1/)
    expect(() => new Chunker({ maxMessageSize: MAX_MESSAGE_SIZE + 1 })).toThrow(/maxMessageSize/)
  })
})

describe('Reassembler', () => {
  it('reassembles interleaved messages and passes plain frames through', () => {
    const chunker = new Chunker({ maxFrameSize: 64 })
    const a = chunker.encode(Tag.DocSync, pattern(300, 1))
    const b = chunker.encode(Tag.FileChunk, pattern(200, 2))
    const small = chunker.encode(Tag.Capability, pattern(5, 3))
    const interleaved: Uint8Array[] = []
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i]) interleaved.push(a[i]!)
      if (i === 1) interleaved.push(...small)
      if (b[i]) interleaved.push(b[i]!)
    }
    const reassembler = new Reassembler()
    const out = receiveAll(reassembler, interleaved)
    expect(out.map((f) => [f.tag, f.payload.length])).toEqual([[Tag.Capability, 5], [Tag.FileChunk, 200], [Tag.DocSync, 300]])
    expect(reassembler.partialMessages).toBe(0)
    expect(reassembler.bufferedBytes).toBe(0)
  })

  it('accepts a message of a single chunk', () => {
    const frame = new Reassembler().receive(chunkPayload(0, 0, 1, encodeFrame(Tag.Capability, pattern(3))))
    expect(frame?.tag).toBe(Tag.Capability)
  })

  it('copies chunk data, so the received frames can be reused', () => {
    const reassembler = new Reassembler()
    const first = chunkPayload(0, 0, 2, encodeFrame(Tag.DocSync, pattern(4)))
    expect(reassembler.receive(first)).toBeNull()
    first.fill(0xff)
    expect([...reassembler.receive(chunkPayload(0, 1, 2, pattern(2)))!.payload]).toEqual([...pattern(4), ...pattern(2)])
  })

  const expectDropped = (reassembler: Reassembler, payload: Uint8Array, name: string, message: RegExp): void => {
    expect(() => reassembler.receive(payload)).toThrow(expect.objectContaining({ name, message: expect.stringMatching(message) }))
  }

  it('rejects a message that starts after chunk 0', () => {
    expectDropped(new Reassembler(), chunkPayload(4, 1, 3, pattern(5)), 'InvalidMessageError', /chunk 1 of message 4 arrived before its chunk 0/)
  })

  it('drops the partial message on an inconsistent count, a duplicate or a skipped chunk, keeping the others', () => {
    const cases: [Uint8Array, RegExp][] = [
      [chunkPayload(7, 1, 4, pattern(5)), /says 4 chunks, earlier chunks said 3/],
      [chunkPayload(7, 0, 3, pattern(5)), /chunk 0 of message 7 is a duplicate/],
      [chunkPayload(7, 2, 3, pattern(5)), /chunk 2 of message 7 skips chunk 1/]
    ]
    for (const [bad, message] of cases) {
      const reassembler = new Reassembler()
      reassembler.receive(chunkPayload(8, 0, 2, encodeFrame(Tag.DocSync, pattern(3))))
      reassembler.receive(chunkPayload(7, 0, 3, encodeFrame(Tag.DocSync, pattern(5))))
      expect(reassembler.partialMessages).toBe(2)
      expectDropped(reassembler, bad, 'InvalidMessageError', message)
      expect(reassembler.partialMessages).toBe(1)
      expect(reassembler.bufferedBytes).toBe(4 + CHUNK_OVERHEAD_BYTES)
      // The dropped message's later chunks are now orphans; the other message still completes.
      expectDropped(reassembler, chunkPayload(7, 1, 3, pattern(5)), 'InvalidMessageError', /before its chunk 0/)
      expect(reassembler.receive(chunkPayload(8, 1, 2, pattern(1)))?.payload.length).toBe(4)
    }
  })

  it('drops a message growing over maxMessageSize', () => {
    const reassembler = new Reassembler({ maxMessageSize: 100 })
    reassembler.receive(chunkPayload(1, 0, 3, pattern(60)))
    expectDropped(reassembler, chunkPayload(1, 1, 3, pattern(41)), 'MessageTooLargeError', /chunked message 1 is 101 bytes, over the limit of 100/)
    expect(reassembler.partialMessages).toBe(0)
    expect(reassembler.bufferedBytes).toBe(0)
  })

  it('caps the memory held by partial messages per connection, counting per-chunk overhead', () => {
    const reassembler = new Reassembler({ maxBufferedBytes: 1000 })
    reassembler.receive(chunkPayload(1, 0, 100, pattern(500)))
    expect(reassembler.bufferedBytes).toBe(500 + CHUNK_OVERHEAD_BYTES)
    // 1-byte chunks cost 65 bytes each: the cap binds long before 1000 of them.
    let accepted = 0
    expect(() => {
      for (let i = 0; i < 1000; i++) { reassembler.receive(chunkPayload(2, i, 1000, pattern(1))); accepted++ }
    }).toThrow(expect.objectContaining({ name: 'MessageTooLargeError', message: expect.stringMatching(/partial chunked messages on this connection/) }))
    expect(accepted).toBe(Math.floor((1000 - 500 - CHUNK_OVERHEAD_BYTES) / (1 + CHUNK_OVERHEAD_BYTES)))
    expect(reassembler.bufferedBytes).toBeLessThanOrEqual(1000)
    expect(reassembler.partialMessages).toBe(1) // message 2 was dropped, message 1 kept
  })

  it(`caps concurrent partial messages at MAX_PARTIAL_MESSAGES (${MAX_PARTIAL_MESSAGES})`, () => {
    const reassembler = new Reassembler()
    for (let s = 0; s < MAX_PARTIAL_MESSAGES; s++) reassembler.receive(chunkPayload(s, 0, 2, pattern(1)))
    expectDropped(reassembler, chunkPayload(99, 0, 2, pattern(1)), 'InvalidMessageError', /more than 8 chunked messages in flight/)
    expect(reassembler.partialMessages).toBe(MAX_PARTIAL_MESSAGES)
  })

  it('rejects a reassembled message that is itself a chunk, or not a frame', () => {
    const nested = encodeFrame(Tag.Chunk, chunkPayload(0, 0, 1, pattern(1)))
    expectDropped(new Reassembler(), chunkPayload(0, 0, 1, nested), 'InvalidMessageError', /chunks never nest/)
    expectDropped(new Reassembler(), chunkPayload(0, 0, 1, new Uint8Array(0)), 'InvalidMessageError', /truncated/)
  })

  it('clear() forgets every partial message', () => {
    const reassembler = new Reassembler()
    reassembler.receive(chunkPayload(0, 0, 2, pattern(10)))
    reassembler.clear()
    expect(reassembler.partialMessages).toBe(0)
    expect(reassembler.bufferedBytes).toBe(0)
  })
})
