/**
 * Browser SyncStorage on the raw IndexedDB API (no dependency). One database per namespace,
 * `ymesh-sync:<namespace>`, with three object stores:
 *
 *   records    key [docId, seq]  value Uint8Array   the append-only log, seq from 0
 *   docs       key docId         value { next }     next seq; also the list of documents
 *   snapshots  key docId         value Uint8Array
 *
 * Every operation is one transaction, so replace() (delete the range, write the new log,
 * the counter and the snapshot) is atomic, and concurrent appends from this tab or another
 * are serialised by IndexedDB itself (readwrite transactions on the same stores never
 * overlap). Writes ask for 'strict' durability by default: the promise resolves once the
 * browser has flushed the data, as append() promises. Failures (QuotaExceededError among
 * them) reject with StorageError naming the cause; IndexedDB checksums its own pages, so a
 * value that does not come back as bytes is counted as corrupt and skipped, and altered
 * bytes are DocStore's MAC's to catch.
 */
import { StorageError } from '../errors.js'
import type { StorageLoadResult, SyncStorage } from './sync-storage.js'

const VERSION = 1
const RECORDS = 'records'
const DOCS = 'docs'
const SNAPSHOTS = 'snapshots'

export interface IndexedDbStorageOptions {
  /** Names the database `ymesh-sync:<namespace>`; one namespace per identity or app. Default 'default'. */
  readonly namespace?: string
  /** The IndexedDB factory. Default `globalThis.indexedDB` (inject one in tests or workers). */
  readonly indexedDB?: IDBFactory
  /** IDBKeyRange of the same implementation as `indexedDB`. Default `globalThis.IDBKeyRange`. */
  readonly keyRange?: typeof IDBKeyRange
  /** Durability hint for writes. Default 'strict' (resolve after the data is flushed). */
  readonly durability?: IDBTransactionDurability
}

/** Structured clone copies a view's whole buffer: store exactly the bytes. */
const own = (bytes: Uint8Array): Uint8Array =>
  bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice()

const describe = (err: unknown): string => err instanceof Error || err instanceof DOMException ? `${err.name}: ${err.message}` : String(err)

export class IndexedDbStorage implements SyncStorage {
  /** The database this storage opens. */
  readonly databaseName: string
  private readonly factory: IDBFactory | undefined
  private readonly durability: IDBTransactionDurability
  private readonly keyRange: typeof IDBKeyRange | undefined
  private database: Promise<IDBDatabase> | null = null
  private readonly inFlight = new Set<Promise<unknown>>()
  /** Exceptions thrown while issuing requests: they abort the transaction, and are its cause. */
  private readonly failures = new WeakMap<IDBTransaction, unknown>()
  private closed = false

  constructor (options: IndexedDbStorageOptions = {}) {
    this.databaseName = `ymesh-sync:${options.namespace ?? 'default'}`
    this.factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
    this.keyRange = options.keyRange ?? (globalThis as { IDBKeyRange?: typeof IDBKeyRange }).IDBKeyRange
    this.durability = options.durability ?? 'strict'
  }

  async append (docId: string, record: Uint8Array): Promise<void> {
    const value = own(record)
    await this.run(docId, [RECORDS, DOCS], 'readwrite', (tx) => {
      const docs = tx.objectStore(DOCS)
      const read = docs.get(docId)
      read.onsuccess = this.guard(tx, () => {
        const next = nextOf(read.result)
        tx.objectStore(RECORDS).add(value, [docId, next])
        docs.put({ next: next + 1 }, docId)
      })
      return () => undefined
    })
  }

  async load (docId: string): Promise<StorageLoadResult> {
    return await this.run(docId, [RECORDS, SNAPSHOTS], 'readonly', (tx) => {
      const records = tx.objectStore(RECORDS).getAll(this.logRange(docId))
      const snapshot = tx.objectStore(SNAPSHOTS).get(docId)
      return () => {
        const out: Uint8Array[] = []
        let corrupt = 0
        for (const value of records.result as unknown[]) {
          if (value instanceof Uint8Array) out.push(value)
          else corrupt++
        }
        const snap = snapshot.result as unknown
        if (snap !== undefined && !(snap instanceof Uint8Array)) corrupt++
        return { records: out, snapshot: snap instanceof Uint8Array ? snap : null, corrupt }
      }
    })
  }

  async replace (docId: string, records: readonly Uint8Array[], snapshot: Uint8Array | null): Promise<void> {
    const values = records.map(own)
    const snap = snapshot === null ? null : own(snapshot)
    await this.run(docId, [RECORDS, DOCS, SNAPSHOTS], 'readwrite', (tx) => {
      const store = tx.objectStore(RECORDS)
      store.delete(this.logRange(docId))
      values.forEach((value, i) => { store.add(value, [docId, i]) })
      tx.objectStore(DOCS).put({ next: values.length }, docId)
      if (snap === null) tx.objectStore(SNAPSHOTS).delete(docId)
      else tx.objectStore(SNAPSHOTS).put(snap, docId)
      return () => undefined
    })
  }

  async listDocs (): Promise<string[]> {
    return await this.run(null, [DOCS], 'readonly', (tx) => {
      const keys = tx.objectStore(DOCS).getAllKeys()
      return () => (keys.result as unknown[]).filter((k): k is string => typeof k === 'string')
    })
  }

  async remove (docId: string): Promise<void> {
    await this.run(docId, [RECORDS, DOCS, SNAPSHOTS], 'readwrite', (tx) => {
      tx.objectStore(RECORDS).delete(this.logRange(docId))
      tx.objectStore(DOCS).delete(docId)
      tx.objectStore(SNAPSHOTS).delete(docId)
      return () => undefined
    })
  }

  /** Waits for operations under way, then closes the database connection. */
  async close (): Promise<void> {
    this.closed = true
    await Promise.allSettled([...this.inFlight])
    const database = this.database
    this.database = null
    if (database !== null) await database.then((db) => { db.close() }, () => undefined)
  }

  /**
   * One transaction: `body` issues its requests and returns how to read the result once the
   * transaction has completed (committed), so a resolved write is a committed write.
   */
  private async run<T> (docId: string | null, stores: string[], mode: IDBTransactionMode, body: (tx: IDBTransaction) => () => T): Promise<T> {
    if (this.closed) throw new StorageError(`This IndexedDbStorage (${this.databaseName}) was closed; create a new one.`)
    const work = (async () => {
      const db = await this.open()
      return await new Promise<T>((resolve, reject) => {
        let tx: IDBTransaction
        try {
          tx = db.transaction(stores, mode, { durability: mode === 'readwrite' ? this.durability : 'default' })
        } catch (err) {
          // The connection was closed under us (another tab upgraded, or the browser closed it).
          this.database = null
          reject(err)
          return
        }
        let result: (() => T) | null = null
        tx.oncomplete = () => {
          try {
            resolve(result!())
          } catch (err) {
            reject(err)
          }
        }
        tx.onabort = () => { reject(this.failures.get(tx) ?? tx.error ?? new DOMException('The transaction was aborted.', 'AbortError')) }
        try {
          result = body(tx)
        } catch (err) {
          this.abort(tx, err)
        }
      })
    })()
    this.inFlight.add(work)
    try {
      return await work
    } catch (err) {
      throw this.storageError(docId, err)
    } finally {
      this.inFlight.delete(work)
    }
  }

  private logRange (docId: string): IDBKeyRange {
    return this.keyRange!.bound([docId, 0], [docId, Infinity])
  }

  private guard (tx: IDBTransaction, callback: () => void): () => void {
    return () => {
      try {
        callback()
      } catch (err) {
        this.abort(tx, err)
      }
    }
  }

  private abort (tx: IDBTransaction, err: unknown): void {
    this.failures.set(tx, err)
    try {
      tx.abort()
    } catch { /* already finished or aborting: onabort reports the first cause */ }
  }

  private async open (): Promise<IDBDatabase> {
    const factory = this.factory
    if (factory === undefined || this.keyRange === undefined) throw new StorageError('IndexedDB is not available here: pass options.indexedDB, or use MemoryStorage (tests) or FileStorage (Node).')
    this.database ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open(this.databaseName, VERSION)
      request.onupgradeneeded = () => {
        const db = request.result
        for (const name of [RECORDS, DOCS, SNAPSHOTS]) if (!db.objectStoreNames.contains(name)) db.createObjectStore(name)
      }
      request.onsuccess = () => {
        const db = request.result
        // Let another tab upgrade or delete the database; the next call reopens.
        db.onversionchange = () => {
          db.close()
          this.database = null
        }
        db.onclose = () => { this.database = null }
        resolve(db)
      }
      request.onerror = () => { reject(request.error ?? new DOMException('indexedDB.open failed.', 'UnknownError')) }
      request.onblocked = () => { /* an older connection elsewhere will close on versionchange; the open then proceeds */ }
    })
    try {
      return await this.database
    } catch (err) {
      this.database = null
      throw err
    }
  }

  private storageError (docId: string | null, err: unknown): StorageError {
    if (err instanceof StorageError) return err
    const what = docId === null ? `IndexedDB database '${this.databaseName}'` : `document '${docId}' in IndexedDB database '${this.databaseName}'`
    const name = (err as { name?: unknown } | null)?.name
    if (name === 'QuotaExceededError') {
      return new StorageError(`Browser storage is full (QuotaExceededError) while writing ${what}. The document stays in memory; free space, remove unused documents, or ask for persistent storage (navigator.storage.persist()).`, { cause: err })
    }
    return new StorageError(`IndexedDB failed for ${what} (${describe(err)}). The document stays in memory; reload the page, or clear the site's data if the database is damaged.`, { cause: err })
  }
}

const nextOf = (value: unknown): number => {
  const next = (value as { next?: unknown } | undefined)?.next
  return typeof next === 'number' && Number.isSafeInteger(next) && next >= 0 ? next : 0
}
