/**
 * The sync grammar between replicas of one document (README.md, "Sync messages"): like
 * y-protocols' step1/step2, but what travels are the authors' signed updates, unchanged,
 * and the "state vector" is a log vector (next sequence number per signed clientID), which
 * also sees deletion-only updates that a Yjs state vector cannot.
 */
import type * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { InvalidMessageError, decodeAll, readBoundedVarUint, readBoundedVarUint8Array } from '@ymesh/protocol'
import {
  MAX_SAFE, MAX_UPDATE_BYTES, MAX_UPDATES_PER_RESPONSE, MAX_VECTOR_ENTRIES, SyncMessageType
} from './limits.js'

/** clientID → next sequence number expected (signed) or next clock (Yjs state vector). */
export type Vector = ReadonlyMap<number, number>

export type SyncMessage =
  | { readonly type: typeof SyncMessageType.SyncRequest, readonly logVector: Vector, readonly stateVector: Vector }
  | { readonly type: typeof SyncMessageType.SyncResponse, readonly updates: readonly Uint8Array[], readonly unsigned: readonly Uint8Array[] }
  | { readonly type: typeof SyncMessageType.Update, readonly update: Uint8Array }
  | { readonly type: typeof SyncMessageType.Awareness, readonly entry: Uint8Array }
  | { readonly type: typeof SyncMessageType.UnsignedUpdate, readonly update: Uint8Array }

const writeVector = (encoder: encoding.Encoder, vector: Vector): void => {
  encoding.writeVarUint(encoder, vector.size)
  for (const [client, n] of vector) {
    encoding.writeVarUint(encoder, client)
    encoding.writeVarUint(encoder, n)
  }
}

const readVector = (decoder: decoding.Decoder, what: string): Map<number, number> => {
  const count = readBoundedVarUint(decoder, MAX_VECTOR_ENTRIES, `${what} entry count`)
  const vector = new Map<number, number>()
  for (let i = 0; i < count; i++) {
    const client = readBoundedVarUint(decoder, MAX_SAFE, `${what} clientID`)
    const n = readBoundedVarUint(decoder, MAX_SAFE, `${what} value`)
    if (vector.has(client)) throw new InvalidMessageError(`${what} lists clientID ${client} twice`)
    vector.set(client, n)
  }
  return vector
}

const writeList = (encoder: encoding.Encoder, list: readonly Uint8Array[]): void => {
  encoding.writeVarUint(encoder, list.length)
  for (const u of list) encoding.writeVarUint8Array(encoder, u)
}

const readList = (decoder: decoding.Decoder, what: string): Uint8Array[] => {
  const count = readBoundedVarUint(decoder, MAX_UPDATES_PER_RESPONSE, `${what} count`)
  const list: Uint8Array[] = []
  for (let i = 0; i < count; i++) list.push(readBoundedVarUint8Array(decoder, MAX_UPDATE_BYTES + 1024, what))
  return list
}

export const encodeSyncMessage = (message: SyncMessage): Uint8Array => encoding.encode((encoder) => {
  encoding.writeVarUint(encoder, message.type)
  switch (message.type) {
    case SyncMessageType.SyncRequest:
      writeVector(encoder, message.logVector)
      writeVector(encoder, message.stateVector)
      break
    case SyncMessageType.SyncResponse:
      writeList(encoder, message.updates)
      writeList(encoder, message.unsigned)
      break
    case SyncMessageType.Update:
    case SyncMessageType.UnsignedUpdate:
      encoding.writeVarUint8Array(encoder, message.update)
      break
    case SyncMessageType.Awareness:
      encoding.writeVarUint8Array(encoder, message.entry)
      break
  }
})

/** Decodes one sync message; throws InvalidMessageError. Byte arrays are views into `bytes`. */
export const decodeSyncMessage = (bytes: Uint8Array): SyncMessage => decodeAll(bytes, 'sync message', (decoder): SyncMessage => {
  const type = readBoundedVarUint(decoder, SyncMessageType.UnsignedUpdate, 'sync message type')
  switch (type) {
    case SyncMessageType.SyncRequest:
      return { type, logVector: readVector(decoder, 'log vector'), stateVector: readVector(decoder, 'state vector') }
    case SyncMessageType.SyncResponse:
      return { type, updates: readList(decoder, 'signed update'), unsigned: readList(decoder, 'unsigned update') }
    case SyncMessageType.Update:
    case SyncMessageType.UnsignedUpdate:
      return { type, update: readBoundedVarUint8Array(decoder, MAX_UPDATE_BYTES + 1024, 'update') }
    default:
      return { type: SyncMessageType.Awareness, entry: readBoundedVarUint8Array(decoder, MAX_UPDATE_BYTES, 'awareness entry') }
  }
})
