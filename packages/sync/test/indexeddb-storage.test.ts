// IndexedDbStorage on fake-indexeddb (a fresh in-memory IDBFactory per test): the shared
// acceptance suite, plus what is specific to IndexedDB. test/indexeddb-browser.test.ts runs
// the same round trip on Chromium's real IndexedDB.
import { IDBFactory, IDBKeyRange, IDBObjectStore } from 'fake-indexeddb'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { AuthenticatedDoc, DocStore, IndexedDbStorage, storeKeyFromBytes, type StorageError, type SyncStorage } from '@ymesh/sync'
import { storageAcceptance } from './storage-acceptance.js'
import { ManualClock, identity } from './helpers.js'

const factories = new WeakMap<SyncStorage, IDBFactory>()
const open = (factory: IDBFactory, namespace = 'test'): IndexedDbStorage => {
  const s = new IndexedDbStorage({ indexedDB: factory, keyRange: IDBKeyRange, namespace })
  factories.set(s, factory)
  return s
}

/** Opens the database directly, as another tab (or a tamperer) would. */
const rawDb = async (factory: IDBFactory, name = 'ymesh-sync:test'): Promise<IDBDatabase> => await new Promise((resolve, reject) => {
  const r = factory.open(name)
  r.onsuccess = () => { resolve(r.result) }
  r.onerror = () => { reject(r.error) }
})

const rawWrite = async (factory: IDBFactory, store: string, key: IDBValidKey, value: unknown): Promise<void> => {
  const db = await rawDb(factory)
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction(store, 'readwrite')
    tx.objectStore(store).put(value, key)
    tx.oncomplete = () => { resolve() }
    tx.onabort = () => { reject(tx.error) }
  })
  db.close()
}

const rawRead = async (factory: IDBFactory, store: string, key: IDBValidKey): Promise<unknown> => {
  const db = await rawDb(factory)
  const value = await new Promise<unknown>((resolve, reject) => {
    const r = db.transaction(store).objectStore(store).get(key)
    r.onsuccess = () => { resolve(r.result) }
    r.onerror = () => { reject(r.error) }
  })
  db.close()
  return value
}

storageAcceptance('IndexedDbStorage (fake-indexeddb)', {
  create: async () => open(new IDBFactory()),
  reopen: async (old) => {
    await old.close()
    return open(factories.get(old)!)
  },
  // IndexedDB checks its own pages; what can come back damaged is a value of the wrong shape.
  corrupt: async (s, docId, index) => { await rawWrite(factories.get(s)!, 'records', [docId, index], 'not bytes') }
})

/** Makes every IndexedDB add() throw `name` while `work` runs (fake-indexeddb's prototype). */
const failingAdds = async <T>(name: string, work: () => Promise<T>, after = 0): Promise<T> => {
  const original = IDBObjectStore.prototype.add
  let calls = 0
  IDBObjectStore.prototype.add = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['add']>) {
    if (calls++ >= after) throw new DOMException('The quota has been exceeded.', name)
    return original.apply(this, args)
  }
  try {
    return await work()
  } finally {
    IDBObjectStore.prototype.add = original
  }
}

describe('IndexedDbStorage', () => {
  const clock = new ManualClock()

  it('keeps documents apart per namespace (one database each)', async () => {
    const factory = new IDBFactory()
    const a = open(factory, 'alice')
    const b = open(factory, 'bob')
    await a.append('d', Uint8Array.of(1))
    expect(a.databaseName).toBe('ymesh-sync:alice')
    expect(await b.listDocs()).toEqual([])
    expect((await a.load('d')).records).toEqual([Uint8Array.of(1)])
    await a.close()
    await b.close()
  })

  it('stores exactly the bytes of a view, not its whole buffer', async () => {
    const factory = new IDBFactory()
    const s = open(factory)
    const big = new Uint8Array(4096).fill(9)
    await s.append('d', big.subarray(10, 13))
    await s.replace('e', [big.subarray(0, 2)], big.subarray(5, 6))
    await s.close()
    const stored = await rawRead(factory, 'records', ['d', 0]) as Uint8Array
    expect(stored.buffer.byteLength).toBe(3)
    expect(((await rawRead(factory, 'snapshots', 'e')) as Uint8Array).buffer.byteLength).toBe(1)
  })

  it('turns QuotaExceededError into a StorageError that says what to do, and writes nothing', async () => {
    const s = open(new IDBFactory())
    await s.append('d', Uint8Array.of(1))
    const err = await failingAdds('QuotaExceededError', async () => await s.append('d', Uint8Array.of(2)).catch((e: unknown) => e)) as StorageError
    expect(err.name).toBe('StorageError')
    expect(err.message).toMatch(/QuotaExceededError.*document 'd'.*navigator\.storage\.persist/)
    expect((err.cause as DOMException).name).toBe('QuotaExceededError')
    await s.append('d', Uint8Array.of(3))
    expect(await s.load('d')).toEqual({ records: [Uint8Array.of(1), Uint8Array.of(3)], snapshot: null, corrupt: 0 })
    await s.close()
  })

  it('replace() is atomic: a failure halfway leaves the old log and snapshot', async () => {
    const s = open(new IDBFactory())
    await s.replace('d', [Uint8Array.of(1), Uint8Array.of(2)], Uint8Array.of(7))
    const err = await failingAdds('UnknownError', async () => await s.replace('d', [Uint8Array.of(5), Uint8Array.of(6)], null).catch((e: unknown) => e), 1) as StorageError
    expect(err.name).toBe('StorageError')
    expect(err.message).toMatch(/UnknownError/)
    expect(await s.load('d')).toEqual({ records: [Uint8Array.of(1), Uint8Array.of(2)], snapshot: Uint8Array.of(7), corrupt: 0 })
    await s.close()
  })

  it('lets another tab delete the database, then reopens it on the next call', async () => {
    const factory = new IDBFactory()
    const s = open(factory)
    await s.append('d', Uint8Array.of(1))
    await new Promise<void>((resolve, reject) => {
      const r = factory.deleteDatabase('ymesh-sync:test')
      r.onsuccess = () => { resolve() }
      r.onerror = () => { reject(r.error) }
    })
    expect(await s.load('d')).toEqual({ records: [], snapshot: null, corrupt: 0 })
    await s.append('d', Uint8Array.of(2))
    expect((await s.load('d')).records).toEqual([Uint8Array.of(2)])
    await s.close()
  })

  it('counts a snapshot of the wrong shape as corrupt', async () => {
    const factory = new IDBFactory()
    const s = open(factory)
    await s.replace('d', [Uint8Array.of(1)], Uint8Array.of(2))
    await s.close()
    await rawWrite(factory, 'snapshots', 'd', { not: 'bytes' })
    const t = open(factory)
    expect(await t.load('d')).toEqual({ records: [Uint8Array.of(1)], snapshot: null, corrupt: 1 })
    await t.close()
  })

  it('without IndexedDB, every call rejects with a StorageError that names the alternatives', async () => {
    const s = new IndexedDbStorage({ indexedDB: undefined, keyRange: undefined })
    if ((globalThis as { indexedDB?: unknown }).indexedDB !== undefined) return
    await expect(s.load('d')).rejects.toMatchObject({ name: 'StorageError', message: expect.stringMatching(/MemoryStorage.*FileStorage/) })
  })

  it('under AuthenticatedDoc: a full quota is a storage-error event and the document stays', async () => {
    const id = await identity(1)
    const s = open(new IDBFactory())
    const a = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'd', identity: id, clock, store: new DocStore(s, 'd', await storeKeyFromBytes(new Uint8Array(32).fill(1))) })
    const errors: StorageError[] = []
    a.on('storage-error', ({ error }) => { errors.push(error) })
    await a.start()
    await failingAdds('QuotaExceededError', async () => {
      a.doc.getText('t').insert(0, 'kept in memory')
      await a.flush()
    })
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/QuotaExceededError/)])
    expect(a.doc.getText('t').toString()).toBe('kept in memory')
    await a.stop()
    await s.close()
  })

  it('under DocStore: a record altered in the database is detected by its MAC, the rest loads', async () => {
    const factory = new IDBFactory()
    const key = await storeKeyFromBytes(new Uint8Array(32).fill(2))
    const s = open(factory)
    const store = new DocStore(s, 'd', key)
    for (let i = 0; i < 4; i++) await store.appendUnsigned(Uint8Array.of(i, i, i))
    await s.close()
    const stored = await rawRead(factory, 'records', ['d', 1]) as Uint8Array
    stored[2]! ^= 1
    await rawWrite(factory, 'records', ['d', 1], stored)
    const loaded = await new DocStore(open(factory), 'd', key).load()
    expect(loaded.corrupt).toBe(1)
    expect(loaded.unsigned).toEqual([Uint8Array.of(0, 0, 0), Uint8Array.of(2, 2, 2), Uint8Array.of(3, 3, 3)])
  })
})
