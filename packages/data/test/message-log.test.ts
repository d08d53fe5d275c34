import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { MemoryDocStore, MessageLog, Replica, openDirectLog, acknowledge, messageStatus, segmentDocId } from '../src/index.js'
import { identity, syncReplicas, syncAll } from './helpers.js'

const contains = (hay: Uint8Array, needle: Uint8Array): boolean => {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

describe('message log', () => {
  it('segments hold at most segmentSize entries and the recent view loads only the newest', async () => {
    const me = await identity('alice')
    const replica = new Replica()
    const log = await new MessageLog({ source: replica, identity: me, conversationId: 'c', segmentSize: 10, maxLoadedSegments: 2 }).open()
    await Promise.all(Array.from({ length: 35 }, (_, i) => log.send(`m${i}`)))
    await log.settled()
    expect(log.segments()).toEqual([0, 1, 2, 3])
    const recent = await log.view({ last: 5 })
    expect(recent.messages.map((m) => m.text)).toEqual(['m30', 'm31', 'm32', 'm33', 'm34'])
    const all = await log.view()
    expect(all.messages).toHaveLength(35)
    expect(all.messages.map((m) => m.text)).toEqual(Array.from({ length: 35 }, (_, i) => `m${i}`))
  })

  it('the recent view reaches into older segments when the newest holds mostly reactions', async () => {
    const me = await identity('alice')
    const log = await new MessageLog({ source: new Replica(), identity: me, conversationId: 'c', segmentSize: 10 }).open()
    for (let i = 0; i < 12; i++) await log.send(`m${i}`)
    await log.settled()
    const last = (await log.view({ last: 1 })).messages[0]!
    // Fill the newest segments with reactions only: the last five messages are now segments back.
    for (let i = 0; i < 15; i++) await log.react(last.id, '👍')
    await log.settled()
    const recent = await log.view({ last: 5 })
    expect(recent.messages.map((m) => m.text)).toEqual(['m7', 'm8', 'm9', 'm10', 'm11'])
  })

  it('edits, reactions, deletions refer to messages; only the author edits or deletes; duplicates count once', async () => {
    const [a, b] = await Promise.all([identity('alice'), identity('bob')])
    const ra = new Replica()
    const rb = new Replica()
    const la = await new MessageLog({ source: ra, identity: a, conversationId: 'c' }).open()
    const lb = await new MessageLog({ source: rb, identity: b, conversationId: 'c' }).open()
    const m = await la.send('hello')
    await syncReplicas(ra, rb)
    await lb.edit(m, 'hacked')
    await lb.delete(m)
    await lb.react(m, '👍')
    await lb.react(m, '👍')
    await la.edit(m, 'hello!')
    await syncReplicas(ra, rb)
    const seg = (await ra.open(segmentDocId('c', 0))).getArray<Uint8Array>('entries')
    seg.push([seg.get(0)]) // replay of the original message
    await syncReplicas(ra, rb)
    for (const l of [la, lb]) {
      const v = await l.view()
      expect(v.messages).toHaveLength(1)
      expect(v.messages[0]!.text).toBe('hello!')
      expect(v.messages[0]!.deleted).toBe(false)
      expect(v.messages[0]!.reactions.get('👍')).toEqual([b.peerId])
    }
    await la.delete(m)
    expect((await la.view()).messages[0]!.deleted).toBe(true)
  })

  it('a reply never shows before its parent (held in the ordering buffer)', async () => {
    const a = await identity('alice')
    const ra = new Replica()
    const la = await new MessageLog({ source: ra, identity: a, conversationId: 'c', segmentSize: 2 }).open()
    const p = await la.send('parent')
    await la.send('x')
    await la.send('reply', { replyTo: p })
    await la.settled()
    // A replica that got segment 1 (the reply) but not segment 0 (the parent) yet.
    const rb = new Replica()
    const b = await identity('bob')
    Y.applyUpdate(await rb.open('log/c/index'), Y.encodeStateAsUpdate(await ra.open('log/c/index')))
    Y.applyUpdate(await rb.open(segmentDocId('c', 1)), Y.encodeStateAsUpdate(await ra.open(segmentDocId('c', 1))))
    const lb = await new MessageLog({ source: rb, identity: b, conversationId: 'c' }).open()
    const before = await lb.view()
    expect(before.messages).toHaveLength(0)
    expect(before.pending).toBe(1)
    Y.applyUpdate(await rb.open(segmentDocId('c', 0)), Y.encodeStateAsUpdate(await ra.open(segmentDocId('c', 0))))
    const after = await lb.view()
    expect(after.messages.map((m) => m.text)).toEqual(['parent', 'x', 'reply'])
  })

  it('a forged message (altered bytes) and an entry signed for another conversation have no effect', async () => {
    const a = await identity('alice')
    const ra = new Replica()
    const la = await new MessageLog({ source: ra, identity: a, conversationId: 'c' }).open()
    const other = await new MessageLog({ source: ra, identity: a, conversationId: 'd' }).open()
    await la.send('real')
    await other.send('elsewhere')
    const seg = (await ra.open(segmentDocId('c', 0))).getArray<Uint8Array>('entries')
    const forged = seg.get(0).slice()
    forged[forged.length - 66] = forged[forged.length - 66]! ^ 1
    seg.push([forged, (await ra.open(segmentDocId('d', 0))).getArray<Uint8Array>('entries').get(0)])
    const fresh = await new MessageLog({ source: ra, identity: a, conversationId: 'c' }).open()
    const v = await fresh.view()
    expect(v.messages.map((m) => m.text)).toEqual(['real'])
    expect(v.ignored).toBe(2)
  })

  it('direct conversations are ciphertext on a non-participant anchor: no plaintext marker in its store', async () => {
    const [a, b] = await Promise.all([identity('alice'), identity('bob')])
    const anchorStore = new MemoryDocStore()
    const ra = new Replica()
    const anchor = new Replica(anchorStore)
    const rb = new Replica()
    const la = await openDirectLog(b.peerId, { source: ra, identity: a })
    const marker = 'MARKER-7f3a-plaintext-must-not-rest-here'
    await la.send(marker)
    await syncReplicas(ra, anchor)
    await anchor.flush()
    const needle = new TextEncoder().encode(marker)
    expect(anchorStore.rawBytes().length).toBeGreaterThan(0)
    expect(anchorStore.rawBytes().some((u) => contains(u, needle))).toBe(false)
    await syncReplicas(anchor, rb)
    const lb = await openDirectLog(a.peerId, { source: rb, identity: b })
    expect((await lb.view()).messages.map((m) => m.text)).toEqual([marker])
  })

  it('receipts: sent → stored by the anchor → delivered to → read by the recipient', async () => {
    const [a, b, anc] = await Promise.all([identity('alice'), identity('bob'), identity('anchor')])
    const ra = new Replica()
    const anchor = new Replica()
    const rb = new Replica()
    const la = await openDirectLog(b.peerId, { source: ra, identity: a })
    const id = await la.send('hi')
    const status = async () => (await messageStatus(la, 0, [id])).get(id)!
    expect(await status()).toEqual({ sent: true, stored: [], delivered: [], read: [] })
    await syncReplicas(ra, anchor)
    const anchorLog = await new MessageLog({ source: anchor, identity: anc, conversationId: la.conversationId }).open()
    await acknowledge(anchorLog, anc, 'stored')
    await syncReplicas(ra, anchor)
    expect((await status()).stored).toEqual([anc.peerId])
    await syncReplicas(anchor, rb)
    const lb = await openDirectLog(a.peerId, { source: rb, identity: b })
    await acknowledge(lb, b, 'delivered')
    await syncAll([anchor, ra, rb])
    expect((await status()).delivered).toEqual([b.peerId])
    expect((await status()).read).toEqual([])
    await acknowledge(lb, b, 'read')
    await syncAll([anchor, ra, rb])
    expect((await status()).read).toEqual([b.peerId])
  })

  it('a non-participant cannot write into a direct conversation', async () => {
    const [a, b, eve] = await Promise.all([identity('alice'), identity('bob'), identity('eve')])
    const ra = new Replica()
    const la = await openDirectLog(b.peerId, { source: ra, identity: a })
    await la.send('hi')
    const evil = await new MessageLog({ source: ra, identity: eve, conversationId: la.conversationId }).open()
    await evil.send('plaintext from eve')
    const v = await la.view()
    expect(v.messages.map((m) => m.text)).toEqual(['hi'])
  })
})
