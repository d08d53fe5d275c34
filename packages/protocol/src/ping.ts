/**
 * RTT probes. A ping carries a sequence number; the pong echoes it. The pinger keeps its own
 * send times, so nothing the remote says about time is trusted.
 */
import type * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { InvalidMessageError } from './errors.js'
import { MAX_SEQUENCE } from './limits.js'
import { decodeAll, readBoundedVarUint } from './safe-decoding.js'

export interface Ping {
  readonly sequence: number
}

/** Same shape as Ping: the echoed sequence number. */
export type Pong = Ping

const checkSequence = (sequence: number): void => {
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > MAX_SEQUENCE) {
    throw new InvalidMessageError(`cannot encode sequence ${sequence}: use an integer from 0 to ${MAX_SEQUENCE}`)
  }
}

export const writePing = (encoder: encoding.Encoder, ping: Ping): void => {
  checkSequence(ping.sequence)
  encoding.writeVarUint(encoder, ping.sequence)
}

export const readPing = (decoder: decoding.Decoder): Ping =>
  ({ sequence: readBoundedVarUint(decoder, MAX_SEQUENCE, 'ping sequence') })

/** Payload of a 'ping' or 'pong' frame (the grammar is the same; the tag tells them apart). */
export const encodePing = (ping: Ping): Uint8Array => encoding.encode((encoder) => writePing(encoder, ping))

export const decodePing = (payload: Uint8Array): Ping => decodeAll(payload, 'ping', readPing)

export const encodePong = encodePing

export const decodePong = (payload: Uint8Array): Pong => decodeAll(payload, 'pong', readPing)
