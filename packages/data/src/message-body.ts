/**
 * Plaintext bodies of message-log entries (binary: logs hold many). What is stored is this
 * body sealed by the conversation's cipher, so a replica without the key holds ciphertext.
 */
import * as encoding from 'lib0/encoding'
import { decodeAll, readBoundedVarString, readBoundedVarUint } from '@ymesh/protocol'
import type { EntryId } from './signed-entry.js'

export const MessageKind = { message: 1, edit: 2, reaction: 3, delete: 4 } as const

export const MAX_TEXT_BYTES = 32 * 1024
export const MAX_ATTACHMENTS = 16
const MAX_REF_BYTES = 64

export type MessageBody =
  | { readonly type: 'message', readonly text: string, readonly replyTo: { readonly id: EntryId, readonly segment: number } | null, readonly attachments: readonly string[] }
  | { readonly type: 'edit', readonly target: EntryId, readonly text: string }
  | { readonly type: 'reaction', readonly target: EntryId, readonly emoji: string }
  | { readonly type: 'delete', readonly target: EntryId }

export const bodyKind = (b: MessageBody): number => MessageKind[b.type]

export const encodeMessageBody = (b: MessageBody): Uint8Array => {
  const e = encoding.createEncoder()
  switch (b.type) {
    case 'message':
      encoding.writeVarString(e, b.text)
      encoding.writeVarString(e, b.replyTo?.id ?? '')
      encoding.writeVarUint(e, b.replyTo?.segment ?? 0)
      encoding.writeVarUint(e, b.attachments.length)
      for (const a of b.attachments) encoding.writeVarString(e, a)
      break
    case 'edit':
      encoding.writeVarString(e, b.target)
      encoding.writeVarString(e, b.text)
      break
    case 'reaction':
      encoding.writeVarString(e, b.target)
      encoding.writeVarString(e, b.emoji)
      break
    case 'delete':
      encoding.writeVarString(e, b.target)
  }
  return encoding.toUint8Array(e)
}

/** The body of an entry of `kind`, or null when malformed (such an entry has no effect). */
export const decodeMessageBody = (kind: number, bytes: Uint8Array): MessageBody | null => {
  try {
    return decodeAll(bytes, 'message body', (d): MessageBody | null => {
      switch (kind) {
        case MessageKind.message: {
          const text = readBoundedVarString(d, MAX_TEXT_BYTES, 'message text')
          const reply = readBoundedVarString(d, MAX_REF_BYTES, 'reply-to') as EntryId
          const segment = readBoundedVarUint(d, 2 ** 32, 'reply-to segment')
          const n = readBoundedVarUint(d, MAX_ATTACHMENTS, 'attachment count')
          const attachments: string[] = []
          for (let i = 0; i < n; i++) attachments.push(readBoundedVarString(d, 4096, 'attachment'))
          return { type: 'message', text, replyTo: reply === '' ? null : { id: reply, segment }, attachments }
        }
        case MessageKind.edit:
          return { type: 'edit', target: readBoundedVarString(d, MAX_REF_BYTES, 'edit target') as EntryId, text: readBoundedVarString(d, MAX_TEXT_BYTES, 'edit text') }
        case MessageKind.reaction:
          return { type: 'reaction', target: readBoundedVarString(d, MAX_REF_BYTES, 'reaction target') as EntryId, emoji: readBoundedVarString(d, 64, 'emoji') }
        case MessageKind.delete:
          return { type: 'delete', target: readBoundedVarString(d, MAX_REF_BYTES, 'delete target') as EntryId }
        default:
          return null
      }
    })
  } catch {
    return null
  }
}
