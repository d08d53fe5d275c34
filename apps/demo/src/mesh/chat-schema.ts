// A copy of packages/ymesh/src/anchor/chat-schema.ts until `ymesh` exports it (test/chat-schema.test.ts keeps them equal).
/**
 * The shape of the demo chat's documents, shared by the anchor and the demo app. They are
 * plain Yjs documents (no ymesh-only encoding) so a stock y-webrtc peer in the same room reads
 * and writes them too.
 *
 *   directory doc (room DIRECTORY_ROOM)  Y.Map 'rooms': name -> DirectoryEntry
 *   room doc      (room = its name)      Y.Array 'messages': ChatMessage
 *                                        Y.Map 'receipts': receiptKey(id, peer) -> ReceiptState
 *                                        Y.Map 'members': peer -> { name, role }
 */
import type * as Y from 'yjs'

/** Signaling room of the public-room directory. Room names may not contain '/', so no room shadows it. */
export const DIRECTORY_ROOM = 'ymesh/directory'
export const ROOM_NAME_PATTERN = /^[^/\s][^/]{0,63}$/u

export interface DirectoryEntry {
  readonly name: string
  readonly createdAt: number
  readonly createdBy: string
}

export interface ChatMessage {
  readonly id: string
  readonly from: string
  readonly name: string
  readonly text: string
  readonly at: number
  readonly replyTo?: string
}

/** Ordered: a receipt only moves forward. */
export const RECEIPT_STATES = ['stored', 'delivered', 'read'] as const
export type ReceiptState = (typeof RECEIPT_STATES)[number]

export const receiptKey = (messageId: string, peer: string): string => `${messageId}|${peer}`

export const directoryRooms = (doc: Y.Doc): Y.Map<DirectoryEntry> => doc.getMap<DirectoryEntry>('rooms')
export const roomMessages = (doc: Y.Doc): Y.Array<ChatMessage> => doc.getArray<ChatMessage>('messages')
export const roomReceipts = (doc: Y.Doc): Y.Map<ReceiptState> => doc.getMap<ReceiptState>('receipts')

/** Sets `peer`'s receipt for `messageId` unless it already says as much or more. */
export const advanceReceipt = (doc: Y.Doc, messageId: string, peer: string, state: ReceiptState): boolean => {
  const receipts = roomReceipts(doc)
  const key = receiptKey(messageId, peer)
  const current = receipts.get(key)
  if (current !== undefined && RECEIPT_STATES.indexOf(current) >= RECEIPT_STATES.indexOf(state)) return false
  receipts.set(key, state)
  return true
}

export const isChatMessage = (v: unknown): v is ChatMessage => {
  if (v === null || typeof v !== 'object') return false
  const m = v as Record<string, unknown>
  return typeof m.id === 'string' && typeof m.from === 'string' && typeof m.text === 'string' && typeof m.at === 'number'
}
