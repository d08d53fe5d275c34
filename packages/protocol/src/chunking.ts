/**
 * Messages larger than one frame travel as 'chunk' frames and are reassembled on the other
 * side. Links are reliable and ordered, so the chunks of one message arrive in order; chunks
 * of different messages may interleave (a sender may slip small messages between the chunks
 * of a large one). One Chunker and one Reassembler per connection.
 *
 *   chunk = sequence:varUint index:varUint count:varUint data:varUint8Array
 *
 * The reassembled bytes are themselves a frame (tag + payload), never another chunk.
 */
import type * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { InvalidMessageError, MessageTooLargeError } from './errors.js'
import { decodeFrame, encodeFrame, type Frame } from './frame.js'
import {
  CHUNK_OVERHEAD_BYTES, MAX_CHUNK_COUNT, MAX_FRAME_SIZE, MAX_MESSAGE_SIZE, MAX_PARTIAL_MESSAGES,
  MAX_REASSEMBLY_BYTES, MAX_SEQUENCE
} from './limits.js'
import { decodeAll, readBoundedVarUint, readBoundedVarUint8Array } from './safe-decoding.js'
import { Tag } from './tags.js'

export interface Chunk {
  /** Which message, per sending connection; wraps to 0 after MAX_SEQUENCE. */
  readonly sequence: number
  /** Position of this chunk, 0 to count − 1. */
  readonly index: number
  /** Chunks in the message, 1 to MAX_CHUNK_COUNT; the same in every chunk of it. */
  readonly count: number
  readonly data: Uint8Array
}

const varUintSize = (value: number): number => {
  let size = 1
  while (value > 0x7f) {
    value = Math.floor(value / 128)
    size++
  }
  return size
}

const checkChunk = (chunk: Chunk): void => {
  const ok = Number.isInteger(chunk.sequence) && chunk.sequence >= 0 && chunk.sequence <= MAX_SEQUENCE &&
    Number.isInteger(chunk.count) && chunk.count >= 1 && chunk.count <= MAX_CHUNK_COUNT &&
    Number.isInteger(chunk.index) && chunk.index >= 0 && chunk.index < chunk.count &&
    chunk.data instanceof Uint8Array && chunk.data.length <= MAX_FRAME_SIZE
  if (!ok) {
    throw new InvalidMessageError(`cannot encode chunk: sequence 0–${MAX_SEQUENCE}, count 1–${MAX_CHUNK_COUNT}, ` +
      `index below count, data at most ${MAX_FRAME_SIZE} bytes`)
  }
}

export const writeChunk = (encoder: encoding.Encoder, chunk: Chunk): void => {
  checkChunk(chunk)
  encoding.writeVarUint(encoder, chunk.sequence)
  encoding.writeVarUint(encoder, chunk.index)
  encoding.writeVarUint(encoder, chunk.count)
  encoding.writeVarUint8Array(encoder, chunk.data)
}

export const readChunk = (decoder: decoding.Decoder): Chunk => {
  const sequence = readBoundedVarUint(decoder, MAX_SEQUENCE, 'chunk sequence')
  const index = readBoundedVarUint(decoder, MAX_CHUNK_COUNT - 1, 'chunk index')
  const count = readBoundedVarUint(decoder, MAX_CHUNK_COUNT, 'chunk count')
  if (index >= count) {
    throw new InvalidMessageError(`chunk index ${index} is out of range for a message of ${count} chunks`)
  }
  const data = readBoundedVarUint8Array(decoder, MAX_FRAME_SIZE, 'chunk data')
  return { sequence, index, count, data }
}

/** Payload of a 'chunk' frame. */
export const encodeChunk = (chunk: Chunk): Uint8Array => encoding.encode((encoder) => writeChunk(encoder, chunk))

/** Decode the payload of a 'chunk' frame; `data` is a view into `payload`. */
export const decodeChunk = (payload: Uint8Array): Chunk => decodeAll(payload, 'chunk', readChunk)

export interface ChunkerOptions {
  /** Largest frame produced, 64 to MAX_FRAME_SIZE (the default). */
  readonly maxFrameSize?: number
  /** Largest message accepted for chunking, default MAX_MESSAGE_SIZE. */
  readonly maxMessageSize?: number
}

/** Splits outgoing messages into frames for one connection, numbering chunked messages in turn. */
export class Chunker {
  readonly maxFrameSize: number
  readonly maxMessageSize: number
  /** Bytes of message data in each chunk: the frame size less the largest possible header. */
  readonly chunkDataSize: number
  private nextSequence = 0

  constructor (options: ChunkerOptions = {}) {
    this.maxFrameSize = options.maxFrameSize ?? MAX_FRAME_SIZE
    this.maxMessageSize = options.maxMessageSize ?? MAX_MESSAGE_SIZE
    if (!Number.isInteger(this.maxFrameSize) || this.maxFrameSize < 64 || this.maxFrameSize > MAX_FRAME_SIZE) {
      throw new InvalidMessageError(`Chunker maxFrameSize must be an integer from 64 to ${MAX_FRAME_SIZE}, not ${this.maxFrameSize}`)
    }
    if (!Number.isInteger(this.maxMessageSize) || this.maxMessageSize < 1 || this.maxMessageSize > MAX_MESSAGE_SIZE) {
      throw new InvalidMessageError(`Chunker maxMessageSize must be an integer from 1 to ${MAX_MESSAGE_SIZE}, not ${this.maxMessageSize}`)
    }
    const header = varUintSize(Tag.Chunk) + varUintSize(MAX_SEQUENCE) + 2 * varUintSize(MAX_CHUNK_COUNT) + varUintSize(this.maxFrameSize)
    this.chunkDataSize = this.maxFrameSize - header
  }

  /**
   * The frames to send for one message, in order: the plain frame when it fits in one, else
   * its chunks. MessageTooLargeError above maxMessageSize or MAX_CHUNK_COUNT chunks.
   */
  encode (tag: number, payload: Uint8Array): Uint8Array[] {
    if (tag === Tag.Chunk) {
      throw new InvalidMessageError('cannot chunk a \'chunk\' frame: chunks never nest; pass the original message to encode()')
    }
    const message = encodeFrame(tag, payload, { maxSize: this.maxMessageSize })
    if (message.length <= this.maxFrameSize) return [message]
    const count = Math.ceil(message.length / this.chunkDataSize)
    if (count > MAX_CHUNK_COUNT) {
      throw new MessageTooLargeError('message', message.length, MAX_CHUNK_COUNT * this.chunkDataSize,
        `it needs ${count} chunks of ${this.chunkDataSize} bytes, over MAX_CHUNK_COUNT (${MAX_CHUNK_COUNT}); use larger frames or send less at once`)
    }
    const sequence = this.nextSequence
    this.nextSequence = sequence === MAX_SEQUENCE ? 0 : sequence + 1
    const frames: Uint8Array[] = []
    for (let index = 0; index < count; index++) {
      const data = message.subarray(index * this.chunkDataSize, (index + 1) * this.chunkDataSize)
      frames.push(encoding.encode((encoder) => {
        encoding.writeVarUint(encoder, Tag.Chunk)
        writeChunk(encoder, { sequence, index, count, data })
      }))
    }
    return frames
  }
}

export interface ReassemblerOptions {
  /** Largest reassembled message, default MAX_MESSAGE_SIZE. */
  readonly maxMessageSize?: number
  /** Cap on bytes held by partial messages (data + CHUNK_OVERHEAD_BYTES per chunk), default MAX_REASSEMBLY_BYTES. */
  readonly maxBufferedBytes?: number
  /** Cap on messages being reassembled at once, default MAX_PARTIAL_MESSAGES. */
  readonly maxPartialMessages?: number
}

interface Partial {
  readonly count: number
  readonly chunks: Uint8Array[]
  size: number
  charged: number
}

/**
 * Reassembles the chunked messages of one connection within fixed memory. Any violation
 * throws a named error and drops that message's partial state; other messages in flight are
 * kept. No timers here: whoever owns the connection calls clear() when it closes.
 */
export class Reassembler {
  readonly maxMessageSize: number
  readonly maxBufferedBytes: number
  readonly maxPartialMessages: number
  private readonly partials = new Map<number, Partial>()
  private buffered = 0

  constructor (options: ReassemblerOptions = {}) {
    this.maxMessageSize = options.maxMessageSize ?? MAX_MESSAGE_SIZE
    this.maxBufferedBytes = options.maxBufferedBytes ?? MAX_REASSEMBLY_BYTES
    this.maxPartialMessages = options.maxPartialMessages ?? MAX_PARTIAL_MESSAGES
  }

  /** Bytes charged by partial messages now (never above maxBufferedBytes). */
  get bufferedBytes (): number {
    return this.buffered
  }

  /** Messages partly received now (never above maxPartialMessages). */
  get partialMessages (): number {
    return this.partials.size
  }

  /**
   * Take the payload of one 'chunk' frame. Returns the message's frame once its last chunk
   * is in, null before.
   */
  receive (payload: Uint8Array): Frame | null {
    const chunk = decodeChunk(payload)
    const { sequence, index, count, data } = chunk
    let partial = this.partials.get(sequence)
    if (partial === undefined) {
      if (index !== 0) {
        throw new InvalidMessageError(`chunk ${index} of message ${sequence} arrived before its chunk 0; ` +
          'chunks of a message must be sent in order, drop the connection')
      }
      if (this.partials.size >= this.maxPartialMessages) {
        throw new InvalidMessageError(`more than ${this.maxPartialMessages} chunked messages in flight at once on one connection; ` +
          'the sender must finish a message before starting more')
      }
      partial = { count, chunks: [], size: 0, charged: 0 }
    } else if (count !== partial.count) {
      this.drop(sequence)
      throw new InvalidMessageError(`chunk ${index} of message ${sequence} says ${count} chunks, earlier chunks said ${partial.count}`)
    } else if (index !== partial.chunks.length) {
      this.drop(sequence)
      const problem = index < partial.chunks.length ? 'is a duplicate' : `skips chunk ${partial.chunks.length}`
      throw new InvalidMessageError(`chunk ${index} of message ${sequence} ${problem}; chunks of a message arrive in order exactly once`)
    }
    const size = partial.size + data.length
    if (size > this.maxMessageSize) {
      this.drop(sequence)
      throw new MessageTooLargeError(`chunked message ${sequence}`, size, this.maxMessageSize, 'the message was dropped')
    }
    if (index === count - 1) {
      this.drop(sequence)
      return this.assemble(partial, data, size)
    }
    const charge = data.length + CHUNK_OVERHEAD_BYTES
    if (this.buffered + charge > this.maxBufferedBytes) {
      this.drop(sequence)
      throw new MessageTooLargeError('partial chunked messages on this connection', this.buffered + charge,
        this.maxBufferedBytes, `message ${sequence} was dropped`)
    }
    // Copy: `data` is a view into the received frame, which must not be kept alive.
    partial.chunks.push(data.slice())
    partial.size = size
    partial.charged += charge
    this.buffered += charge
    this.partials.set(sequence, partial)
    return null
  }

  /** Forget every partial message (when the connection closes). */
  clear (): void {
    this.partials.clear()
    this.buffered = 0
  }

  private drop (sequence: number): void {
    const partial = this.partials.get(sequence)
    if (partial === undefined) return
    this.buffered -= partial.charged
    this.partials.delete(sequence)
  }

  private assemble (partial: Partial, last: Uint8Array, size: number): Frame {
    const message = new Uint8Array(size)
    let offset = 0
    for (const chunk of partial.chunks) {
      message.set(chunk, offset)
      offset += chunk.length
    }
    message.set(last, offset)
    const frame = decodeFrame(message, { maxSize: this.maxMessageSize })
    if (frame.tag === Tag.Chunk) {
      throw new InvalidMessageError('a chunked message contains another chunk; chunks never nest')
    }
    return frame
  }
}
