import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import * as prng from 'lib0/prng'
import type { PeerId } from '@ymesh/protocol'
import { generateRoomKey, type Identity, type RoomKey } from '@ymesh/crypto'
import {
  AuthenticatedDoc, BlindReplica, RoomPolicy, SyncMessageType, createSignedAwareness, createSignedUpdate, encodeSyncMessage,
  type AuthenticatedDocOptions, type DropReason
} from '@ymesh/sync'
import { testSeed } from '../../../test/helpers/seed.js'
import { ManualClock, Net, docHash, identity } from './helpers.js'

const started: Array<AuthenticatedDoc | BlindReplica> = []
afterEach(async () => {
  for (const node of started.splice(0)) await node.stop()
})

interface Replica { readonly adoc: AuthenticatedDoc, readonly id: Identity, readonly peer: PeerId, readonly text: Y.Text }

const clock = new ManualClock()

const replica = async (n: number, options: Partial<AuthenticatedDocOptions> = {}): Promise<Replica> => {
  const id = options.identity ?? await identity(n)
  const doc = new Y.Doc()
  const adoc = new AuthenticatedDoc({ doc, docId: 'doc-1', identity: id, clock, ...options })
  await adoc.start()
  started.push(adoc)
  return { adoc, id, peer: id.peerId, text: doc.getText('t') }
}

const drops = (adoc: AuthenticatedDoc | BlindReplica): DropReason[] => {
  const seen: DropReason[] = []
  // Both classes emit the same 'drop' payload.
  ;(adoc as AuthenticatedDoc).on('drop', ({ reason }) => { seen.push(reason) })
  return seen
}

/** Collects every signed update `r` emits, to deliver by hand. */
const outbox = (r: Replica): Uint8Array[] => {
  const out: Uint8Array[] = []
  r.adoc.on('signed', ({ update }) => { out.push(encodeSyncMessage({ type: SyncMessageType.Update, update: update.bytes })) })
  return out
}

const edit = async (r: Replica, f: () => void): Promise<void> => {
  r.adoc.doc.transact(f)
  await r.adoc.flush()
}

describe('AuthenticatedDoc', () => {
  it('replicates signed edits and records who authored each clientID', async () => {
    const net = new Net()
    const a = await replica(1)
    const b = await replica(2)
    net.add(a.peer, a.adoc)
    net.add(b.peer, b.adoc)
    await edit(a, () => a.text.insert(0, 'hello'))
    await edit(b, () => b.text.insert(0, 'world '))
    await net.idle()
    expect(a.text.toString()).toBe(b.text.toString())
    expect(docHash(a.adoc.doc)).toBe(docHash(b.adoc.doc))
    expect(b.adoc.authorOf(a.adoc.doc.clientID)).toEqual({ kind: 'signed', author: a.peer, clientIndex: a.adoc.clientIndex })
    expect(b.adoc.stats.verified).toBe(1)
  })

  it('batches N local transactions in one window into one signature', async () => {
    const a = await replica(1, { batchWindowMs: 20 })
    const signed: number[] = []
    a.adoc.on('signed', ({ transactions }) => { signed.push(transactions) })
    for (let i = 0; i < 50; i++) a.text.insert(i, 'x')
    expect(a.adoc.stats.signed).toBe(0)
    clock.advance(20)
    await a.adoc.flush()
    expect(signed).toEqual([50])
    expect(a.adoc.stats.signed).toBe(1)
  })

  it('records a remote author before the change reaches the document\'s observers', async () => {
    const net = new Net()
    const a = await replica(1)
    const b = await replica(2)
    net.add(a.peer, a.adoc)
    net.add(b.peer, b.adoc)
    const seenInObserver: unknown[] = []
    b.text.observe(() => { seenInObserver.push(b.adoc.authorOf(a.adoc.doc.clientID)) })
    await edit(a, () => a.text.insert(0, 'hi'))
    await net.idle()
    expect(seenInObserver).toEqual([{ kind: 'signed', author: a.peer, clientIndex: a.adoc.clientIndex }])
  })

  it('signs an isolated edit at once and batches the edits that follow until the window closes', async () => {
    const a = await replica(1, { batchWindowMs: 20 })
    const signed: number[] = []
    const done = (count: number): Promise<void> => new Promise((resolve) => {
      const check = (): void => { if (signed.length >= count) { a.adoc.off('signed', check); resolve() } }
      a.adoc.on('signed', check)
    })
    a.adoc.on('signed', ({ transactions }) => { signed.push(transactions) })
    let first = done(1)
    a.text.insert(0, 'a') // nothing signed lately: no window to wait for
    a.text.insert(1, 'b') // same task: signed with it
    await first
    expect(signed).toEqual([2])
    for (let i = 0; i < 5; i++) a.text.insert(2 + i, 'x')
    await Promise.resolve()
    expect(signed).toEqual([2]) // the window is open: these wait for it
    first = done(2)
    clock.advance(20)
    await first
    expect(signed).toEqual([2, 5])
    a.text.insert(0, 'y') // the window reopened behind that batch, so this one waits too
    clock.advance(19)
    await Promise.resolve()
    expect(signed).toEqual([2, 5])
    first = done(3)
    clock.advance(1)
    await first
    expect(signed).toEqual([2, 5, 1])
    clock.advance(20) // a window with nothing in it closes; the next edit leads again
    first = done(4)
    a.text.insert(0, 'z')
    await first
    expect(signed).toEqual([2, 5, 1, 1])
  })

  it('rejects an author inserting under another identity\'s clientID, leaving the doc byte-identical', async () => {
    const victim = await replica(1)
    const attacker = await identity(9)
    const b = await replica(2)
    const seen = drops(b.adoc)
    await edit(b, () => b.text.insert(0, 'mine'))
    const before = docHash(b.adoc.doc)
    // The payload writes under the victim's clientID; the header names the attacker's own.
    const forged = new Y.Doc()
    forged.clientID = victim.adoc.doc.clientID
    forged.getText('t').insert(0, 'forged')
    const payload = Y.encodeStateAsUpdate(forged)
    const attackerDoc = await replica(9, { identity: attacker })
    const own = attackerDoc.adoc.doc.clientID
    const u1 = await createSignedUpdate(attacker, { docId: 'doc-1', clientIndex: attackerDoc.adoc.clientIndex, clientId: own, seqStart: 0, seqEnd: 1, clockStart: 0, clockEnd: 6, sealed: false }, payload)
    // The header claims the victim's clientID under the attacker's key.
    const u2 = await createSignedUpdate(attacker, { docId: 'doc-1', clientIndex: 7, clientId: victim.adoc.doc.clientID, seqStart: 0, seqEnd: 1, clockStart: 0, clockEnd: 6, sealed: false }, payload)
    for (const u of [u1, u2]) await b.adoc.receive(encodeSyncMessage({ type: SyncMessageType.Update, update: u.bytes }), { from: attacker.peerId })
    expect(seen).toEqual(['clientid-not-bound', 'clientid-not-bound'])
    expect(docHash(b.adoc.doc)).toBe(before)
  })

  it('gives two sessions of one identity different clientIDs, and they converge', async () => {
    const id = await identity(1)
    const net = new Net()
    const s1 = await replica(1, { identity: id })
    const s2 = await replica(1, { identity: id })
    net.add('s1' as PeerId, s1.adoc)
    net.add('s2' as PeerId, s2.adoc)
    expect(s1.adoc.doc.clientID).not.toBe(s2.adoc.doc.clientID)
    await edit(s1, () => s1.text.insert(0, 'one'))
    await edit(s2, () => s2.text.insert(0, 'two'))
    await net.idle()
    expect(docHash(s1.adoc.doc)).toBe(docHash(s2.adoc.doc))
    expect(s1.text.length).toBe(6)
    expect(s1.adoc.authorOf(s2.adoc.doc.clientID)).toMatchObject({ kind: 'signed', author: id.peerId })
  })

  it('rejects bad signatures, truncated and corrupted updates without touching the doc', async () => {
    const a = await replica(1)
    const b = await replica(2)
    const seen = drops(b.adoc)
    const sent = outbox(a)
    await edit(a, () => a.text.insert(0, 'abc'))
    const before = docHash(b.adoc.doc)
    const good = sent[0]!
    const flippedSig = good.slice()
    flippedSig[flippedSig.length - 1]! ^= 1
    const flippedPayload = good.slice()
    flippedPayload[flippedPayload.length - 70]! ^= 0x40
    for (const m of [flippedSig, flippedPayload, good.subarray(0, good.length - 5), new Uint8Array([2, 200, 1])]) {
      await b.adoc.receive(m, { from: a.peer })
    }
    // Validly signed by its author, but a truncated Yjs update: refused before applying.
    const full = Y.encodeStateAsUpdate(a.adoc.doc)
    const truncated = await createSignedUpdate(a.id, { docId: 'doc-1', clientIndex: a.adoc.clientIndex, clientId: a.adoc.doc.clientID, seqStart: 1, seqEnd: 2, clockStart: 0, clockEnd: 3, sealed: false }, full.subarray(0, full.length - 4))
    await b.adoc.receive(encodeSyncMessage({ type: SyncMessageType.Update, update: good.subarray(2) }), { from: a.peer })
    expect(seen).toEqual(['bad-signature', 'bad-signature', 'malformed', 'malformed', 'malformed'])
    await b.adoc.receive(good, { from: a.peer })
    await b.adoc.receive(encodeSyncMessage({ type: SyncMessageType.Update, update: truncated.bytes }), { from: a.peer })
    expect(seen.at(-1)).toBe('malformed')
    expect(b.text.toString()).toBe('abc')
    expect(docHash(b.adoc.doc)).not.toBe(before)
  })

  it('treats a replayed update as a no-op, not an error', async () => {
    const a = await replica(1)
    const b = await replica(2)
    const seen = drops(b.adoc)
    const sent = outbox(a)
    await edit(a, () => a.text.insert(0, 'abc'))
    await b.adoc.receive(sent[0]!, { from: a.peer })
    const after = docHash(b.adoc.doc)
    await b.adoc.receive(sent[0]!, { from: a.peer })
    await b.adoc.receive(sent[0]!, { from: 'someone-else' as PeerId })
    expect(seen).toEqual([])
    expect(b.adoc.stats.duplicates).toBe(2)
    expect(docHash(b.adoc.doc)).toBe(after)
  })

  it('holds updates whose dependencies are missing and applies them when they arrive', async () => {
    const net = new Net()
    const a = await replica(1)
    const b = await replica(2)
    net.add(a.peer, a.adoc)
    net.add(b.peer, b.adoc)
    const fromA = outbox(a)
    const fromB = outbox(b)
    await edit(a, () => a.text.insert(0, 'a1'))
    await net.idle()
    await edit(b, () => b.text.insert(2, 'b1')) // depends on a1 (origin)
    await edit(a, () => a.text.insert(0, 'a2'))
    await net.idle()
    const c = await replica(3)
    // b1, then a2, then a1: b1 needs a1, a2 needs a1.
    await c.adoc.receive(fromB[0]!, { from: b.peer })
    await c.adoc.receive(fromA[1]!, { from: a.peer })
    expect(c.adoc.stats.pending).toBe(2)
    expect(c.text.toString()).toBe('')
    expect(c.adoc.doc.store.pendingStructs).toBeNull()
    await c.adoc.receive(fromA[0]!, { from: a.peer })
    expect(c.adoc.stats.pending).toBe(0)
    expect(docHash(c.adoc.doc)).toBe(docHash(a.adoc.doc))
  })

  it('caps a dependency flood per sender by count, bytes and age, without verifying what cannot fit', async () => {
    const a = await replica(1)
    const sent = outbox(a)
    for (let i = 0; i < 1200; i++) await edit(a, () => a.text.insert(0, 'x'))
    const b = await replica(2, { pending: { maxCount: 100, maxBytes: 1_000_000, maxAgeMs: 5_000 } })
    const seen = drops(b.adoc)
    const before = docHash(b.adoc.doc)
    // Everything but the first update: none can apply.
    for (const m of sent.slice(1)) await b.adoc.receive(m, { from: 'flooder' as PeerId })
    expect(b.adoc.stats.pending).toBe(100)
    expect(b.adoc.stats.verified).toBe(100)
    expect(seen.filter((r) => r === 'pending-overflow')).toHaveLength(1099)
    expect(b.adoc.doc.store.pendingStructs).toBeNull()
    expect(docHash(b.adoc.doc)).toBe(before)
    clock.advance(5_000)
    expect(b.adoc.stats.pending).toBe(0)
    expect(seen.filter((r) => r === 'pending-expired')).toHaveLength(100)
    // Byte cap.
    const c = await replica(3, { pending: { maxCount: 1000, maxBytes: 2_000, maxAgeMs: 5_000 } })
    for (const m of sent.slice(1, 200)) await c.adoc.receive(m, { from: 'flooder' as PeerId })
    expect(c.adoc.stats.pending).toBeLessThan(20)
    expect(c.adoc.stats.drops['pending-overflow']).toBeGreaterThan(150)
  })

  it('converges whatever the arrival order (seeded)', async () => {
    const seed = testSeed()
    const gen = prng.create(seed)
    const net = new Net()
    const authors = [await replica(1), await replica(2), await replica(3)]
    const all: Uint8Array[] = []
    for (const r of authors) {
      net.add(r.peer, r.adoc)
      r.adoc.on('signed', ({ update }) => { all.push(encodeSyncMessage({ type: SyncMessageType.Update, update: update.bytes })) })
    }
    for (let step = 0; step < 60; step++) {
      const r = authors[prng.uint32(gen, 0, 2)]!
      await edit(r, () => {
        if (r.text.length > 3 && prng.bool(gen)) r.text.delete(prng.uint32(gen, 0, r.text.length - 2), 1)
        else r.text.insert(prng.uint32(gen, 0, r.text.length), prng.word(gen, 1, 3))
      })
      if (prng.uint32(gen, 0, 3) === 0) await net.idle()
    }
    await net.idle()
    const fresh = await replica(4)
    for (let i = all.length - 1; i > 0; i--) {
      const j = prng.uint32(gen, 0, i)
      ;[all[i], all[j]] = [all[j]!, all[i]!]
    }
    for (const m of all) await fresh.adoc.receive(m, { from: 'mixer' as PeerId })
    expect(fresh.adoc.stats.pending).toBe(0)
    for (const r of authors) expect(docHash(r.adoc.doc)).toBe(docHash(authors[0]!.adoc.doc))
    expect(fresh.text.toString()).toBe(authors[0]!.text.toString())
    expect(docHash(fresh.adoc.doc)).toBe(docHash(authors[0]!.adoc.doc))
  })

  it('catches up from a third party serving someone else\'s signed updates, deletions included', async () => {
    const net = new Net()
    const a = await replica(1)
    const b = await replica(2)
    net.add(a.peer, a.adoc)
    net.add(b.peer, b.adoc)
    await edit(a, () => a.text.insert(0, 'hello world'))
    await edit(a, () => a.text.delete(0, 6)) // deletion-only update
    await net.idle()
    net.setOnline(a.peer, false)
    const c = await replica(3)
    net.add(c.peer, c.adoc)
    const request = c.adoc.syncRequest()
    net.send(b.adoc, request, c.peer)
    await net.idle()
    expect(c.text.toString()).toBe('world')
    expect(c.adoc.stats.verified).toBe(2)
    expect(c.adoc.authorOf(a.adoc.doc.clientID)).toMatchObject({ kind: 'signed', author: a.peer })
    expect(docHash(c.adoc.doc)).toBe(docHash(a.adoc.doc))
  })

  it('stores and forwards room-key-sealed updates blind, and readers verify and open them', async () => {
    const roomKey: RoomKey = await generateRoomKey()
    const net = new Net()
    const a = await replica(1, { roomKey })
    const anchor = new BlindReplica({ docId: 'doc-1', clock })
    started.push(anchor)
    net.add(a.peer, a.adoc)
    net.add('anchor' as PeerId, anchor)
    const accepted: Uint8Array[] = []
    anchor.on('accepted', ({ bytes }) => { accepted.push(bytes) })
    await edit(a, () => a.text.insert(0, 'secret text'))
    await net.idle()
    expect(anchor.log.size).toBe(1)
    expect(Buffer.from(accepted[0]!).includes(Buffer.from('secret text'))).toBe(false)
    net.setOnline(a.peer, false)
    const c = await replica(3, { roomKey })
    const outsider = await replica(4)
    const seen = drops(outsider.adoc)
    net.add(c.peer, c.adoc)
    net.add(outsider.peer, outsider.adoc)
    net.send(anchor, c.adoc.syncRequest(), c.peer)
    net.send(anchor, outsider.adoc.syncRequest(), outsider.peer)
    await net.idle()
    expect(c.text.toString()).toBe('secret text')
    expect(outsider.text.toString()).toBe('')
    expect(seen).toContain('decrypt-failed')
    // The anchor checks signatures it can check without the key.
    const anchorDrops = drops(anchor)
    const forged = accepted[0]!.slice()
    forged[forged.length - 1]! ^= 1
    await anchor.receive(encodeSyncMessage({ type: SyncMessageType.Update, update: forged }), { from: 'x' as PeerId })
    expect(anchorDrops).toEqual([])
    const other = await replica(5, { roomKey })
    await edit(other, () => other.text.insert(0, 'z'))
    const sealed = other.adoc.log.updates()[0]!.bytes.slice()
    sealed[sealed.length - 1]! ^= 1
    await anchor.receive(encodeSyncMessage({ type: SyncMessageType.Update, update: sealed }), { from: 'x' as PeerId })
    expect(anchorDrops).toEqual(['bad-signature'])
  })

  it('compacts an author\'s log into one re-signed update; replicas shrink, verify and converge', async () => {
    const net = new Net()
    const a = await replica(1)
    const b = await replica(2)
    net.add(a.peer, a.adoc)
    net.add(b.peer, b.adoc)
    for (let i = 0; i < 20; i++) await edit(a, () => a.text.insert(a.text.length, `${i},`))
    await edit(a, () => a.text.delete(0, 2))
    await net.idle()
    expect(b.adoc.log.size).toBe(21)
    const { before, after } = await a.adoc.compact()
    expect([before, after]).toEqual([21, 1])
    await net.idle()
    expect(b.adoc.log.size).toBe(1)
    const d = await replica(4)
    net.add(d.peer, d.adoc)
    net.send(b.adoc, d.adoc.syncRequest(), d.peer)
    await net.idle()
    expect(d.adoc.stats.verified).toBe(1)
    expect(docHash(d.adoc.doc)).toBe(docHash(a.adoc.doc))
    // Editing continues after compaction.
    await edit(a, () => a.text.insert(0, '!'))
    await net.idle()
    expect(docHash(d.adoc.doc)).toBe(docHash(a.adoc.doc))
  })

  it('applies unsigned stock-peer updates as unauthenticated, never under a bound clientID', async () => {
    const a = await replica(1)
    const b = await replica(2)
    const seen = drops(b.adoc)
    const sent = outbox(a)
    await edit(a, () => a.text.insert(0, 'signed'))
    await b.adoc.receive(sent[0]!, { from: a.peer })
    const stock = new Y.Doc()
    Y.applyUpdate(stock, Y.encodeStateAsUpdate(b.adoc.doc))
    stock.getText('t').insert(0, 'stock ')
    // A stock peer's sync step 2 repeats the signed content it got: only its own is new.
    await b.adoc.receiveUnsigned(Y.encodeStateAsUpdate(stock), { from: 'stock-peer' as PeerId })
    expect(b.text.toString()).toBe('stock signed')
    expect(b.adoc.authorOf(stock.clientID)).toEqual({ kind: 'unauthenticated' })
    // A stock peer writing under a bound clientID is refused.
    const impostor = new Y.Doc()
    Y.applyUpdate(impostor, Y.encodeStateAsUpdate(b.adoc.doc))
    impostor.clientID = a.adoc.doc.clientID
    impostor.getText('t').insert(0, 'fake ')
    const before = docHash(b.adoc.doc)
    await b.adoc.receiveUnsigned(Y.encodeStateAsUpdate(impostor), { from: 'stock-peer' as PeerId })
    expect(seen).toEqual(['clientid-bound-to-other'])
    // And a signed update can no longer claim the unauthenticated clientID.
    expect(docHash(b.adoc.doc)).toBe(before)
    // Catch-up from b carries the unsigned content to ymesh peers of the room.
    const c = await replica(3)
    const net = new Net()
    net.add(b.peer, b.adoc)
    net.add(c.peer, c.adoc)
    net.send(b.adoc, c.adoc.syncRequest(), c.peer)
    await net.idle()
    expect(c.text.toString()).toBe('stock signed')
    expect(c.adoc.authorOf(stock.clientID)).toEqual({ kind: 'unauthenticated' })
  })

  it('refuses unsigned updates in a requireAuth room, and the policy cannot be weakened', async () => {
    const policy = new RoomPolicy({ requireAuth: true })
    const b = await replica(2, { policy })
    const seen = drops(b.adoc)
    const before = docHash(b.adoc.doc)
    const stock = new Y.Doc()
    stock.getText('t').insert(0, 'stock')
    await b.adoc.receiveUnsigned(Y.encodeStateAsUpdate(stock), { from: 'stock-peer' as PeerId })
    expect(seen).toEqual(['unauthenticated-not-allowed'])
    expect(docHash(b.adoc.doc)).toBe(before)
    expect(() => { policy.allowUnauthenticated() }).toThrow(expect.objectContaining({ name: 'PolicyError' }))
    expect(policy.requireAuth).toBe(true)
    const open = new RoomPolicy()
    open.allowUnauthenticated()
    open.requireAuthentication()
    expect(open.allowsUnauthenticated).toBe(false)
  })

  it('signs awareness; spoofed presence and forged clocks are rejected', async () => {
    const net = new Net()
    const a = await replica(1)
    const b = await replica(2)
    net.add(a.peer, a.adoc)
    net.add(b.peer, b.adoc)
    const seen = drops(b.adoc)
    a.adoc.awareness.setLocalState({ name: 'alice', cursor: 3 })
    clock.advance(16)
    await a.adoc.flush()
    await net.idle()
    expect(b.adoc.awareness.getStates().get(a.adoc.doc.clientID)).toEqual({ name: 'alice', cursor: 3 })
    // Mallory signs an entry for alice's clientID with a huge clock (the lock-out attack).
    const mallory = await identity(9)
    const forged = await createSignedAwareness(mallory, { docId: 'doc-1', clientIndex: a.adoc.clientIndex, clientId: a.adoc.doc.clientID, clock: 2 ** 40, state: JSON.stringify({ name: 'mallory' }) })
    await b.adoc.receive(encodeSyncMessage({ type: SyncMessageType.Awareness, entry: forged.bytes }), { from: mallory.peerId })
    const tampered = forged.bytes.slice()
    tampered[tampered.length - 1]! ^= 1
    await b.adoc.receive(encodeSyncMessage({ type: SyncMessageType.Awareness, entry: tampered }), { from: mallory.peerId })
    const wrongDoc = await createSignedAwareness(mallory, { docId: 'doc-2', clientIndex: 0, clientId: 1, clock: 1, state: 'null' })
    await b.adoc.receive(encodeSyncMessage({ type: SyncMessageType.Awareness, entry: wrongDoc.bytes }), { from: mallory.peerId })
    expect(seen).toEqual(['clientid-not-bound', 'bad-signature', 'wrong-document'])
    a.adoc.awareness.setLocalState({ name: 'alice', cursor: 4 })
    clock.advance(16)
    await a.adoc.flush()
    await net.idle()
    expect(b.adoc.awareness.getStates().get(a.adoc.doc.clientID)).toEqual({ name: 'alice', cursor: 4 })
  })

  it('counts malformed and misdirected messages and never throws from receive()', async () => {
    const a = await replica(1)
    const b = await replica(2)
    const seen = drops(b.adoc)
    const other = await replica(3, { docId: 'doc-2' })
    const sent = outbox(other)
    await edit(other, () => other.text.insert(0, 'x'))
    await b.adoc.receive(sent[0]!, { from: other.peer })
    await b.adoc.receive(new Uint8Array([9]), { from: a.peer })
    await b.adoc.receive(encodeSyncMessage({ type: SyncMessageType.Awareness, entry: new Uint8Array([1, 2, 3]) }), { from: a.peer })
    expect(seen).toEqual(['wrong-document', 'malformed', 'malformed'])
    expect(b.adoc.stats.drops).toMatchObject({ 'wrong-document': 1, malformed: 2 })
  })

  it('reports a local transaction written under a foreign clientID instead of signing it', async () => {
    const a = await replica(1)
    const seen = drops(a.adoc)
    const foreign = new Y.Doc()
    foreign.getText('t').insert(0, 'sneaked in')
    Y.applyUpdate(a.adoc.doc, Y.encodeStateAsUpdate(foreign))
    await a.adoc.flush()
    expect(seen).toEqual(['foreign-local-update'])
    expect(a.adoc.stats.signed).toBe(0)
  })

  it('throws NotStartedError for awareness and clientIndex before start()', () => {
    const adoc = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'd', identity: null as unknown as Identity, clock })
    expect(() => adoc.awareness).toThrow(expect.objectContaining({ name: 'NotStartedError' }))
    expect(() => adoc.clientIndex).toThrow(expect.objectContaining({ name: 'NotStartedError' }))
  })
})
