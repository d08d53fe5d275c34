/**
 * Message logs bound to a conversation's rules: a room log (sealed with the room key; an
 * entry counts only if its author had role member or above in the room state its author
 * had seen, named by the entry's deps = the room's heads), and a direct log (sealed to the
 * two participants; only they may write).
 */
import type { PeerId } from '@ymesh/protocol'
import { MessageLog } from './message-log.js'
import type { MessageLogOptions } from './message-log.js'
import type { ModelOptions, Room } from './room-registry.js'
import { roomCipher, directCipher, directConversationId } from './ciphers.js'
import { ROLE_RANK } from './room-ops.js'
import { indexDocId } from './message-log.js'

export type LogTuning = Pick<MessageLogOptions, 'segmentSize' | 'maxLoadedSegments'>

export const openRoomLog = async (room: Room, opts: ModelOptions & LogTuning): Promise<MessageLog> => {
  const log = new MessageLog({
    ...opts,
    conversationId: `room/${room.id}`,
    cipher: roomCipher(room),
    depsForSend: async () => (await room.resolve()).graph.heads(),
    authorizer: async () => {
      const resolved = await room.resolve()
      return (entry) => {
        const role = resolved.roleAt(entry.deps, entry.author)
        return role !== null && ROLE_RANK[role] >= ROLE_RANK.member
      }
    }
  })
  return await log.open()
}

export const openDirectLog = async (peer: PeerId, opts: ModelOptions & LogTuning): Promise<MessageLog> => {
  const conversationId = directConversationId(opts.identity.peerId, peer)
  const index = await opts.source.open(indexDocId(conversationId))
  const participants = new Set<PeerId>([opts.identity.peerId, peer])
  const log = new MessageLog({
    ...opts,
    conversationId,
    cipher: directCipher(opts.identity, peer, index, opts.random),
    authorizer: async () => (entry) => participants.has(entry.author)
  })
  return await log.open()
}
