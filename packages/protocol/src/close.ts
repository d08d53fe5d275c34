/**
 * Closing a connection in order. The side that closes says so ('bye') and stops sending; the
 * other side stops sending too and answers ('bye-ack') as its last frame; only then does either
 * close the data channel. Nothing is in flight in either direction when the channel goes,
 * which some WebRTC stacks need (see @ymesh/core's WebRtcLink: @roamhq/wrtc crashes when a
 * channel closes under a send). A peer that does not know the tag ignores it, and the closer
 * closes after a grace period, as without it.
 */
import type * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { InvalidMessageError } from './errors.js'
import { decodeAll, readBoundedVarUint } from './safe-decoding.js'

/** 'bye': the sender is closing and sends nothing more. 'bye-ack': the answer, the sender's last frame. */
export type CloseKind = 'bye' | 'bye-ack'

export interface Close {
  readonly kind: CloseKind
}

const KINDS: readonly CloseKind[] = ['bye', 'bye-ack']

export const writeClose = (encoder: encoding.Encoder, close: Close): void => {
  const code = KINDS.indexOf(close.kind)
  if (code < 0) throw new InvalidMessageError(`cannot encode close kind ${String(close.kind)}: use 'bye' or 'bye-ack'`)
  encoding.writeVarUint(encoder, code)
}

export const readClose = (decoder: decoding.Decoder): Close =>
  ({ kind: KINDS[readBoundedVarUint(decoder, KINDS.length - 1, 'close kind')] as CloseKind })

/** Payload of a 'close' frame. */
export const encodeClose = (close: Close): Uint8Array => encoding.encode((encoder) => writeClose(encoder, close))

export const decodeClose = (payload: Uint8Array): Close => decodeAll(payload, 'close', readClose)
