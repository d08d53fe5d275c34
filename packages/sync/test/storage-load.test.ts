// Loading a store fast without weakening its integrity check: the synchronous HMAC is the
// standard one, records load in stored order, and the store gets snapshots by itself.
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { PeerId } from '@ymesh/protocol'
import { AuthenticatedDoc, DocStore, MemoryStorage, storeKeyFromBytes, type StorageError } from '@ymesh/sync'
import { HmacSha256 } from '../src/storage/hmac-sha256.js'
import { ManualClock, docHash, identity } from './helpers.js'

const seeded = (n: number, seed: number): Uint8Array => {
  const out = new Uint8Array(n)
  let x = seed
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

/** Counts what reaches the backend, to see when the store is rewritten with a snapshot. */
class CountingStorage extends MemoryStorage {
  replaces = 0
  override async replace (...args: Parameters<MemoryStorage['replace']>): Promise<void> {
    this.replaces++
    await super.replace(...args)
  }
}

describe('HmacSha256', () => {
  it('is standard HMAC-SHA-256 for every key and message length, however the message is split', () => {
    for (const keyLength of [0, 1, 32, 64, 65, 130]) {
      const key = seeded(keyLength, keyLength + 1)
      const hmac = new HmacSha256(key)
      for (let n = 0; n < 200; n += 7) {
        const data = seeded(n, n)
        const expected = createHmac('sha256', key).update(data).digest()
        const cut = Math.floor(n / 3)
        expect(Buffer.from(hmac.mac([data.subarray(0, cut), new Uint8Array(0), data.subarray(cut)]))).toEqual(expected)
        expect(hmac.verify([data], expected)).toBe(true)
        expected[n % 32]! ^= 1
        expect(hmac.verify([data], expected)).toBe(false)
      }
      expect(hmac.verify([], new Uint8Array(31))).toBe(false)
    }
  })
})

describe('store load', () => {
  const clock = new ManualClock()

  it('reads what WebCrypto wrote and WebCrypto reads what it writes (same MAC, same format)', async () => {
    const bytes = new Uint8Array(32).fill(5)
    const fast = await storeKeyFromBytes(bytes)
    const slow = { key: fast.key } // no secret: every MAC through WebCrypto
    const storage = new MemoryStorage()
    await new DocStore(storage, 'd', slow).appendUnsigned(Uint8Array.of(1))
    await new DocStore(storage, 'd', fast).appendUnsigned(Uint8Array.of(2))
    // A snapshot over 1 MiB is MACed by WebCrypto even with the secret at hand.
    const big = seeded(1_100_000, 9)
    await new DocStore(storage, 'e', fast).replace([], [Uint8Array.of(3)], { update: big, logVector: new Map([[7, 1]]) })
    for (const key of [fast, slow]) {
      const d = await new DocStore(storage, 'd', key).load()
      expect(d.unsigned).toEqual([Uint8Array.of(1), Uint8Array.of(2)])
      expect(d.corrupt).toBe(0)
      const e = await new DocStore(storage, 'e', key).load()
      expect(Buffer.from(big).equals(e.snapshot!.update)).toBe(true) // toEqual walks 1 MB slowly
      expect(e.snapshot?.logVector).toEqual(new Map([[7, 1]]))
    }
    // The docId is under the MAC: a record moved to another document does not check out.
    const moved = await new DocStore(storage, 'd', fast).load()
    expect(moved.entries).toHaveLength(2)
    await storage.replace('x', (await storage.load('d')).records, null)
    expect((await new DocStore(storage, 'x', fast).load()).corrupt).toBe(2)
  })

  it('applies stored records in stored order, so signed edits on top of a stock peer\'s content load without waiting', async () => {
    const id = await identity(1)
    const key = await storeKeyFromBytes(new Uint8Array(32).fill(6))
    const storage = new MemoryStorage()
    const a = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'd', identity: id, clock, store: new DocStore(storage, 'd', key), snapshotAfter: Infinity })
    await a.start()
    const stock = new Y.Doc()
    stock.getText('t').insert(0, 'stock ')
    await a.receiveUnsigned(Y.encodeStateAsUpdate(stock), { from: 'stock-peer' as PeerId })
    a.doc.getText('t').insert(6, 'and signed')
    await a.flush()
    await a.stop()
    expect((await new DocStore(storage, 'd', key).load()).entries.map((e) => e.signed)).toEqual([false, true])
    // No room to wait: loaded out of order, the signed edit would be dropped as pending-overflow.
    const b = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'd', identity: id, clock, store: new DocStore(storage, 'd', key), pending: { maxCount: 0 } })
    const drops: string[] = []
    b.on('drop', ({ reason }) => { drops.push(reason) })
    await b.start()
    expect(b.doc.getText('t').toString()).toBe('stock and signed')
    expect(b.stats.pending).toBe(0)
    expect(drops).toEqual([])
    await b.stop()
  })

  it('rewrites the store with a snapshot by itself, so a restart applies one update and indexes the rest', async () => {
    const id = await identity(1)
    const key = await storeKeyFromBytes(new Uint8Array(32).fill(7))
    const storage = new CountingStorage()
    const a = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'd', identity: id, clock, store: new DocStore(storage, 'd', key), snapshotAfter: 5 })
    await a.start()
    for (let i = 0; i < 12; i++) {
      a.doc.getText('t').insert(0, 'x')
      await a.flush()
    }
    await a.stop()
    expect(storage.replaces).toBe(2) // after 5 records, then 5 more (a quarter of 5 is less)
    const stored = await new DocStore(storage, 'd', key).load()
    expect(stored.snapshot?.logVector.get(a.doc.clientID)).toBe(10)
    const b = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'd', identity: id, clock, store: new DocStore(storage, 'd', key), snapshotAfter: 5 })
    await b.start()
    expect(b.doc.getText('t').toString()).toBe('x'.repeat(12))
    expect(b.stats.applied).toBe(2) // the two records after the snapshot; ten indexed by header
    expect(b.log.size).toBe(12)
    expect(docHash(b.doc)).toBe(docHash(a.doc))
    await b.stop()
    expect(storage.replaces).toBe(2)
  })

  it('snapshots a large unsnapshotted store right after loading it, in the background', async () => {
    const id = await identity(1)
    const key = await storeKeyFromBytes(new Uint8Array(32).fill(8))
    const storage = new CountingStorage()
    const a = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'd', identity: id, clock, store: new DocStore(storage, 'd', key), snapshotAfter: Infinity })
    await a.start()
    for (let i = 0; i < 6; i++) {
      a.doc.getText('t').insert(0, 'y')
      await a.flush()
    }
    await a.stop()
    expect(storage.replaces).toBe(0)
    const b = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'd', identity: id, clock, store: new DocStore(storage, 'd', key), snapshotAfter: 6 })
    await b.start()
    expect(b.doc.getText('t').toString()).toBe('yyyyyy')
    await b.stop()
    expect(storage.replaces).toBe(1)
    expect((await new DocStore(storage, 'd', key).load()).snapshot).not.toBeNull()
  })

  it('a tampered snapshot is reported and the log alone restores the document', async () => {
    const id = await identity(1)
    const key = await storeKeyFromBytes(new Uint8Array(32).fill(9))
    const storage = new MemoryStorage()
    const a = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'd', identity: id, clock, store: new DocStore(storage, 'd', key) })
    await a.start()
    a.doc.getText('t').insert(0, 'whole')
    await a.compact()
    await a.stop()
    const { records, snapshot } = await storage.load('d')
    const bad = snapshot!.slice()
    bad[3]! ^= 1
    await storage.replace('d', records, bad)
    const b = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'd', identity: id, clock, store: new DocStore(storage, 'd', key) })
    const errors: StorageError[] = []
    b.on('storage-error', ({ error }) => { errors.push(error) })
    await b.start()
    expect(errors.map((e) => e.name)).toEqual(['StorageCorruptionError'])
    expect(b.doc.getText('t').toString()).toBe('whole')
    await b.stop()
  })
})
