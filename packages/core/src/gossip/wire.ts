/**
 * The gossip control frames. Both carry a topic, flags and a list of message ids:
 *
 *   gossip-ihave (13) = topic:varString • flags:varUint • count:varUint • id:byte[16]*
 *     flags: 1 PRUNE (stop eager-pushing to me the messages of the sources of these ids; no ids:
 *              of every source), 2 SUBSCRIBE, 4 UNSUBSCRIBE, 8 MEMBERS (the ids are 16-byte
 *              digests of the sender's subscribed neighbours for this topic: its whole list)
 *   gossip-iwant (14) = topic:varString • flags:varUint • count:varUint • id:byte[16]*
 *     flags: 1 GRAFT (eager-push the messages of these ids' sources to me from now on)
 *
 * Messages themselves travel as 'envelope' frames whose destination is the topic.
 */
import * as encoding from 'lib0/encoding'
import * as string from 'lib0/string'
import {
  decodeAll, InvalidMessageError, MAX_TOPIC_LENGTH, MESSAGE_ID_SIZE, readBoundedVarString, readBoundedVarUint,
  readFixedUint8Array
} from '@ymesh/protocol'

/** Most ids one control frame may carry; longer lists are split over several frames. */
export const MAX_GOSSIP_IDS = 1024

export const IHaveFlag = Object.freeze({ Prune: 1, Subscribe: 2, Unsubscribe: 4, Members: 8 } as const)
export const IWantFlag = Object.freeze({ Graft: 1 } as const)

const IHAVE_FLAGS_MASK = IHaveFlag.Prune | IHaveFlag.Subscribe | IHaveFlag.Unsubscribe | IHaveFlag.Members
const IWANT_FLAGS_MASK = IWantFlag.Graft

export interface GossipControl {
  readonly topic: string
  readonly flags: number
  /** Message ids, each MESSAGE_ID_SIZE bytes (views into the frame: copy what you keep). */
  readonly ids: readonly Uint8Array[]
}

export const encodeGossipControl = (control: GossipControl): Uint8Array => {
  const topic = string.encodeUtf8(control.topic)
  if (topic.length < 1 || topic.length > MAX_TOPIC_LENGTH) {
    throw new InvalidMessageError(`a gossip topic is 1 to ${MAX_TOPIC_LENGTH} UTF-8 bytes, not ${topic.length}`)
  }
  if (control.ids.length > MAX_GOSSIP_IDS) throw new InvalidMessageError(`at most ${MAX_GOSSIP_IDS} ids per gossip frame`)
  return encoding.encode((encoder) => {
    encoding.writeVarUint8Array(encoder, topic)
    encoding.writeVarUint(encoder, control.flags)
    encoding.writeVarUint(encoder, control.ids.length)
    for (const id of control.ids) {
      if (id.length !== MESSAGE_ID_SIZE) throw new InvalidMessageError(`a message id is ${MESSAGE_ID_SIZE} bytes`)
      encoding.writeUint8Array(encoder, id)
    }
  })
}

const decodeControl = (payload: Uint8Array, what: string, flagsMask: number): GossipControl =>
  decodeAll(payload, what, (decoder) => {
    const topic = readBoundedVarString(decoder, MAX_TOPIC_LENGTH, `${what} topic`)
    if (topic.length === 0) throw new InvalidMessageError(`${what} topic is empty`)
    const flags = readBoundedVarUint(decoder, flagsMask, `${what} flags`)
    if ((flags & ~flagsMask) !== 0) throw new InvalidMessageError(`${what} has unknown flags ${flags}`)
    const count = readBoundedVarUint(decoder, MAX_GOSSIP_IDS, `${what} id count`)
    const ids: Uint8Array[] = []
    for (let i = 0; i < count; i++) ids.push(readFixedUint8Array(decoder, MESSAGE_ID_SIZE, `${what} id`))
    return { topic, flags, ids }
  })

export const decodeIHave = (payload: Uint8Array): GossipControl => decodeControl(payload, 'gossip-ihave', IHAVE_FLAGS_MASK)
export const decodeIWant = (payload: Uint8Array): GossipControl => decodeControl(payload, 'gossip-iwant', IWANT_FLAGS_MASK)

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** A message id as a map key. */
export const idKey = (id: Uint8Array): string => {
  let s = ''
  for (let i = 0; i < id.length; i++) s += HEX[id[i] as number] as string
  return s
}
