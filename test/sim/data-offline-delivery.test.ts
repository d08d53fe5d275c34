import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { SimNetwork } from '@ymesh/sim'
import type { SimLink } from '@ymesh/sim'
import { generateIdentity } from '@ymesh/crypto'
import { MemoryDocStore, MessageLog, Replica, acknowledge, messageStatus, openDirectLog } from '@ymesh/data'
import { testSeed } from '../helpers/seed.js'
import { connect } from './wire.js'

const contains = (hay: Uint8Array, needle: Uint8Array): boolean => {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

/**
 * A minimal store-and-forward binding of a Replica to sim links (what MeshProvider will do
 * for real): on open, send every held document's state; then forward every update.
 */
const bind = (replica: Replica, link: SimLink): void => {
  const send = (docId: string, update: Uint8Array): void => {
    if (link.state !== 'open') return
    const e = encoding.createEncoder()
    encoding.writeVarString(e, docId)
    encoding.writeVarUint8Array(e, update)
    link.send(encoding.toUint8Array(e))
  }
  const watch = (docId: string, doc: Y.Doc): void => {
    doc.on('update', (u: Uint8Array, origin: unknown) => { if (origin !== link) send(docId, u) })
  }
  replica.on('doc-opened', ({ docId, doc }) => { watch(docId, doc); send(docId, Y.encodeStateAsUpdate(doc)) })
  for (const id of replica.openIds()) void replica.open(id).then((doc) => { watch(id, doc); send(id, Y.encodeStateAsUpdate(doc)) })
  link.on('message', (data: Uint8Array) => {
    const d = decoding.createDecoder(data.slice())
    const docId = decoding.readVarString(d)
    const update = decoding.readVarUint8Array(d)
    void replica.open(docId).then((doc) => { Y.applyUpdate(doc, update, link) })
  })
}

describe('data: offline delivery through an anchor', () => {
  it('a direct message reaches its recipient though sender and recipient are never online together; the anchor holds only ciphertext', async () => {
    const seed = testSeed()
    const net = new SimNetwork({ seed, link: { latencyMs: 20, jitterMs: 5 } })
    const rng = net.sim.rng.fork('ids')
    const random = (n: number): Uint8Array => rng.bytes(n)
    const [alice, bob, anc] = await Promise.all([1, 2, 3].map((i) => generateIdentity({ seed: new Uint8Array(32).fill(i) })))
    const anchorStore = new MemoryDocStore()
    const anchor = new Replica(anchorStore)
    const anchorT = net.createTransport('anchor')

    // 1. Alice online with the anchor only; sends while Bob has never been online.
    const aliceReplica = new Replica()
    const aliceT = net.createTransport('alice')
    const [la, lAnchorA] = await connect(net, aliceT, anchorT)
    bind(aliceReplica, la)
    bind(anchor, lAnchorA)
    const aliceLog = await openDirectLog(bob!.peerId, { source: aliceReplica, identity: alice!, random })
    const marker = `offline-marker-${seed}`
    const ids = [await aliceLog.send(marker), await aliceLog.send('second')]
    await net.sim.advance(500)
    await anchor.flush()

    // The anchor acknowledges storage (it signs receipts, it cannot read).
    const anchorLog = await new MessageLog({ source: anchor, identity: anc!, conversationId: aliceLog.conversationId }).open()
    await acknowledge(anchorLog, anc!, 'stored', { random })
    await net.sim.advance(500)
    expect((await messageStatus(aliceLog, 0, ids)).get(ids[0]!)!.stored).toEqual([anc!.peerId])

    // 2. Alice goes offline for good (crash: nothing more from her).
    net.crash('alice')
    await net.sim.advance(100)

    // 3. Bob comes online for the first time, only with the anchor.
    const bobReplica = new Replica()
    const bobT = net.createTransport('bob')
    const [lb, lAnchorB] = await connect(net, bobT, anchorT)
    bind(bobReplica, lb)
    bind(anchor, lAnchorB)
    await net.sim.advance(100)
    // Bob asks for the conversation's documents by opening them; the anchor answers with its state.
    await bobReplica.open(`log/${aliceLog.conversationId}/index`)
    await net.sim.advance(200)
    await bobReplica.open(`log/${aliceLog.conversationId}/seg/0`)
    await net.sim.advance(200)
    const bobLog = await openDirectLog(alice!.peerId, { source: bobReplica, identity: bob! })
    expect((await bobLog.view()).messages.map((m) => m.text)).toEqual([marker, 'second'])

    // 4. Bob's delivery receipt waits on the anchor for Alice.
    await acknowledge(bobLog, bob!, 'delivered', { random })
    await net.sim.advance(200)
    const anchorView = await messageStatus(anchorLog, 0, ids)
    expect(anchorView.get(ids[0]!)!.delivered).toEqual([bob!.peerId])

    // The anchor's store never held the marker in plaintext.
    await anchor.flush()
    const needle = new TextEncoder().encode(marker)
    expect(anchorStore.rawBytes().some((u) => contains(u, needle))).toBe(false)
  })
})
