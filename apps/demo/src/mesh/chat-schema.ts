/**
 * The demo chat's room documents — defined here only: the anchor stores rooms without
 * reading them (it needs no schema), so nothing else imports this.
 *
 *   room doc (room = its name)   Y.Array 'messages': ChatMessage
 *                                Y.Map 'receipts':   receiptKey(id, peer) -> ReceiptState
 *
 * They stay plain Yjs types, so a stock y-webrtc peer in the room reads and writes them too.
 */
import type * as Y from 'yjs'

export interface ChatMessage {
  readonly id: string
  readonly from: string
  readonly name: string
  readonly text: string
  readonly at: number
  readonly replyTo?: string
  /** The Yjs id of this message's item (sender's clientID and clock): compared with what the anchor has on disk. */
  readonly client?: number
  readonly clock?: number
}

/** Ordered: a receipt only moves forward. ('stored' receipts were written by earlier anchors.) */
export const RECEIPT_STATES = ['stored', 'delivered', 'read'] as const
export type ReceiptState = (typeof RECEIPT_STATES)[number]

export const receiptKey = (messageId: string, peer: string): string => `${messageId}|${peer}`

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
