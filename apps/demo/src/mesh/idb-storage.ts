/**
 * A @ymesh/sync SyncStorage on IndexedDB: MeshProvider's signed log and snapshot per room,
 * loaded at start before any network. It stands in until @ymesh/sync ships its own
 * IndexedDB storage (then this file goes). y-indexeddb does not fit MeshProvider: it replays
 * stored content as *local* transactions after the provider bound the doc's clientID, so the
 * provider refuses the batch as a foreign local update (and with it whatever the user wrote in
 * the same 16 ms window, such as receipts).
 *
 *   object store 'records'   auto-increment key (append order) → { doc, bytes }, index 'doc'
 *   object store 'snapshots' key docId → bytes
 */
import type { SyncStorage } from 'ymesh'

type StorageLoadResult = Awaited<ReturnType<SyncStorage['load']>>

const RECORDS = 'records'
const SNAPSHOTS = 'snapshots'

interface RecordRow { readonly doc: string, readonly bytes: Uint8Array }

const request = <T>(r: IDBRequest<T>): Promise<T> => new Promise((resolve, reject) => {
  r.onsuccess = () => { resolve(r.result) }
  r.onerror = () => { reject(r.error ?? new Error('IndexedDB request failed')) }
})

const done = (tx: IDBTransaction): Promise<void> => new Promise((resolve, reject) => {
  tx.oncomplete = () => { resolve() }
  tx.onerror = () => { reject(tx.error ?? new Error('IndexedDB transaction failed')) }
  tx.onabort = () => { reject(tx.error ?? new Error('IndexedDB transaction aborted')) }
})

export class IndexedDbStorage implements SyncStorage {
  readonly name: string
  private db: Promise<IDBDatabase> | null = null
  private closed = false

  constructor (name: string, private readonly factory: IDBFactory = indexedDB) {
    this.name = name
  }

  private open (): Promise<IDBDatabase> {
    if (this.closed) return Promise.reject(new Error(`IndexedDB storage ${this.name} is closed; create a new one.`))
    this.db ??= new Promise((resolve, reject) => {
      const r = this.factory.open(this.name, 1)
      r.onupgradeneeded = () => {
        const db = r.result
        db.createObjectStore(RECORDS, { autoIncrement: true }).createIndex('doc', 'doc')
        db.createObjectStore(SNAPSHOTS)
      }
      r.onsuccess = () => { resolve(r.result) }
      r.onerror = () => { reject(r.error ?? new Error(`could not open IndexedDB ${this.name}`)) }
    })
    return this.db
  }

  async append (docId: string, record: Uint8Array): Promise<void> {
    const tx = (await this.open()).transaction(RECORDS, 'readwrite')
    tx.objectStore(RECORDS).add({ doc: docId, bytes: record.slice() } satisfies RecordRow)
    await done(tx)
  }

  async load (docId: string): Promise<StorageLoadResult> {
    const tx = (await this.open()).transaction([RECORDS, SNAPSHOTS], 'readonly')
    // Both requests are made before awaiting: a transaction stays usable only while requests are pending.
    const [rows, snapshot] = await Promise.all([
      request(tx.objectStore(RECORDS).index('doc').getAll(docId) as IDBRequest<RecordRow[]>),
      request(tx.objectStore(SNAPSHOTS).get(docId) as IDBRequest<Uint8Array | undefined>)
    ])
    let corrupt = 0
    const records: Uint8Array[] = []
    for (const row of rows) {
      if (row?.bytes instanceof Uint8Array) records.push(row.bytes)
      else corrupt++
    }
    return { records, snapshot: snapshot instanceof Uint8Array ? snapshot : null, corrupt }
  }

  async replace (docId: string, records: readonly Uint8Array[], snapshot: Uint8Array | null): Promise<void> {
    const tx = (await this.open()).transaction([RECORDS, SNAPSHOTS], 'readwrite')
    const store = tx.objectStore(RECORDS)
    // Deletes and adds are queued from the request's callback, inside the same transaction.
    const keys = store.index('doc').getAllKeys(docId)
    keys.onsuccess = () => {
      for (const key of keys.result) store.delete(key)
      for (const r of records) store.add({ doc: docId, bytes: r.slice() } satisfies RecordRow)
    }
    if (snapshot === null) tx.objectStore(SNAPSHOTS).delete(docId)
    else tx.objectStore(SNAPSHOTS).put(snapshot.slice(), docId)
    await done(tx)
  }

  async listDocs (): Promise<string[]> {
    const tx = (await this.open()).transaction([RECORDS, SNAPSHOTS], 'readonly')
    const [rows, snaps] = await Promise.all([
      request(tx.objectStore(RECORDS).getAll() as IDBRequest<RecordRow[]>),
      request(tx.objectStore(SNAPSHOTS).getAllKeys())
    ])
    return [...new Set([...rows.map((r) => r.doc), ...snaps.map(String)])].sort()
  }

  async remove (docId: string): Promise<void> {
    await this.replace(docId, [], null)
  }

  async close (): Promise<void> {
    this.closed = true
    const db = this.db
    this.db = null
    if (db !== null) (await db.catch(() => null))?.close()
  }
}
