/** Message ids on 'payload' topics: derived from what the message says, not chosen by its sender. */
import { digest } from 'lib0/hash/sha256'
import * as encoding from 'lib0/encoding'
import { MESSAGE_ID_SIZE } from '@ymesh/protocol'

const PAYLOAD_ID_DOMAIN = 'ymesh/gossip-payload-id/v1'

/**
 * The id of a message on a 'payload' topic: a digest of what it says, so a forger cannot
 * claim a genuine message's id for other bytes (and the same update reaching us twice, by
 * gossip and by anti-entropy, has one id).
 */
export const payloadMessageId = (topic: string, payloadType: number, payload: Uint8Array): Uint8Array =>
  digest(encoding.encode((encoder) => {
    encoding.writeVarString(encoder, PAYLOAD_ID_DOMAIN)
    encoding.writeVarString(encoder, topic)
    encoding.writeVarUint(encoder, payloadType)
    encoding.writeVarUint8Array(encoder, payload)
  })).slice(0, MESSAGE_ID_SIZE)

export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])

