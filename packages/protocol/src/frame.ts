/**
 * A frame is one data-channel message: varUint tag, then the payload, whose grammar the tag
 * selects. y-webrtc's messages are frames of tags 0–4, so stock peers' bytes decode here too.
 */
import * as encoding from 'lib0/encoding'
import { InvalidMessageError, MessageTooLargeError } from './errors.js'
import { MAX_FRAME_SIZE, MAX_TAG } from './limits.js'
import { decodeAll, readBoundedVarUint } from './safe-decoding.js'

export interface Frame {
  readonly tag: number
  /** The rest of the frame: a view into the decoded bytes, not a copy. */
  readonly payload: Uint8Array
}

export interface FrameSizeOptions {
  /**
   * Largest frame accepted, default MAX_FRAME_SIZE. Raise it to LEGACY_MAX_FRAME_SIZE on a
   * link to a stock y-webrtc peer, or to MAX_MESSAGE_SIZE for a reassembled message.
   */
  readonly maxSize?: number
}

export const writeTag = (encoder: encoding.Encoder, tag: number): void => {
  if (!Number.isInteger(tag) || tag < 0 || tag > MAX_TAG) {
    throw new InvalidMessageError(`cannot encode tag ${tag}: tags are integers from 0 to ${MAX_TAG} (see tags.ts)`)
  }
  encoding.writeVarUint(encoder, tag)
}

/** Encode tag + payload as one frame; MessageTooLargeError if it would exceed maxSize. */
export const encodeFrame = (tag: number, payload: Uint8Array, options: FrameSizeOptions = {}): Uint8Array => {
  const maxSize = options.maxSize ?? MAX_FRAME_SIZE
  const encoder = encoding.createEncoder()
  writeTag(encoder, tag)
  encoding.writeUint8Array(encoder, payload)
  const size = encoding.length(encoder)
  if (size > maxSize) {
    throw new MessageTooLargeError('frame', size, maxSize)
  }
  return encoding.toUint8Array(encoder)
}

/** Decode one frame. The size check comes first, so an oversized frame costs nothing to reject. */
export const decodeFrame = (bytes: Uint8Array, options: FrameSizeOptions = {}): Frame => {
  const maxSize = options.maxSize ?? MAX_FRAME_SIZE
  if (bytes instanceof Uint8Array && bytes.length > maxSize) {
    throw new MessageTooLargeError('received frame', bytes.length, maxSize, 'the sender must chunk it; drop it')
  }
  return decodeAll(bytes, 'frame', (decoder) => {
    const tag = readBoundedVarUint(decoder, MAX_TAG, 'frame tag')
    const payload = decoder.arr.subarray(decoder.pos)
    decoder.pos = decoder.arr.length
    return { tag, payload }
  })
}
