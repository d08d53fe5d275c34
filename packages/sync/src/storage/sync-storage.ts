/**
 * The storage plug-in point: an append-only list of opaque records per document, plus one
 * snapshot per document. Implementations store bytes; integrity (a MAC per record) and
 * meaning live above them, in DocStore, so every backend gets the same tamper detection.
 * Every implementation runs test/storage-acceptance.ts.
 */

export interface StorageLoadResult {
  /** Records in append order (corrupt ones already skipped by the backend's framing). */
  readonly records: readonly Uint8Array[]
  /** The latest snapshot, or null. */
  readonly snapshot: Uint8Array | null
  /** Records the backend could not read (framing/checksum failures): skipped, reported. */
  readonly corrupt: number
}

export interface SyncStorage {
  /** Appends one record to `docId`'s log, durably before the promise resolves. */
  append(docId: string, record: Uint8Array): Promise<void>
  /** Every record and the snapshot of `docId` (empty when unknown). */
  load(docId: string): Promise<StorageLoadResult>
  /** Atomically replaces `docId`'s records and snapshot (compaction). */
  replace(docId: string, records: readonly Uint8Array[], snapshot: Uint8Array | null): Promise<void>
  /** Ids of every stored document. */
  listDocs(): Promise<string[]>
  /** Removes a document. */
  remove(docId: string): Promise<void>
  /** Releases the backend; later calls reject with StorageError. */
  close(): Promise<void>
}
