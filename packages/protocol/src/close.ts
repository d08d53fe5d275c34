/**
 * Closing a connection in order. The side that closes says so ('bye') and stops sending; the
 * other side stops sending too and answers ('bye-ack') as its last frame; only then does either
 * close the data channel. Nothing is in flight in either direction when the channel goes,
 * which some WebRTC stacks need (see @ymesh/core's WebRtcLink: @roamhq/wrtc crashes when a
 * channel closes under a send). A peer that does not know the tag ignores it, and the closer
 * closes after a grace period, as without it.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { InvalidMessageError } from './errors.js'
import { decodeAll, readBoundedVarUint } from './safe-decoding.js'

/** 'bye': the sender is closing and sends nothing more. 'bye-ack': the answer, the sender's last frame. */
export type CloseKind = 'bye' | 'bye-ack'

export interface Close {
  readonly kind: CloseKind
  /**
   * On a 'bye': the sender is leaving (stopping), not only closing this connection, so its
   * neighbours may drop it from what they know of the mesh at once. Sent as a trailing
   * `flags:varUint` (bit 0); a 'bye' without it says nothing either way.
   */
  readonly leaving?: boolean
}

/** Flag bits after a 'bye'. */
const LEAVING = 1
const MAX_FLAGS = 0xff

const KINDS: readonly CloseKind[] = ['bye', 'bye-ack']

export const writeClose = (encoder: encoding.Encoder, close: Close): void => {
  const code = KINDS.indexOf(close.kind)
  if (code < 0) throw new InvalidMessageError(`cannot encode close kind ${String(close.kind)}: use 'bye' or 'bye-ack'`)
  encoding.writeVarUint(encoder, code)
  if (close.leaving === true) {
    if (close.kind !== 'bye') throw new InvalidMessageError('only a bye can say the sender is leaving')
    encoding.writeVarUint(encoder, LEAVING)
  }
}

export const readClose = (decoder: decoding.Decoder): Close => {
  const kind = KINDS[readBoundedVarUint(decoder, KINDS.length - 1, 'close kind')] as CloseKind
  if (decoding.hasContent(decoder) && kind === 'bye') {
    // Unknown bits are for later additions: ignored.
    const flags = readBoundedVarUint(decoder, MAX_FLAGS, 'close flags')
    return { kind, leaving: (flags & LEAVING) !== 0 }
  }
  return { kind }
}

/** Payload of a 'close' frame. */
export const encodeClose = (close: Close): Uint8Array => encoding.encode((encoder) => writeClose(encoder, close))

export const decodeClose = (payload: Uint8Array): Close => decodeAll(payload, 'close', readClose)
