/**
 * A SyncStorage that tells, per document, when a write has completed (and is therefore on
 * disk, FileStorage writes being durable when their promise resolves). The anchor uses it to
 * publish only what it has persisted.
 */
import type { SyncStorage } from '@ymesh/sync'

export class ObservedStorage implements SyncStorage {
  private readonly listeners = new Map<string, Set<() => void>>()

  constructor (readonly inner: SyncStorage) {}

  /** Calls `listener` after each completed write of `docId`; returns the unsubscribe function. */
  onWritten (docId: string, listener: () => void): () => void {
    let set = this.listeners.get(docId)
    if (set === undefined) this.listeners.set(docId, set = new Set())
    set.add(listener)
    return () => { set.delete(listener) }
  }

  private written (docId: string): void {
    for (const l of this.listeners.get(docId) ?? []) l()
  }

  async append (docId: string, record: Uint8Array): Promise<void> {
    await this.inner.append(docId, record)
    this.written(docId)
  }

  async replace (docId: string, records: readonly Uint8Array[], snapshot: Uint8Array | null): Promise<void> {
    await this.inner.replace(docId, records, snapshot)
    this.written(docId)
  }

  load (docId: string): ReturnType<SyncStorage['load']> { return this.inner.load(docId) }
  listDocs (): Promise<string[]> { return this.inner.listDocs() }
  remove (docId: string): Promise<void> { return this.inner.remove(docId) }
  close (): Promise<void> { return this.inner.close() }
}
