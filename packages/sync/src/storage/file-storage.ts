/**
 * Node SyncStorage on an embedded append-only file store: one file per document in a
 * directory, each a sequence of frames
 *
 *   frame = magic 'YMR1' (4) ‖ kind (1) ‖ length u32le (4) ‖ crc32(payload) u32le (4) ‖ payload
 *   kind  = 0 record | 1 snapshot | 2 document id (first frame of every file)
 *
 * A torn write or flipped bytes break one frame's checksum; the reader then scans forward
 * to the next magic whose frame checks out, so one bad record costs that record only.
 * replace() writes a new file and renames it over the old one (atomic on POSIX).
 * Node only (node:fs); browsers use IndexedDbStorage.
 */
import { createHash } from 'node:crypto'
import { mkdir, open, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { StorageError } from '../errors.js'
import type { StorageLoadResult, SyncStorage } from './sync-storage.js'

const MAGIC = Buffer.from('YMR1', 'latin1')
const HEADER = 13
const KIND_RECORD = 0
const KIND_SNAPSHOT = 1
const KIND_DOC_ID = 2
const SUFFIX = '.ylog'

export interface FileStorageOptions {
  /** Directory holding one file per document; created if missing. */
  readonly directory: string
  /** fsync every append and replace before resolving. Default true. */
  readonly fsync?: boolean
}

const frame = (kind: number, payload: Uint8Array): Buffer => {
  const header = Buffer.alloc(HEADER)
  MAGIC.copy(header, 0)
  header.writeUInt8(kind, 4)
  header.writeUInt32LE(payload.length, 5)
  header.writeUInt32LE(crc32(payload), 9)
  return Buffer.concat([header, payload])
}

interface Parsed { docId: string | null, records: Uint8Array[], snapshot: Uint8Array | null, corrupt: number }

const parse = (data: Buffer): Parsed => {
  const out: Parsed = { docId: null, records: [], snapshot: null, corrupt: 0 }
  let pos = 0
  let skipping = false
  while (pos + HEADER <= data.length) {
    const ok = data.compare(MAGIC, 0, 4, pos, pos + 4) === 0
    const length = ok ? data.readUInt32LE(pos + 5) : 0
    const kind = ok ? data.readUInt8(pos + 4) : -1
    if (ok && kind <= KIND_DOC_ID && pos + HEADER + length <= data.length) {
      const payload = data.subarray(pos + HEADER, pos + HEADER + length)
      if (crc32(payload) === data.readUInt32LE(pos + 9)) {
        // Views into the file's one buffer: the log keeps every record anyway.
        if (kind === KIND_RECORD) out.records.push(new Uint8Array(payload.buffer, payload.byteOffset, payload.length))
        else if (kind === KIND_SNAPSHOT) out.snapshot = new Uint8Array(payload)
        else out.docId = payload.toString('utf8')
        pos += HEADER + length
        skipping = false
        continue
      }
    }
    if (!skipping) out.corrupt++
    skipping = true
    const nextMagic = data.indexOf(MAGIC, pos + 1)
    if (nextMagic === -1) break
    pos = nextMagic
  }
  if (pos < data.length && pos + HEADER > data.length && !skipping) out.corrupt++
  return out
}

export class FileStorage implements SyncStorage {
  private readonly directory: string
  private readonly fsync: boolean
  private readonly queues = new Map<string, Promise<unknown>>()
  private closed = false
  private ready: Promise<void> | null = null

  constructor (options: FileStorageOptions) {
    this.directory = options.directory
    this.fsync = options.fsync ?? true
  }

  async append (docId: string, record: Uint8Array): Promise<void> {
    await this.serial(docId, async () => {
      const path = this.pathOf(docId)
      const handle = await open(path, 'a')
      try {
        const { size } = await handle.stat()
        const parts = size === 0 ? [frame(KIND_DOC_ID, Buffer.from(docId, 'utf8')), frame(KIND_RECORD, record)] : [frame(KIND_RECORD, record)]
        await handle.write(Buffer.concat(parts))
        if (this.fsync) await handle.datasync()
      } finally {
        await handle.close()
      }
    })
  }

  async load (docId: string): Promise<StorageLoadResult> {
    return await this.serial(docId, async () => {
      const data = await this.read(this.pathOf(docId))
      if (data === null) return { records: [], snapshot: null, corrupt: 0 }
      const { records, snapshot, corrupt } = parse(data)
      return { records, snapshot, corrupt }
    })
  }

  async replace (docId: string, records: readonly Uint8Array[], snapshot: Uint8Array | null): Promise<void> {
    await this.serial(docId, async () => {
      const path = this.pathOf(docId)
      const parts = [frame(KIND_DOC_ID, Buffer.from(docId, 'utf8'))]
      if (snapshot !== null) parts.push(frame(KIND_SNAPSHOT, snapshot))
      for (const r of records) parts.push(frame(KIND_RECORD, r))
      const tmp = `${path}.tmp`
      await writeFile(tmp, Buffer.concat(parts), { flush: this.fsync })
      await rename(tmp, path)
    })
  }

  async listDocs (): Promise<string[]> {
    await this.init()
    const ids: string[] = []
    for (const name of await readdir(this.directory)) {
      if (!name.endsWith(SUFFIX)) continue
      const data = await this.read(join(this.directory, name))
      const docId = data === null ? null : parse(data.subarray(0, Math.min(data.length, HEADER + 1024))).docId
      if (docId !== null) ids.push(docId)
    }
    return ids
  }

  async remove (docId: string): Promise<void> {
    await this.serial(docId, async () => { await rm(this.pathOf(docId), { force: true }) })
  }

  async close (): Promise<void> {
    this.closed = true
    await Promise.allSettled([...this.queues.values()])
  }

  private pathOf (docId: string): string {
    return join(this.directory, createHash('sha256').update(docId, 'utf8').digest('hex') + SUFFIX)
  }

  private async read (path: string): Promise<Buffer | null> {
    try {
      return await readFile(path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
  }

  private async init (): Promise<void> {
    if (this.closed) throw new StorageError(`This FileStorage (${this.directory}) was closed; create a new one.`)
    this.ready ??= mkdir(this.directory, { recursive: true }).then(() => undefined)
    await this.ready
  }

  private async serial<T> (docId: string, work: () => Promise<T>): Promise<T> {
    await this.init()
    const previous = this.queues.get(docId) ?? Promise.resolve()
    const run = previous.then(work, work)
    const settled = run.catch(() => undefined)
    this.queues.set(docId, settled)
    try {
      return await run
    } catch (err) {
      throw new StorageError(`File storage failed for document '${docId}' in ${this.directory}: ${err instanceof Error ? err.message : String(err)}. Check free space and permissions.`, { cause: err })
    } finally {
      if (this.queues.get(docId) === settled) this.queues.delete(docId)
    }
  }
}
