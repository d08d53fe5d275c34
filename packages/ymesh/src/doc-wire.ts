/**
 * Documents multiplexed over one ymesh connection (tags doc-sync 11 and doc-awareness 12):
 *
 *   doc-sync      = docId:varString • message:byte[*]   -- @ymesh/sync message, types 0, 1, 2, 4
 *   doc-awareness = docId:varString • message:byte[*]   -- @ymesh/sync message, type 3
 *
 * Besides @ymesh/sync's messages (types 0–4), a doc-sync frame may carry the provider's own:
 *
 *   gossip-control     = 32 • ...                         -- doc-gossip.ts
 *   relayed-awareness  = 33 • update:varUint8Array         -- a stock y-webrtc peer's awareness
 *                                                            entries (y-protocols encoding), unsigned
 *
 * The document id comes first so a peer routes a frame without parsing the rest; the
 * message is @ymesh/sync's (it validates it). Frames over 16 KiB are chunked by the
 * connection.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { InvalidMessageError, readBoundedVarString, Tag } from '@ymesh/protocol'
import { MAX_DOC_ID_BYTES, SyncMessageType } from '@ymesh/sync'

export interface DocFrame {
  readonly docId: string
  /** A view into the frame: copy to keep. */
  readonly message: Uint8Array
}

export const encodeDocFrame = (docId: string, message: Uint8Array): Uint8Array =>
  encoding.encode((e) => {
    encoding.writeVarString(e, docId)
    encoding.writeUint8Array(e, message)
  })

export const decodeDocFrame = (payload: Uint8Array): DocFrame => {
  const d = decoding.createDecoder(payload)
  const docId = readBoundedVarString(d, MAX_DOC_ID_BYTES, 'docId')
  if (docId.length === 0) throw new InvalidMessageError('doc frame: empty docId')
  const message = payload.subarray(d.pos)
  if (message.length === 0) throw new InvalidMessageError('doc frame: no message')
  return { docId, message }
}

/** The tag a @ymesh/sync message travels under: awareness apart, so it can be prioritised or dropped first. */
export const tagOfSyncMessage = (message: Uint8Array): typeof Tag.DocSync | typeof Tag.DocAwareness =>
  message[0] === SyncMessageType.Awareness ? Tag.DocAwareness : Tag.DocSync

/** A stock y-webrtc peer's awareness entries, relayed unsigned between ymesh peers. */
export const RELAYED_AWARENESS_TYPE = 33

export const encodeRelayedAwareness = (update: Uint8Array): Uint8Array => encoding.encode((e) => {
  encoding.writeVarUint(e, RELAYED_AWARENESS_TYPE)
  encoding.writeVarUint8Array(e, update)
})

/** The awareness update inside a relayed-awareness message; throws InvalidMessageError. */
export const decodeRelayedAwareness = (message: Uint8Array): Uint8Array => {
  const d = decoding.createDecoder(message)
  if (decoding.readVarUint(d) !== RELAYED_AWARENESS_TYPE) throw new InvalidMessageError('not a relayed-awareness message')
  const update = decoding.readVarUint8Array(d)
  if (d.pos !== message.length) throw new InvalidMessageError('relayed-awareness: trailing bytes')
  return update
}
