import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Replica } from '@ymesh/data'
import { FileDocStore } from '../../src/anchor/file-doc-store.js'
import { loadOrCreateIdentity } from '../../src/anchor/identity-file.js'

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'ymesh-store-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

describe('FileDocStore', () => {
  it('keeps a document across replicas (restart) and compacts to one update', async () => {
    const a = new Replica(new FileDocStore(dir))
    const doc = await a.open('room:general')
    doc.getArray('messages').push([{ id: '1', text: 'hello' }])
    doc.getArray('messages').push([{ id: '2', text: 'world' }])
    await a.close()
    const store = new FileDocStore(dir)
    expect(await store.load('room:general')).toHaveLength(2)
    const b = new Replica(store)
    const again = await b.open('room:general')
    expect(again.getArray('messages').toJSON()).toEqual([{ id: '1', text: 'hello' }, { id: '2', text: 'world' }])
    await b.compact('room:general')
    expect(await store.load('room:general')).toHaveLength(1)
    expect(await store.list('room:')).toEqual(['room:general'])
    expect(await store.list('x')).toEqual([])
    await b.close()
  })

  it('loses only a torn last write', async () => {
    const store = new FileDocStore(dir)
    const d = new Y.Doc()
    d.getText('t').insert(0, 'kept')
    await store.append('a/b', Y.encodeStateAsUpdate(d))
    await appendFile(join(dir, `${encodeURIComponent('a/b')}.ylog`), new Uint8Array([0, 0, 1, 0, 9, 9]))
    const loaded = await store.load('a/b')
    expect(loaded).toHaveLength(1)
    const e = new Y.Doc()
    Y.applyUpdate(e, loaded[0]!)
    expect(e.getText('t').toString()).toBe('kept')
    expect(await store.load('missing')).toEqual([])
  })
})

describe('anchor identity file', () => {
  it('creates an identity once and loads the same one after', async () => {
    const first = await loadOrCreateIdentity(dir)
    const second = await loadOrCreateIdentity(dir)
    expect(first.created).toBe(true)
    expect(second.created).toBe(false)
    expect(second.identity.peerId).toBe(first.identity.peerId)
    expect(JSON.parse(await readFile(join(dir, 'identity.json'), 'utf8')).format).toBe('ymesh-identity')
  })

  it('says how to recover from a damaged file', async () => {
    await writeFile(join(dir, 'identity.json'), '{oops')
    await expect(loadOrCreateIdentity(dir)).rejects.toThrow(/delete it to give this anchor a new identity/)
  })
})
