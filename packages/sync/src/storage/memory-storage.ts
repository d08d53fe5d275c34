/** In-memory SyncStorage: for tests, the simulator, and peers that persist nothing. */
import { StorageError } from '../errors.js'
import type { StorageLoadResult, SyncStorage } from './sync-storage.js'

export class MemoryStorage implements SyncStorage {
  private readonly docs = new Map<string, { records: Uint8Array[], snapshot: Uint8Array | null }>()
  private closed = false

  async append (docId: string, record: Uint8Array): Promise<void> {
    this.doc(docId).records.push(record.slice())
  }

  async load (docId: string): Promise<StorageLoadResult> {
    this.check()
    const doc = this.docs.get(docId)
    return { records: doc?.records.map((r) => r.slice()) ?? [], snapshot: doc?.snapshot?.slice() ?? null, corrupt: 0 }
  }

  async replace (docId: string, records: readonly Uint8Array[], snapshot: Uint8Array | null): Promise<void> {
    this.check()
    this.docs.set(docId, { records: records.map((r) => r.slice()), snapshot: snapshot?.slice() ?? null })
  }

  async listDocs (): Promise<string[]> {
    this.check()
    return [...this.docs.keys()]
  }

  async remove (docId: string): Promise<void> {
    this.check()
    this.docs.delete(docId)
  }

  async close (): Promise<void> {
    this.closed = true
  }


  private doc (docId: string): { records: Uint8Array[], snapshot: Uint8Array | null } {
    this.check()
    let doc = this.docs.get(docId)
    if (doc === undefined) {
      doc = { records: [], snapshot: null }
      this.docs.set(docId, doc)
    }
    return doc
  }

  private check (): void {
    if (this.closed) throw new StorageError('This MemoryStorage was closed; create a new one.')
  }
}
