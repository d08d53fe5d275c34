import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { generateIdentity } from '@ymesh/crypto'
import {
  PendingQueue, SyncMessageType, UpdateLog, analyseUpdate, createSignedUpdate, decodeSignedAwareness, decodeSignedUpdate,
  decodeSyncMessage, dependencyStatus, encodeSyncMessage, verifySignedUpdate
} from '@ymesh/sync'

describe('signed update codec', () => {
  it('round-trips, verifies, and refuses malformed headers', async () => {
    const id = await generateIdentity({ seed: new Uint8Array(32).fill(1) })
    const header = { docId: 'd', clientIndex: 3, clientId: 2 ** 53 - 1, seqStart: 0, seqEnd: 2, clockStart: 5, clockEnd: 9, sealed: true }
    const u = await createSignedUpdate(id, header, new Uint8Array([1, 2, 3]))
    const d = decodeSignedUpdate(u.bytes)
    expect(d).toMatchObject({ ...header, author: id.peerId })
    expect(await verifySignedUpdate(d)).toBe(true)
    await expect(createSignedUpdate(id, { ...header, seqEnd: 0 }, new Uint8Array())).rejects.toMatchObject({ name: 'InvalidMessageError' })
    await expect(createSignedUpdate(id, { ...header, clockEnd: 1 }, new Uint8Array())).rejects.toMatchObject({ name: 'InvalidMessageError' })
    await expect(createSignedUpdate(id, { ...header, docId: '' }, new Uint8Array())).rejects.toMatchObject({ name: 'InvalidMessageError' })
    await expect(createSignedUpdate(id, { ...header, clientId: 0 }, new Uint8Array())).rejects.toMatchObject({ name: 'InvalidMessageError' })
    await expect(createSignedUpdate(id, { ...header, clientIndex: -1 }, new Uint8Array())).rejects.toMatchObject({ name: 'InvalidMessageError' })
    const v2 = u.bytes.slice()
    v2[0] = 2
    expect(() => decodeSignedUpdate(v2)).toThrow(expect.objectContaining({ name: 'UnsupportedVersionError' }))
    expect(() => decodeSignedUpdate(u.bytes.subarray(0, 20))).toThrow(expect.objectContaining({ name: 'InvalidMessageError' }))
    expect(() => decodeSignedAwareness(new Uint8Array([2]))).toThrow(expect.objectContaining({ name: 'UnsupportedVersionError' }))
  })

  it('round-trips every sync message and refuses duplicate vector entries', () => {
    const messages = [
      { type: SyncMessageType.SyncRequest, logVector: new Map([[1, 2]]), stateVector: new Map([[3, 4]]) },
      { type: SyncMessageType.SyncResponse, updates: [new Uint8Array([1])], unsigned: [new Uint8Array([2])] },
      { type: SyncMessageType.UnsignedUpdate, update: new Uint8Array([7]) }
    ] as const
    for (const m of messages) expect(decodeSyncMessage(encodeSyncMessage(m))).toEqual(m)
    expect(() => decodeSyncMessage(new Uint8Array([0, 2, 1, 1, 1, 1, 0]))).toThrow(/twice/)
  })
})

describe('update analysis', () => {
  it('finds ranges and dependencies, and refuses gaps', () => {
    const a = new Y.Doc()
    a.clientID = 1
    a.getText('t').insert(0, 'ab')
    const b = new Y.Doc()
    b.clientID = 2
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
    const sv = Y.encodeStateVector(b)
    b.getText('t').insert(1, 'x')
    b.getText('t').delete(0, 1)
    const update = Y.encodeStateAsUpdate(b, sv)
    const analysis = analyseUpdate(update)
    expect([...analysis.ranges]).toEqual([[2, [0, 1]]])
    expect(dependencyStatus(analysis, () => 0)).toBe('missing')
    expect(dependencyStatus(analysis, (c) => (c === 1 ? 2 : 0))).toBe('ready')
    expect(dependencyStatus(analysis, () => 2)).toBe('duplicate')
    const gap = Y.mergeUpdates([Y.encodeStateAsUpdate(a, new Uint8Array([1, 1, 1])), update])
    expect(() => analyseUpdate(Y.mergeUpdates([gap, Y.encodeStateAsUpdate(b, Y.encodeStateVector(new Y.Doc()))]).subarray(0, 3))).toThrow()
  })
})

describe('UpdateLog and PendingQueue', () => {
  it('places appends, gaps, duplicates, replacements and misaligned ranges', async () => {
    const id = await generateIdentity({ seed: new Uint8Array(32).fill(1) })
    const mk = async (s: number, e: number): ReturnType<typeof createSignedUpdate> =>
      await createSignedUpdate(id, { docId: 'd', clientIndex: 0, clientId: 9, seqStart: s, seqEnd: e, clockStart: s, clockEnd: e, sealed: false }, new Uint8Array())
    const log = new UpdateLog()
    expect(log.add(await mk(0, 1))).toEqual([])
    expect(log.add(await mk(1, 2))).toEqual([])
    expect(log.add(await mk(2, 3))).toEqual([])
    expect(log.place(await mk(5, 6))).toEqual({ kind: 'gap', next: 3 })
    expect(log.place(await mk(1, 2)).kind).toBe('duplicate')
    expect(log.place(await mk(0, 2)).kind).toBe('replace')
    expect(log.place(await mk(1, 4)).kind).toBe('replace')
    expect(log.add(await mk(0, 2))).toHaveLength(2)
    expect(log.place(await mk(1, 3)).kind).toBe('misaligned')
    expect(log.place(await mk(0, 1)).kind).toBe('duplicate')
    expect(log.size).toBe(2)
    expect(log.missing(new Map([[9, 2]]), new Map()).updates).toHaveLength(1)
  })

  it('caps per sender and expires by age', () => {
    const q = new PendingQueue<number>({ maxCount: 2, maxBytes: 10, maxAgeMs: 100 })
    expect(q.add('a', 1, 4, 0)).toBe(true)
    expect(q.add('a', 2, 4, 50)).toBe(true)
    expect(q.add('a', 3, 1, 50)).toBe(false)
    expect(q.add('b', 4, 11, 0)).toBe(false)
    expect(q.add('b', 5, 10, 0)).toBe(true)
    expect(q.bytesOf('a')).toBe(8)
    expect(q.takeReady((v) => v === 2)?.value).toBe(2)
    expect(q.expire(100).map((i) => i.value).sort()).toEqual([1, 5])
    expect(q.add('c', 6, 1, 0)).toBe(true)
    expect(q.removeWhere((v) => v === 6)).toHaveLength(1)
    expect(q.size).toBe(0)
  })
})
