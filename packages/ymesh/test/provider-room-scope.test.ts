/**
 * Room scope on a shared connection: a neighbour connected to Alice for one room (`pub`)
 * can neither read nor write her other rooms by naming them in doc-sync frames — no sync,
 * no awareness, no gossip control, no relayed stock awareness — while a real member of both
 * rooms syncs both over the same connection, including rooms it joins later. In a password
 * room the connection must also prove the password-derived key: knowing the name (and even
 * getting Alice's peer to list the connection for the room) is not enough.
 */
import * as Y from 'yjs'
import { createHash } from 'node:crypto'
import * as encoding from 'lib0/encoding'
import { afterEach, describe, expect, it } from 'vitest'
import { Tag, type PeerId } from '@ymesh/protocol'
import { clientIdFromPublicKey, deriveYWebrtcKey, encryptYWebrtc, generateIdentity, type Identity } from '@ymesh/crypto'
import { createPeer, silentLogger, type Connection, type MeshPeer, type RoomSpec } from '@ymesh/core'
import { createSignedAwareness, createSignedUpdate, encodeSyncMessage, SyncMessageType } from '@ymesh/sync'
import { decodeDocFrame, encodeDocFrame } from '../src/index.js'
import { GossipControlKind, encodeGossipControl } from '../src/doc-gossip.js'
import { encodeRelayedAwareness } from '../src/doc-wire.js'
import { ROOM_ADMISSION_TYPE, decodeRoomAdmission, encodeRoomAdmission } from '../src/room-admission.js'
import { createSimWorld, type SimProvider, type SimWorld } from './helpers/sim-providers.js'

let world: SimWorld | null = null
afterEach(async () => { await world?.close(); world = null })

const MAX = { maxEvents: 5_000_000 }
const hash = (doc: Y.Doc): string => createHash('sha256').update(Y.encodeStateAsUpdate(doc)).digest('hex')
const textOf = (p: SimProvider): string => p.doc.getText('t').toString()
/** The room-admission message type (a connection proves it serves the room); it carries no content. */
const ADMISSION = 34

interface Mallory {
  readonly identity: Identity
  readonly peer: MeshPeer
  readonly toAlice: Connection
  /** Messages received from Alice, by the document their frame names. */
  readonly received: Map<string, Uint8Array[]>
  send: (docId: string, message: Uint8Array) => void
}

/** A plain peer (no provider) in `rooms` that speaks doc-sync by hand, connected to `alice`. */
const addMallory = async (w: SimWorld, rooms: RoomSpec[], alice: PeerId): Promise<Mallory> => {
  const net = w.net
  const identity = await generateIdentity({ seed: net.sim.rng.fork('mallory').bytes(32) })
  const transport = net.createTransport(identity.peerId)
  const rng = transport.rng.fork('peer')
  const peer = createPeer({
    identity, transport, clock: transport.clock, rng, logger: silentLogger,
    signaling: w.hub.createSource({ localPeer: identity.peerId, clock: transport.clock, rng: rng.fork('s') })
  })
  const received = new Map<string, Uint8Array[]>()
  const record = ({ payload }: { payload: Uint8Array }): void => {
    const { docId, message } = decodeDocFrame(payload)
    received.set(docId, [...(received.get(docId) ?? []), message.slice()])
  }
  peer.handle(Tag.DocSync, record)
  peer.handle(Tag.DocAwareness, record)
  let toAlice: Connection | null = null
  peer.on('connection-open', ({ connection }) => { if (connection.remotePeer === alice) toAlice = connection })
  peer.start()
  for (const room of rooms) await peer.joinRoom(room)
  await net.sim.runUntil(() => toAlice !== null, MAX)
  const connection = toAlice as unknown as Connection
  return {
    identity,
    peer,
    toAlice: connection,
    received,
    send: (docId, message) => {
      connection.send(message[0] === SyncMessageType.Awareness ? Tag.DocAwareness : Tag.DocSync, encodeDocFrame(docId, message))
    }
  }
}

const syncRequest = encodeSyncMessage({ type: SyncMessageType.SyncRequest, logVector: new Map(), stateVector: new Map() })

/** Mallory's own signed update and awareness entry for `docId` (valid, signed, bound to her clientID). */
const mallorysContent = async (m: Mallory, docId: string): Promise<Uint8Array[]> => {
  const index = 3
  const clientId = await clientIdFromPublicKey(m.identity.publicKey, index)
  const own = new Y.Doc()
  own.clientID = clientId
  own.getText('t').insert(0, 'mallory')
  const update = await createSignedUpdate(m.identity, { docId, clientIndex: index, clientId, seqStart: 0, seqEnd: 1, clockStart: 0, clockEnd: 7, sealed: false }, Y.encodeStateAsUpdate(own))
  const presence = await createSignedAwareness(m.identity, { docId, clientIndex: index, clientId, clock: 5, state: JSON.stringify({ user: 'mallory' }) })
  const unsigned = new Y.Doc()
  unsigned.getText('t').insert(0, 'unsigned')
  return [
    encodeSyncMessage({ type: SyncMessageType.Update, update: update.bytes }),
    encodeSyncMessage({ type: SyncMessageType.Awareness, entry: presence.bytes }),
    encodeSyncMessage({ type: SyncMessageType.UnsignedUpdate, update: Y.encodeStateAsUpdate(unsigned) })
  ]
}

const contentTypes = (messages: Uint8Array[] | undefined): number[] => (messages ?? []).map((m) => m[0] as number).filter((t) => t !== ADMISSION)

describe('MeshProvider room scope on shared connections', () => {
  it('a neighbour connected for room pub cannot read room b: sync requests get nothing, no awareness leaks', async () => {
    const w = world = createSimWorld(31)
    const alice = await w.addPeer('alice')
    await alice.provide('pub')
    const b = await alice.provide('b')
    b.doc.getText('t').insert(0, 'private plans')
    b.provider.awareness.setLocalStateField('user', 'alice')
    const drops: Array<{ reason: string, from: string | null }> = []
    b.provider.on('drop', (e) => { drops.push(e) })

    const mallory = await addMallory(w, ['pub'], alice.peer.peerId)
    await w.net.sim.runUntil(() => (mallory.received.get('pub')?.length ?? 0) > 0, MAX) // the connection carries pub
    mallory.send('b', syncRequest)
    await w.net.sim.advance(6_000, MAX) // past an anti-entropy round and Alice's awareness renewals
    b.doc.getText('t').insert(0, 'more ')
    await w.net.sim.advance(2_000, MAX)

    expect(mallory.received.get('b')).toBeUndefined()
    expect(drops.filter((d) => d.reason === 'not-a-member' && d.from === mallory.identity.peerId).length).toBeGreaterThan(0)
    expect(alice.router.notMemberFrames).toBeGreaterThan(0)
    // pub: Alice asked for Mallory's admission, and asked again while none came.
    const admissions = (mallory.received.get('pub') ?? []).filter((m) => m[0] === ROOM_ADMISSION_TYPE)
    expect(admissions.length).toBeGreaterThan(1)
    expect(admissions.map((m) => decodeRoomAdmission(m).reply)).not.toContain(true)
    mallory.peer.stop()
  })

  it('room admission: a plain room needs no proof, a malformed admission is a counted drop, and the grammar is strict', async () => {
    expect(decodeRoomAdmission(encodeRoomAdmission({ reply: true, proof: Uint8Array.of(1, 2, 3) }))).toEqual({ reply: true, proof: Uint8Array.of(1, 2, 3) })
    expect(() => decodeRoomAdmission(Uint8Array.of(33, 0, 0))).toThrow(/room admission/)
    expect(() => decodeRoomAdmission(Uint8Array.of(ROOM_ADMISSION_TYPE, 2, 0))).toThrow()
    expect(() => decodeRoomAdmission(Uint8Array.of(ROOM_ADMISSION_TYPE, 0, 0, 9))).toThrow()

    const w = world = createSimWorld(36)
    const alice = await w.addPeer('alice')
    const pub = await alice.provide('pub')
    pub.doc.getText('t').insert(0, 'public')
    const reasons: string[] = []
    pub.provider.on('drop', ({ reason }) => { reasons.push(reason) })
    const mallory = await addMallory(w, ['pub'], alice.peer.peerId)
    mallory.send('pub', Uint8Array.of(ROOM_ADMISSION_TYPE, 7))
    await w.net.sim.runUntil(() => reasons.includes('malformed'), MAX)
    expect(pub.provider.providerDrops.malformed).toBe(1)
    // A member of a plain room (it joined by name) is admitted with an empty proof, answered, and synced.
    mallory.send('pub', encodeRoomAdmission({ reply: false, proof: new Uint8Array(0) }))
    mallory.send('pub', syncRequest)
    await w.net.sim.runUntil(() => contentTypes(mallory.received.get('pub')).includes(SyncMessageType.SyncResponse), MAX)
    const fromAlice = mallory.received.get('pub') ?? []
    expect(fromAlice.some((m) => m[0] === ROOM_ADMISSION_TYPE && decodeRoomAdmission(m).reply)).toBe(true)
    mallory.peer.stop()
  })

  it('a neighbour connected for room pub cannot write into room b: updates, gossip pushes and awareness are dropped and counted', async () => {
    const w = world = createSimWorld(32)
    const alice = await w.addPeer('alice')
    await alice.provide('pub')
    const b = await alice.provide('b')
    const bob = await w.add('bob', 'b') // a real member of b, reached through Alice
    b.doc.getText('t').insert(0, 'honest')
    await w.net.sim.runUntil(() => textOf(bob) === 'honest', MAX)
    const before = hash(b.doc)
    const reasons: string[] = []
    b.provider.on('drop', ({ reason }) => { reasons.push(reason) })

    const mallory = await addMallory(w, ['pub'], alice.peer.peerId)
    const content = await mallorysContent(mallory, 'b')
    for (const message of content) mallory.send('b', message)
    await w.net.sim.advance(5_000, MAX)

    expect(hash(b.doc)).toBe(before)
    expect(textOf(b)).toBe('honest')
    expect(textOf(bob)).toBe('honest')
    const users = (p: SimProvider): unknown[] => [...p.provider.awareness.getStates().values()].map((s) => s.user)
    expect(users(b)).not.toContain('mallory')
    expect(users(bob)).not.toContain('mallory')
    expect(reasons.filter((r) => r === 'not-a-member').length).toBeGreaterThanOrEqual(content.length)
    expect(b.provider.authenticated?.stats.pending ?? 0).toBe(0)
    mallory.peer.stop()
  })

  it('gossip control, pulls and relayed stock awareness for a room the connection does not serve are refused', async () => {
    const w = world = createSimWorld(33)
    const alice = await w.addPeer('alice')
    await alice.provide('pub')
    const b = await alice.provide('b')
    b.doc.getText('t').insert(0, 'cached item')
    b.provider.awareness.setLocalStateField('user', 'alice')
    await w.net.sim.advance(500, MAX)
    const engine = b.provider.authenticated
    const clock = engine?.awareness.meta.get(b.doc.clientID)?.clock ?? 0
    const reasons: string[] = []
    b.provider.on('drop', ({ reason }) => { reasons.push(reason) })

    const mallory = await addMallory(w, ['pub'], alice.peer.peerId)
    const ids = [
      { what: 0 as const, clientId: b.doc.clientID, a: 0, b: 1 },
      { what: 1 as const, clientId: b.doc.clientID, a: clock, b: 0 }
    ]
    // GRAFT would make Alice push her cached items; IHAVE would make her pull (GRAFT) from us.
    mallory.send('b', encodeGossipControl({ kind: GossipControlKind.Graft, ids }))
    mallory.send('b', encodeGossipControl({ kind: GossipControlKind.IHave, ids: [{ what: 0, clientId: 99, a: 0, b: 1 }] }))
    mallory.send('b', encodeGossipControl({ kind: GossipControlKind.Prune, ids }))
    // A stock y-webrtc user's presence, "relayed" by Mallory.
    const stockClient = 4242
    mallory.send('b', encodeRelayedAwareness(encoding.encode((e) => {
      encoding.writeVarUint(e, 1)
      encoding.writeVarUint(e, stockClient)
      encoding.writeVarUint(e, 1)
      encoding.writeVarString(e, JSON.stringify({ user: 'stock-mallory' }))
    })))
    await w.net.sim.advance(3_000, MAX)

    expect(mallory.received.get('b')).toBeUndefined()
    expect(b.provider.awareness.getStates().has(stockClient)).toBe(false)
    expect(b.provider.stockAwarenessClients.has(stockClient)).toBe(false)
    expect(reasons.filter((r) => r === 'not-a-member').length).toBeGreaterThanOrEqual(4)
    mallory.peer.stop()
  })

  it('a member of both rooms syncs both over one connection, including rooms (plain and password) it joins later', async () => {
    const w = world = createSimWorld(34)
    const alice = await w.addPeer('alice')
    const aPub = await alice.provide('pub')
    const aB = await alice.provide('b')
    const aSecret = await alice.provide('secret', { password: 'pw' })
    const bob = await w.addPeer('bob')
    const bPub = await bob.provide('pub')
    aPub.doc.getText('t').insert(0, 'pub')
    await w.net.sim.runUntil(() => textOf(bPub) === 'pub', MAX)
    const conn = (): Connection[] => alice.peer.connections.filter((c) => c.remotePeer === bob.peer.peerId)
    expect(conn()).toHaveLength(1)
    const first = conn()[0] as Connection

    // Bob joins b and the password room later: the same connection comes to serve them.
    const bB = await bob.provide('b')
    const bSecret = await bob.provide('secret', { password: 'pw' })
    aB.doc.getText('t').insert(0, 'from alice ')
    bB.doc.getText('t').insert(0, 'from bob')
    aSecret.doc.getText('t').insert(0, 'secret')
    bSecret.provider.awareness.setLocalStateField('user', 'bob')
    await w.net.sim.runUntil(() => textOf(aB) === textOf(bB) && textOf(aB).length === 19 && textOf(bSecret) === 'secret', MAX)
    await w.net.sim.runUntil(() => [...aSecret.provider.awareness.getStates().values()].some((s) => s.user === 'bob'), MAX)
    bPub.doc.getText('t').insert(3, '!')
    await w.net.sim.runUntil(() => textOf(aPub) === 'pub!', MAX)
    expect(conn()).toEqual([first])
    expect(alice.router.notMemberFrames).toBe(0)
    expect(aB.provider.synced && aSecret.provider.synced && bSecret.provider.synced).toBe(true)
  })

  it('a password room: knowing the name is not enough, even when the peer lists the connection for the room', async () => {
    const w = world = createSimWorld(35)
    const alice = await w.addPeer('alice')
    await alice.provide('pub')
    const secret = await alice.provide('secret', { password: 'pw' })
    secret.doc.getText('t').insert(0, 'the password protects this')
    secret.provider.awareness.setLocalStateField('user', 'alice')
    const before = hash(secret.doc)
    const reasons: string[] = []
    secret.provider.on('drop', ({ reason }) => { reasons.push(reason) })

    // Mallory knows the room's name and joins it, without the password.
    const mallory = await addMallory(w, ['pub', 'secret'], alice.peer.peerId)
    mallory.send('secret', syncRequest)
    for (const message of await mallorysContent(mallory, 'secret')) mallory.send('secret', message)
    await w.net.sim.advance(3_000, MAX)
    expect(contentTypes(mallory.received.get('secret'))).toEqual([])

    // A neighbour's word is enough for the peer to list a connection for a room: a signal
    // relayed through the mesh that names the topic. The data plane must not rely on it.
    mallory.peer.hybrid?.sendSignal('secret', alice.peer.peerId, { type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 10.9.9.9 9 typ host' } }, { addressed: true, session: 'claim' })
    await w.net.sim.runUntil(() => alice.peer.connectionsIn('secret').some((c) => c.remotePeer === mallory.identity.peerId), MAX)
    // ... and a made-up proof (encrypted under a guessed password).
    const guessed = await deriveYWebrtcKey('guess', 'secret')
    const proof = await encryptYWebrtc(new TextEncoder().encode('I know the password'), guessed)
    mallory.send('secret', encoding.encode((e) => { encoding.writeVarUint(e, ADMISSION); encoding.writeVarUint(e, 0); encoding.writeVarUint8Array(e, proof) }))
    mallory.send('secret', syncRequest)
    for (const message of await mallorysContent(mallory, 'secret')) mallory.send('secret', message)
    await w.net.sim.advance(6_000, MAX)

    expect(contentTypes(mallory.received.get('secret'))).toEqual([])
    expect(hash(secret.doc)).toBe(before)
    expect([...secret.provider.awareness.getStates().values()].map((s) => s.user)).not.toContain('mallory')
    expect(reasons).toContain('not-a-member')
    mallory.peer.stop()
  })
})
