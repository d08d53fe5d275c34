import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { BATCH_KIND, EntryVerifier, MemoryDocStore, MessageLog, Replica, decodeEntry, signEntries, segmentDocId, tryDecodeEntry } from '../src/index.js'
import type { Entry, EntryId } from '../src/index.js'
import { identity } from './helpers.js'

const idBytes = (i: number): Uint8Array => Uint8Array.from({ length: 16 }, (_, j) => (i * 31 + j) & 0xff)

const drafts = (n: number) => Array.from({ length: n }, (_, i) => ({ id: idBytes(i), draft: { kind: 1, time: i, body: new TextEncoder().encode(`m${i}`) } }))
const lookup = (batches: Entry[]) => (id: EntryId) => batches.filter((b) => b.id === id)

describe('batched entries (one signature per burst)', () => {
  it('each entry of a batch verifies alone given its batch; one entry of a burst is signed inline', async () => {
    const a = await identity('alice')
    const { entries, batch } = await signEntries(a, 'd', drafts(5))
    expect(batch).not.toBeNull()
    expect(batch!.kind).toBe(BATCH_KIND)
    const v = new EntryVerifier('d')
    for (const e of entries) {
      const decoded = decodeEntry(e.bytes)
      expect(decoded.batch).toEqual(e.batch)
      expect(await v.verify(decoded, lookup([decodeEntry(batch!.bytes)]))).toBe(true)
    }
    const single = await signEntries(a, 'd', drafts(1))
    expect(single.batch).toBeNull()
    expect(await new EntryVerifier('d').verify(decodeEntry(single.entries[0]!.bytes))).toBe(true)
  })

  it('rejects a batched entry that was altered, whose batch is missing, is by another author, or is for another domain', async () => {
    const [a, eve] = await Promise.all([identity('alice'), identity('eve')])
    const { entries, batch } = await signEntries(a, 'd', drafts(3))
    const b = decodeEntry(batch!.bytes)
    // Altered body byte: its hash no longer matches the batch.
    const altered = entries[0]!.bytes.slice()
    altered[altered.length - 21] = altered[altered.length - 21]! ^ 1
    expect(await new EntryVerifier('d').verify(decodeEntry(altered), lookup([b]))).toBe(false)
    // Pointing at another index of the batch.
    const moved = entries[0]!.bytes.slice()
    moved[moved.length - 4] = 1
    expect(await new EntryVerifier('d').verify(decodeEntry(moved), lookup([b]))).toBe(false)
    // No batch (yet): false, but not remembered: it verifies once the batch arrives.
    const v = new EntryVerifier('d')
    const e1 = decodeEntry(entries[1]!.bytes)
    expect(await v.verify(e1)).toBe(false)
    expect(await v.verify(e1, lookup([b]))).toBe(true)
    // Eve signs a batch with the same id over the hashes of Alice's entries: not Alice's batch.
    const forged = await signEntries(eve, 'd', drafts(2))
    const eveBatch = { ...decodeEntry(forged.batch!.bytes), id: b.id }
    expect(await new EntryVerifier('d').verify(decodeEntry(entries[2]!.bytes), lookup([eveBatch]))).toBe(false)
    // The same batch checked under another domain (replay into another conversation).
    expect(await new EntryVerifier('other').verify(decodeEntry(entries[2]!.bytes), lookup([b]))).toBe(false)
    // A decoy with the batch's id does not hide the real batch.
    expect(await new EntryVerifier('d').verify(decodeEntry(entries[2]!.bytes), lookup([eveBatch, b]))).toBe(true)
    expect(tryDecodeEntry(new Uint8Array([3, ...new Uint8Array(80)]))).toBeNull()
  })

  it('a burst of sends is one batch in the segment, and a full segment is stored as one update', async () => {
    const a = await identity('alice')
    const store = new MemoryDocStore()
    const replica = new Replica(store)
    const log = await new MessageLog({ source: replica, identity: a, conversationId: 'c', segmentSize: 50 }).open()
    await Promise.all(Array.from({ length: 60 }, (_, i) => log.send(`m${i}`)))
    await replica.flush()
    const seg0 = await replica.open(segmentDocId('c', 0))
    expect(seg0.getArray('entries').length).toBe(50)
    expect(seg0.getArray('batches').length).toBe(1)
    expect(await store.load(segmentDocId('c', 0))).toHaveLength(1)
    // A fresh replica on the same store sees all 60, verified through their batches.
    const fresh = await new MessageLog({ source: new Replica(store), identity: a, conversationId: 'c' }).open()
    const v = await fresh.view()
    expect(v.messages.map((m) => m.text)).toEqual(Array.from({ length: 60 }, (_, i) => `m${i}`))
    expect(v.ignored).toBe(0)
    // Without the batches, the batched entries have no effect.
    const copy = new Replica()
    for (const k of [0, 1]) {
      const d = await copy.open(segmentDocId('c', k))
      const src = await replica.open(segmentDocId('c', k))
      d.getArray<Uint8Array>('entries').push(src.getArray<Uint8Array>('entries').toArray())
    }
    Y.applyUpdate(await copy.open('log/c/index'), Y.encodeStateAsUpdate(await replica.open('log/c/index')))
    const stripped = await new MessageLog({ source: copy, identity: a, conversationId: 'c' }).open()
    expect((await stripped.view()).messages).toHaveLength(0)
  })

  it('the recent view verifies only the tail it shows', async () => {
    const a = await identity('alice')
    const replica = new Replica()
    const log = await new MessageLog({ source: replica, identity: a, conversationId: 'c', segmentSize: 1000 }).open()
    for (let i = 0; i < 10; i++) await log.send(`single ${i}`) // one inline signature each
    await log.settled()
    // A forged entry at the very start: the full view checks (and ignores) it, the tail view never looks.
    const entries = (await replica.open(segmentDocId('c', 0))).getArray<Uint8Array>('entries')
    const forged = entries.get(0).slice()
    forged[forged.length - 70] = forged[forged.length - 70]! ^ 1
    entries.insert(0, [forged])
    const fresh = await new MessageLog({ source: replica, identity: a, conversationId: 'c' }).open()
    const v = await fresh.view({ last: 3 })
    expect(v.messages.map((m) => m.text)).toEqual(['single 7', 'single 8', 'single 9'])
    expect(v.ignored).toBe(0)
    expect(fresh.verifier.rejected).toBe(0)
    expect((await fresh.view()).ignored).toBe(1)
    // A reply to a message before the tail shows; an edit of one is not "pending".
    const parent = (await fresh.view()).messages[0]!.id // 'single 0'
    await log.send('late reply', { replyTo: parent })
    await log.edit(parent, 'edited first')
    const w = await new MessageLog({ source: replica, identity: a, conversationId: 'c' }).open()
    const tail = await w.view({ last: 2 })
    expect(tail.messages.map((m) => m.text)).toEqual(['single 9', 'late reply'])
    expect(tail.pending).toBe(0)
  })
})
