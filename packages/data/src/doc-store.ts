/**
 * Where documents live. The models need nothing more than "some replica that stores the
 * documents": a Replica hands out Y.Docs by id, loads them from a DocStore and persists every
 * update. An anchor is just a Replica that keeps documents it does not read; a provider
 * (MeshProvider, y-webrtc, ...) attaches to the Y.Docs a Replica hands out.
 *
 * DocStore is deliberately tiny (append updates, read them back, compact) so it can sit on
 * @ymesh/sync's store (LevelDB / IndexedDB) later without the models changing.
 */
import * as Y from 'yjs'
import { ObservableV2 } from 'lib0/observable'

export interface DocStore {
  /** Every stored update of `docId`, oldest first; [] for an unknown document. */
  load: (docId: string) => Promise<Uint8Array[]>
  append: (docId: string, update: Uint8Array) => Promise<void>
  /** Replace every stored update of `docId` with one merged state. */
  compact: (docId: string, state: Uint8Array) => Promise<void>
  /** Ids of stored documents starting with `prefix`. */
  list: (prefix: string) => Promise<string[]>
}

/** In-memory DocStore: the reference implementation, and what tests and the simulator use. */
export class MemoryDocStore implements DocStore {
  private readonly docs = new Map<string, Uint8Array[]>()

  async load (docId: string): Promise<Uint8Array[]> {
    return (this.docs.get(docId) ?? []).slice()
  }

  async append (docId: string, update: Uint8Array): Promise<void> {
    let list = this.docs.get(docId)
    if (list === undefined) this.docs.set(docId, (list = []))
    list.push(update.slice())
  }

  async compact (docId: string, state: Uint8Array): Promise<void> {
    this.docs.set(docId, [state.slice()])
  }

  async list (prefix: string): Promise<string[]> {
    return [...this.docs.keys()].filter((id) => id.startsWith(prefix)).sort()
  }

  /** Every stored byte, for tests that scan what rests on a replica (e.g. for plaintext). */
  rawBytes (): Uint8Array[] {
    return [...this.docs.values()].flat()
  }

  byteLength (): number {
    let n = 0
    for (const list of this.docs.values()) for (const u of list) n += u.length
    return n
  }
}

/** Where the models get their documents: a Replica, or anything that opens Y.Docs by id. */
export interface DocSource {
  open: (docId: string) => Promise<Y.Doc>
  /** Drop a loaded document from memory (its updates stay stored). */
  release?: (docId: string) => void
  /** Store an open document as one update instead of the many it was written as. */
  compact?: (docId: string) => Promise<void>
}

export interface ReplicaEvents {
  /** A document was opened (loaded or created) on this replica. */
  'doc-opened': (event: { docId: string, doc: Y.Doc }) => void
}

/** Origin of updates a Replica applies from its own store (not persisted again). */
const LOAD_ORIGIN = Symbol('ymesh-data-load')

/**
 * Y.Docs by id over a DocStore. Every update a document emits is persisted; updates coming
 * back from the store are not. Opening the same id twice gives the same Y.Doc.
 */
export class Replica extends ObservableV2<ReplicaEvents> implements DocSource {
  readonly store: DocStore
  private readonly docs = new Map<string, Promise<Y.Doc>>()
  private readonly pending = new Set<Promise<void>>()
  // Store writes of one document run in the order they were issued: a compaction must not
  // overtake (and then overwrite) an update written before it, nor be overtaken by a later one.
  private readonly writes = new Map<string, Promise<void>>()

  constructor (store: DocStore = new MemoryDocStore()) {
    super()
    this.store = store
  }

  open (docId: string): Promise<Y.Doc> {
    let doc = this.docs.get(docId)
    if (doc === undefined) {
      doc = this.load(docId)
      this.docs.set(docId, doc)
    }
    return doc
  }

  private async load (docId: string): Promise<Y.Doc> {
    const doc = new Y.Doc()
    const updates = await this.store.load(docId)
    if (updates.length > 0) {
      Y.transact(doc, () => { for (const u of updates) Y.applyUpdate(doc, u) }, LOAD_ORIGIN)
    }
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === LOAD_ORIGIN) return
      this.write(docId, () => this.store.append(docId, update))
    })
    this.emit('doc-opened', [{ docId, doc }])
    return doc
  }

  private write (docId: string, op: () => Promise<void>): Promise<void> {
    const previous = this.writes.get(docId)
    const p: Promise<void> = (previous === undefined ? op() : previous.then(op, op)).finally(() => {
      this.pending.delete(p)
      if (this.writes.get(docId) === p) this.writes.delete(docId)
    })
    this.writes.set(docId, p)
    this.pending.add(p)
    return p
  }

  /**
   * Replaces the stored updates of an open document by its current state as one update
   * (loading one update is much faster than replaying thousands). No-op if it is not open.
   */
  async compact (docId: string): Promise<void> {
    const doc = this.docs.get(docId)
    if (doc === undefined) return
    const d = await doc
    // The state is taken when the write runs, after every earlier update was stored.
    await this.write(docId, () => this.store.compact(docId, Y.encodeStateAsUpdate(d)))
  }

  /** Ids of documents this replica has open now. */
  openIds (): string[] {
    return [...this.docs.keys()]
  }

  /** Ids of documents held by this replica (open or only stored), starting with `prefix`. */
  async ids (prefix = ''): Promise<string[]> {
    const stored = await this.store.list(prefix)
    return [...new Set([...stored, ...this.openIds().filter((id) => id.startsWith(prefix))])].sort()
  }

  isOpen (docId: string): boolean {
    return this.docs.has(docId)
  }

  release (docId: string): void {
    const doc = this.docs.get(docId)
    if (doc === undefined) return
    this.docs.delete(docId)
    void doc.then((d) => { d.destroy() })
  }

  /** Resolves when every update emitted so far is in the store. */
  async flush (): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending])
  }

  /** Releases every document; the store keeps them. */
  async close (): Promise<void> {
    await this.flush()
    for (const id of [...this.docs.keys()]) this.release(id)
  }
}
