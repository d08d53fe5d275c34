import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { AuthenticatedDoc, DocStore, MemoryStorage, storeKeyFromBytes, storeKeyFromIdentity, type StorageError, type SyncStorage } from '@ymesh/sync'
import { FileStorage } from '../src/node.js'
import { storageAcceptance } from './storage-acceptance.js'
import { ManualClock, docHash, identity } from './helpers.js'

const dirs: string[] = []
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }) })
const tempDir = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), 'ymesh-sync-'))
  dirs.push(d)
  return d
}

// MemoryStorage keeps nothing outside the process: "reopening" copies its contents.
storageAcceptance('MemoryStorage', {
  create: async () => new MemoryStorage(),
  reopen: async (old) => {
    const m = old as MemoryStorage
    const copy = new MemoryStorage()
    for (const id of await m.listDocs()) {
      const { records, snapshot } = await m.load(id)
      if (snapshot !== null || records.length > 0) await copy.replace(id, records, snapshot)
    }
    await m.close()
    return copy
  }
})

const fileDirs = new WeakMap<SyncStorage, string>()
storageAcceptance('FileStorage', {
  create: async () => {
    const directory = await tempDir()
    const s = new FileStorage({ directory, fsync: false })
    fileDirs.set(s, directory)
    return s
  },
  reopen: async (old) => {
    await old.close()
    const directory = fileDirs.get(old)!
    const s = new FileStorage({ directory })
    fileDirs.set(s, directory)
    return s
  },
  corrupt: async (s, _docId, index) => {
    const directory = fileDirs.get(s)!
    const [name] = (await readdir(directory)).filter((n) => n.endsWith('.ylog'))
    const path = join(directory, name!)
    const data = await readFile(path)
    // Frames: doc id (13 + 1 bytes for 'a'), then records of 13 + 40 bytes.
    const at = 14 + index * 53 + 13 + 20
    data[at] = data[at]! ^ 0xff
    data[at - 25] = data[at - 25]! ^ 0xff // and the frame header too: resync must find the next magic
    await writeFile(path, data)
  }
})

/** A SyncStorage that damages one stored record when loaded: tampering at rest. */
class TamperingStorage extends MemoryStorage {
  tamper = -1
  override async load (docId: string): ReturnType<MemoryStorage['load']> {
    const result = await super.load(docId)
    const records = result.records.map((r, i) => {
      if (i !== this.tamper) return r
      const copy = r.slice()
      copy[Math.floor(copy.length / 2)]! ^= 1
      return copy
    })
    return { ...result, records }
  }
}

class FailingStorage extends MemoryStorage {
  override async append (): Promise<void> { throw new Error('QuotaExceededError: the quota has been exceeded') }
}

describe('persistence', () => {
  const clock = new ManualClock()

  it('restores a document at once, offline, from a MAC-checked store without re-verifying signatures', async () => {
    const id = await identity(1)
    const storage = new MemoryStorage()
    const key = await storeKeyFromIdentity(id)
    const a = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'd', identity: id, clock, store: new DocStore(storage, 'd', key) })
    await a.start()
    for (let i = 0; i < 5; i++) {
      a.doc.getText('t').insert(0, `${i}`)
      await a.flush()
    }
    a.doc.getText('t').delete(0, 1)
    await a.stop()
    const restarted = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'd', identity: id, clock, store: new DocStore(storage, 'd', await storeKeyFromIdentity(id)) })
    await restarted.start()
    expect(restarted.doc.getText('t').toString()).toBe('3210')
    expect(restarted.stats.verified).toBe(0)
    expect(restarted.doc.clientID).not.toBe(a.doc.clientID)
    // Compaction rewrites the store with a snapshot; the next load still shows everything.
    await restarted.compact()
    restarted.doc.getText('t').insert(0, 'x')
    await restarted.stop()
    const third = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'd', identity: id, clock, store: new DocStore(storage, 'd', key) })
    await third.start()
    expect(third.doc.getText('t').toString()).toBe('x3210')
    expect(docHash(third.doc)).toBe(docHash(restarted.doc))
    expect(third.log.size).toBe(2)
    await third.stop()
  })

  it('detects a tampered stored record, reports it, and loads everything else', async () => {
    const id = await identity(1)
    const storage = new TamperingStorage()
    const key = await storeKeyFromBytes(new Uint8Array(32).fill(3))
    const a = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'd', identity: id, clock, store: new DocStore(storage, 'd', key) })
    await a.start()
    const text = a.doc.getText('t')
    text.insert(0, 'a')
    await a.flush()
    text.insert(1, 'b')
    await a.flush()
    await a.stop()
    // A second author's record, independent of the first: still loads when the first is bad.
    const b = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'd', identity: await identity(2), clock, store: new DocStore(storage, 'd', key) })
    await b.start()
    b.doc.getText('u').insert(0, 'kept')
    await b.stop()
    storage.tamper = 0
    const errors: StorageError[] = []
    const c = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'd', identity: id, clock, store: new DocStore(storage, 'd', key) })
    c.on('storage-error', ({ error }) => { errors.push(error) })
    await c.start()
    expect(errors.map((e) => e.name)).toEqual(['StorageCorruptionError'])
    expect(errors[0]!.message).toMatch(/1 stored record/)
    expect(c.doc.getText('u').toString()).toBe('kept')
    expect(c.doc.getText('t').toString()).toBe('') // 'b' waits for 'a', which peers will resend
    await c.stop()
    // A store opened with another key trusts nothing in it.
    const foreign = await new DocStore(storage, 'd', await storeKeyFromBytes(new Uint8Array(32).fill(4))).load()
    expect(foreign.signed).toEqual([])
    expect(foreign.corrupt).toBeGreaterThan(0)
  })

  it('surfaces storage failures as events and keeps the in-memory document', async () => {
    const id = await identity(1)
    const a = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'd', identity: id, clock, store: new DocStore(new FailingStorage(), 'd', await storeKeyFromIdentity(id)) })
    const errors: StorageError[] = []
    a.on('storage-error', ({ error }) => { errors.push(error) })
    await a.start()
    a.doc.getText('t').insert(0, 'still here')
    await a.flush()
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(/Quota/)
    expect(a.doc.getText('t').toString()).toBe('still here')
    await a.stop()
  })

  it('FileStorage: a restarted peer shows its documents from disk', async () => {
    const directory = await tempDir()
    const id = await identity(1)
    const key = await storeKeyFromIdentity(id)
    const a = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'notes', identity: id, clock, store: new DocStore(new FileStorage({ directory }), 'notes', key) })
    await a.start()
    a.doc.getText('t').insert(0, 'on disk')
    await a.stop()
    const storage = new FileStorage({ directory })
    expect(await storage.listDocs()).toEqual(['notes'])
    const b = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'notes', identity: id, clock, store: new DocStore(storage, 'notes', key) })
    await b.start()
    expect(b.doc.getText('t').toString()).toBe('on disk')
    await b.stop()
    await storage.close()
  })
})
