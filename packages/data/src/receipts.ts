/**
 * MessageAcknowledgment: receipts as signed entries in each segment's 'receipts' array.
 * A receipt carries the Yjs state vector of the segment as its author's replica held it, so
 * "message m is delivered to R" is exact: R's replica had integrated m's Yjs item
 * (sv[client] > clock). Stages: sent (in the author's replica) → stored (another peer's
 * replica, anchors included, holds it) → delivered (the recipient's replica holds it) →
 * read (the recipient said so). Receipts merge by taking the maximum per author.
 */
import * as Y from 'yjs'
import type { PeerId } from '@ymesh/protocol'
import type { Identity, RandomSource } from '@ymesh/crypto'
import { createEntry, tryDecodeEntry, EntryVerifier } from './signed-entry.js'
import type { EntryId } from './signed-entry.js'
import type { MessageLog } from './message-log.js'

export type ReceiptKind = 'stored' | 'delivered' | 'read'
const KIND: Readonly<Record<ReceiptKind, number>> = { stored: 10, delivered: 11, read: 12 }

export interface MessageStatus {
  readonly sent: boolean
  readonly stored: readonly PeerId[]
  readonly delivered: readonly PeerId[]
  readonly read: readonly PeerId[]
}

const receiptDomain = (log: MessageLog): string => `ymesh/data/receipt/v1/${log.conversationId}`

/** Posts a receipt of `kind` for every loaded segment (or `segments`) as `identity`. */
export const acknowledge = async (log: MessageLog, identity: Identity, kind: ReceiptKind, options: { segments?: readonly number[], random?: RandomSource } = {}): Promise<void> => {
  for (const k of options.segments ?? log.segments()) {
    const doc = await log.segment(k)
    const body = Y.encodeStateVector(doc)
    const entry = await createEntry(identity, receiptDomain(log), { kind: KIND[kind], time: Date.now(), body }, options.random)
    doc.getArray<Uint8Array>('receipts').push([entry.bytes])
  }
}

/** Yjs item ids of a segment's entries, by the entry's stored bytes. */
const itemIds = (arr: Y.Array<Uint8Array>): Map<Uint8Array, { client: number, clock: number }> => {
  const out = new Map<Uint8Array, { client: number, clock: number }>()
  let item = arr._start
  while (item !== null) {
    if (!item.deleted && item.countable) {
      const values = item.content.getContent() as Uint8Array[]
      values.forEach((v, i) => out.set(v, { client: item!.id.client, clock: item!.id.clock + i }))
    }
    item = item.right
  }
  return out
}

/** Receipt statuses of messages `ids` (in segment `k`), from valid receipts only. */
export const messageStatus = async (log: MessageLog, k: number, ids: readonly EntryId[]): Promise<Map<EntryId, MessageStatus>> => {
  const doc = await log.segment(k)
  const verifier = new EntryVerifier(receiptDomain(log))
  // Per (kind, author): the maximum clock per client over all that author's receipts.
  const svs = new Map<string, Map<number, number>>()
  for (const bytes of doc.getArray<Uint8Array>('receipts').toArray()) {
    const e = tryDecodeEntry(bytes)
    if (e === null || !(await verifier.verify(e))) continue
    let sv: Map<number, number>
    try { sv = Y.decodeStateVector(e.body) } catch { continue }
    const key = `${e.kind}:${e.author}`
    const acc = svs.get(key) ?? new Map<number, number>()
    for (const [client, clock] of sv) acc.set(client, Math.max(acc.get(client) ?? 0, clock))
    svs.set(key, acc)
  }
  const entries = doc.getArray<Uint8Array>('entries')
  const ids2 = itemIds(entries)
  const out = new Map<EntryId, MessageStatus>()
  const wanted = new Set(ids)
  for (const bytes of entries.toArray()) {
    const e = tryDecodeEntry(bytes)
    if (e === null || !wanted.has(e.id) || out.has(e.id)) continue
    const item = ids2.get(bytes)
    const who = (kind: number): PeerId[] => {
      const peers: PeerId[] = []
      for (const [key, sv] of svs) {
        const [kk, author] = key.split(':') as [string, PeerId]
        if (Number(kk) === kind && author !== e.author && item !== undefined && (sv.get(item.client) ?? 0) > item.clock) peers.push(author)
      }
      return peers.sort()
    }
    const read = who(KIND.read)
    const delivered = [...new Set([...who(KIND.delivered), ...read])].sort()
    out.set(e.id, { sent: true, stored: [...new Set([...who(KIND.stored), ...delivered])].sort(), delivered, read })
  }
  return out
}
