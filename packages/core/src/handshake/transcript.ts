/**
 * What each side of a handshake signs. Both sides build the same bytes from their own view
 * of the link, in initiator/responder order, so the two signatures cover the same facts:
 * the negotiated version and both version lists, both peer ids, both nonces, and both DTLS
 * certificate fingerprints as each side saw them in the session descriptions. Someone who
 * swaps descriptions in transit (to sit in the middle of DTLS) makes the two views differ,
 * and the signature made over one view fails to verify over the other.
 */
import * as encoding from 'lib0/encoding'
import type { PeerId } from '@ymesh/protocol'

export const HANDSHAKE_SIGNING_DOMAIN = 'ymesh/handshake/v1'

export interface TranscriptSide {
  readonly peerId: PeerId
  readonly nonce: Uint8Array
  readonly versions: readonly number[]
  /** DTLS fingerprint of this side's certificate, as the viewer saw it ('' if unknown). */
  readonly fingerprint: string
}

export interface Transcript {
  readonly version: number
  readonly initiator: TranscriptSide
  readonly responder: TranscriptSide
  /** Whose signature this transcript is for: a proof can never be reflected to the other role. */
  readonly signer: 'initiator' | 'responder'
}

const writeSide = (encoder: encoding.Encoder, side: TranscriptSide): void => {
  encoding.writeVarString(encoder, side.peerId)
  encoding.writeVarUint8Array(encoder, side.nonce)
  encoding.writeVarUint(encoder, side.versions.length)
  for (const v of side.versions) encoding.writeVarUint(encoder, v)
  encoding.writeVarString(encoder, side.fingerprint)
}

export const encodeTranscript = (transcript: Transcript): Uint8Array => encoding.encode((encoder) => {
  encoding.writeVarUint(encoder, transcript.version)
  encoding.writeVarUint(encoder, transcript.signer === 'initiator' ? 0 : 1)
  writeSide(encoder, transcript.initiator)
  writeSide(encoder, transcript.responder)
})
