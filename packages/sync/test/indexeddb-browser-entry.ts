// Bundled by test/indexeddb-browser.test.ts and run in headless Chromium: IndexedDbStorage
// and DocStore on the browser's real IndexedDB. Reports one line per check, `name value`.
import * as Y from 'yjs'
import type { Clock, Timer } from '@ymesh/protocol'
import { generateIdentity } from '@ymesh/crypto'
import { AuthenticatedDoc, DocStore, IndexedDbStorage, storeKeyFromBytes, storeKeyFromIdentity } from '@ymesh/sync'

const hex = (b: Uint8Array | null): string => b === null ? 'null' : [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
const list = (records: readonly Uint8Array[]): string => records.map(hex).join(',')

/** Writes `value` under `key` directly, as a tamperer (or a bug) would. */
const rawPut = async (database: string, store: string, key: IDBValidKey, value: unknown): Promise<void> => {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const r = indexedDB.open(database)
    r.onsuccess = () => { resolve(r.result) }
    r.onerror = () => { reject(r.error) }
  })
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction(store, 'readwrite')
    tx.objectStore(store).put(value, key)
    tx.oncomplete = () => { resolve() }
    tx.onabort = () => { reject(tx.error) }
  })
  db.close()
}

const rawGet = async (database: string, store: string, key: IDBValidKey): Promise<unknown> => {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const r = indexedDB.open(database)
    r.onsuccess = () => { resolve(r.result) }
    r.onerror = () => { reject(r.error) }
  })
  const value = await new Promise<unknown>((resolve, reject) => {
    const r = db.transaction(store).objectStore(store).get(key)
    r.onsuccess = () => { resolve(r.result) }
    r.onerror = () => { reject(r.error) }
  })
  db.close()
  return value
}

const clock: Clock = {
  now: () => performance.now(),
  setTimeout: (f, ms) => setTimeout(f, ms) as unknown as Timer,
  clearTimeout: (t) => { clearTimeout(t as unknown as number) },
  setInterval: (f, ms) => setInterval(f, ms) as unknown as Timer,
  clearInterval: (t) => { clearInterval(t as unknown as number) },
  settle: async (work) => await work
}

const run = async (): Promise<string> => {
  const out: string[] = []
  const s = new IndexedDbStorage({ namespace: 'browser-test' })
  await s.append('a', Uint8Array.of(1))
  await s.append('b', Uint8Array.of(9))
  await Promise.all([s.append('a', Uint8Array.of(2, 3)), s.append('a', Uint8Array.of(4))])
  out.push(`append ${list((await s.load('a')).records)}`)
  out.push(`docs ${(await s.listDocs()).sort().join(',')}`)
  await s.close()

  const t = new IndexedDbStorage({ namespace: 'browser-test' })
  out.push(`reload ${list((await t.load('a')).records)}`)
  await t.replace('a', [Uint8Array.of(100)], Uint8Array.of(42))
  await t.append('a', Uint8Array.of(101))
  const replaced = await t.load('a')
  out.push(`replace ${list(replaced.records)} ${hex(replaced.snapshot)} ${replaced.corrupt}`)
  await t.remove('b')
  out.push(`removed ${(await t.listDocs()).join(',')}`)

  // Corruption: a value of the wrong shape (backend), and altered bytes (DocStore's MAC).
  const key = await storeKeyFromBytes(new Uint8Array(32).fill(1))
  const store = new DocStore(t, 'c', key)
  for (let i = 0; i < 4; i++) await store.appendUnsigned(Uint8Array.of(i, i))
  await t.close()
  const stored = await rawGet(t.databaseName, 'records', ['c', 1]) as Uint8Array
  stored[1] = stored[1]! ^ 1
  await rawPut(t.databaseName, 'records', ['c', 1], stored)
  await rawPut(t.databaseName, 'records', ['c', 2], 'not bytes')
  const u = new IndexedDbStorage({ namespace: 'browser-test' })
  const loaded = await new DocStore(u, 'c', key).load()
  out.push(`corrupt ${loaded.corrupt} ${list(loaded.unsigned)}`)
  await u.close()

  // A restarted peer shows its document from IndexedDB without re-verifying signatures.
  const identity = await generateIdentity({ seed: new Uint8Array(32).fill(3) })
  const storeKey = await storeKeyFromIdentity(identity)
  const first = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'notes', identity, clock, store: new DocStore(new IndexedDbStorage({ namespace: 'browser-peer' }), 'notes', storeKey) })
  await first.start()
  first.doc.getText('t').insert(0, 'in IndexedDB')
  await first.stop()
  const storage = new IndexedDbStorage({ namespace: 'browser-peer' })
  const second = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'notes', identity, clock, store: new DocStore(storage, 'notes', storeKey) })
  await second.start()
  out.push(`restart ${second.doc.getText('t').toString()} verified=${second.stats.verified}`)
  await second.stop()
  await storage.close()
  return `DONE\n${out.join('\n')}`
}

;(globalThis as { ymeshSyncIndexedDb?: Promise<string> }).ymeshSyncIndexedDb = run().catch((err: unknown) => `FAILED ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err)}`)
