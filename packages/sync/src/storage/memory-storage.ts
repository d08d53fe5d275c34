/** In-memory SyncStorage: for tests, the simulator, and peers that persist nothing. */
import { StorageError } from '../errors.js'
import type { StorageLoadResult, SyncStorage } from './sync-storage.js'

/** Copies (callers may not alter what is stored) into one buffer: one allocation, not one per record. */
const copyAll = (records: readonly Uint8Array[]): Uint8Array[] => {
  let total = 0
  for (const r of records) total += r.length
  const all = new Uint8Array(total)
  const out: Uint8Array[] = new Array(records.length)
  let pos = 0
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!
    all.set(r, pos)
    out[i] = all.subarray(pos, pos + r.length)
    pos += r.length
  }
  return out
}

export class MemoryStorage implements SyncStorage {
  private readonly docs = new Map<string, { records: Uint8Array[], snapshot: Uint8Array | null }>()
  private closed = false

  async append (docId: string, record: Uint8Array): Promise<void> {
    this.doc(docId).records.push(record.slice())
  }

  async load (docId: string): Promise<StorageLoadResult> {
    this.check()
    const doc = this.docs.get(docId)
    return { records: copyAll(doc?.records ?? []), snapshot: doc?.snapshot?.slice() ?? null, corrupt: 0 }
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
