/**
 * A malicious ymesh peer in the room: forged clientIDs, corrupt frames and a dependency
 * flood are refused, and the honest replica's document stays byte-identical.
 */
import * as Y from 'yjs'
import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { Tag } from '@ymesh/protocol'
import { generateIdentity, clientIdFromPublicKey } from '@ymesh/crypto'
import { createPeer, silentLogger, type Connection } from '@ymesh/core'
import { createSignedUpdate, encodeSyncMessage, SyncMessageType } from '@ymesh/sync'
import { encodeDocFrame } from '../src/index.js'
import { encodeRoomAdmission } from '../src/room-admission.js'
import { createSimWorld, text, type SimWorld } from './helpers/sim-providers.js'

let world: SimWorld | null = null
afterEach(async () => { await world?.close(); world = null })

const hash = (doc: Y.Doc): string => createHash('sha256').update(Y.encodeStateAsUpdate(doc)).digest('hex')

describe('MeshProvider against a malicious ymesh peer', () => {
  it('refuses forged-clientID, corrupt and dependency-flood updates with the document unchanged', async () => {
    world = createSimWorld(2)
    const a = await world.add('a', 'room')
    const b = await world.add('b', 'room')
    a.doc.getText('t').insert(0, 'honest')
    await world.net.sim.runUntil(() => text(b) === 'honest', { maxEvents: 5_000_000 })

    // Mallory: a plain peer (no provider) that joins the room and speaks doc-sync by hand.
    const net = world.net
    const mallory = await generateIdentity({ seed: net.sim.rng.fork('mallory').bytes(32) })
    const transport = net.createTransport(mallory.peerId)
    const rng = transport.rng.fork('peer')
    const peer = createPeer({
      identity: mallory, transport, clock: transport.clock, rng, logger: silentLogger,
      signaling: world.hub.createSource({ localPeer: mallory.peerId, clock: transport.clock, rng: rng.fork('s') })
    })
    peer.handle(Tag.DocSync, () => {})
    peer.handle(Tag.DocAwareness, () => {})
    let toA: Connection | null = null
    peer.on('connection-open', ({ connection }) => { if (connection.remotePeer === a.peer.peerId) toA = connection })
    peer.start()
    await peer.joinRoom('room')
    await net.sim.runUntil(() => toA !== null, { maxEvents: 5_000_000 })
    const before = hash(a.doc)
    const drops: string[] = []
    a.provider.on('drop', ({ reason }) => { drops.push(reason) })
    const send = (message: Uint8Array): void => { (toA as unknown as Connection).send(Tag.DocSync, encodeDocFrame('room', message)) }
    // Mallory is a member (she joined the room): she is admitted like anyone who knows a plain room's name.
    let admitted = false
    a.provider.on('peers', ({ added }) => { if (added.includes(mallory.peerId)) admitted = true })
    send(encodeRoomAdmission({ reply: false, proof: new Uint8Array(0) }))
    await net.sim.runUntil(() => admitted, { maxEvents: 5_000_000 })

    // 1. Forged clientID: mallory signs an update that writes under bob's clientID.
    const forgedDoc = new Y.Doc()
    forgedDoc.clientID = b.doc.clientID
    forgedDoc.getText('t').insert(0, 'forged')
    const payload = Y.encodeStateAsUpdate(forgedDoc)
    const mIndex = 7
    const mClient = await clientIdFromPublicKey(mallory.publicKey, mIndex)
    const forged = await createSignedUpdate(mallory, { docId: 'room', clientIndex: mIndex, clientId: mClient, seqStart: 0, seqEnd: 1, clockStart: 0, clockEnd: 6, sealed: false }, payload)
    send(encodeSyncMessage({ type: SyncMessageType.Update, update: forged.bytes }))
    // ... and one claiming bob's clientID outright, signed by mallory.
    const claimed = await createSignedUpdate(mallory, { docId: 'room', clientIndex: mIndex, clientId: b.doc.clientID, seqStart: 0, seqEnd: 1, clockStart: 0, clockEnd: 6, sealed: false }, payload)
    send(encodeSyncMessage({ type: SyncMessageType.Update, update: claimed.bytes }))
    // 2. Corrupt: a valid signed update with a flipped byte, and garbage.
    const own = new Y.Doc()
    own.clientID = mClient
    own.getText('t').insert(0, 'mallory')
    const good = await createSignedUpdate(mallory, { docId: 'room', clientIndex: mIndex, clientId: mClient, seqStart: 0, seqEnd: 1, clockStart: 0, clockEnd: 7, sealed: false }, Y.encodeStateAsUpdate(own))
    const corrupt = good.bytes.slice()
    corrupt[corrupt.length - 70] = (corrupt[corrupt.length - 70] ?? 0) ^ 0xff
    send(encodeSyncMessage({ type: SyncMessageType.Update, update: corrupt }))
    send(Uint8Array.from([2, 200, 1, 7, 7, 7]))
    ;(toA as unknown as Connection).send(Tag.DocSync, Uint8Array.from([0xff, 0xff, 0xff]))
    // 3. Dependency flood: 400 updates that each wait for a predecessor that never comes.
    for (let i = 0; i < 400; i++) {
      const u = await createSignedUpdate(mallory, { docId: 'room', clientIndex: mIndex, clientId: mClient, seqStart: 10 + i, seqEnd: 11 + i, clockStart: 100 + i, clockEnd: 100 + i, sealed: false }, new Uint8Array([0, 0]))
      send(encodeSyncMessage({ type: SyncMessageType.Update, update: u.bytes }))
    }
    await net.sim.advance(5_000, { maxEvents: 5_000_000 })
    expect(hash(a.doc)).toBe(before)
    expect(text(a)).toBe('honest')
    expect(drops).toContain('clientid-not-bound')
    expect(drops).toContain('bad-signature')
    expect(drops).toContain('malformed')
    expect(drops).toContain('pending-overflow')
    expect(a.provider.authenticated?.stats.pending ?? 0).toBeLessThanOrEqual(256)
    // The honest peers still sync.
    b.doc.getText('t').insert(6, '!')
    await net.sim.runUntil(() => text(a) === 'honest!', { maxEvents: 5_000_000 })
    peer.stop()
  })
})
