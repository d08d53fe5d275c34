/**
 * A DocStore (@ymesh/data) on the file system: one append-only file per document of
 * length-prefixed updates. A torn write at the end (the process died mid-append) loses only
 * that update: loading stops at the first incomplete frame. compact() writes a new file and
 * renames it over the old one, so a crash leaves either the old or the new file.
 */
import { appendFile, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DocStore } from '@ymesh/data'

const FILE_SUFFIX = '.ylog'
const MAX_FRAME = 64 * 1024 * 1024

const frame = (update: Uint8Array): Uint8Array => {
  const out = new Uint8Array(4 + update.length)
  new DataView(out.buffer).setUint32(0, update.length)
  out.set(update, 4)
  return out
}

export class FileDocStore implements DocStore {
  readonly dir: string
  private ready: Promise<void> | null = null

  constructor (dir: string) {
    this.dir = dir
  }

  private ensureDir (): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true }).then(() => undefined)
    return this.ready
  }

  private path (docId: string): string {
    return join(this.dir, encodeURIComponent(docId) + FILE_SUFFIX)
  }

  async load (docId: string): Promise<Uint8Array[]> {
    let bytes: Uint8Array
    try {
      bytes = new Uint8Array(await readFile(this.path(docId)))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const updates: Uint8Array[] = []
    let at = 0
    while (at + 4 <= bytes.length) {
      const length = view.getUint32(at)
      if (length > MAX_FRAME || at + 4 + length > bytes.length) break
      updates.push(bytes.slice(at + 4, at + 4 + length))
      at += 4 + length
    }
    return updates
  }

  async append (docId: string, update: Uint8Array): Promise<void> {
    await this.ensureDir()
    await appendFile(this.path(docId), frame(update))
  }

  async compact (docId: string, state: Uint8Array): Promise<void> {
    await this.ensureDir()
    const tmp = `${this.path(docId)}.tmp`
    await writeFile(tmp, frame(state))
    await rename(tmp, this.path(docId))
  }

  async list (prefix: string): Promise<string[]> {
    await this.ensureDir()
    return (await readdir(this.dir))
      .filter((f) => f.endsWith(FILE_SUFFIX))
      .map((f) => decodeURIComponent(f.slice(0, -FILE_SUFFIX.length)))
      .filter((id) => id.startsWith(prefix))
      .sort()
  }
}
