/** API parity with y-webrtc's WebrtcProvider, lifecycle, and BroadcastChannel sync. */
import * as Y from 'yjs'
import { WebrtcProvider } from 'y-webrtc'
import { Awareness } from 'y-protocols/awareness'
import { afterEach, describe, expect, it } from 'vitest'
import { generateIdentity } from '@ymesh/crypto'
import { MemoryStorage } from '@ymesh/sync'
import { bcChannelName, decodeBcMessage, DocumentConflictError, DocRouter, NoSignaling, InvalidProviderOptionsError, MeshProvider, silentLogger } from '../src/index.js'
import { createPeer } from '@ymesh/core'

const providers: MeshProvider[] = []
const make = (room: string, doc = new Y.Doc(), options: ConstructorParameters<typeof MeshProvider>[2] = {}): MeshProvider => {
  const p = new MeshProvider(room, doc, { logger: silentLogger, ...options })
  providers.push(p)
  return p
}
afterEach(async () => { await Promise.all(providers.splice(0).map(async (p) => { await p.destroy() })) })

const waitFor = async (cond: () => boolean, what: string, ms = 10_000): Promise<void> => {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

describe('MeshProvider API parity with WebrtcProvider', () => {
  it.each([
    ['roomName', 'property'], ['doc', 'property'], ['awareness', 'property'], ['connected', 'property'], ['shouldConnect', 'property'],
    ['maxConns', 'property'], ['filterBcConns', 'property'], ['peerOpts', 'property'],
    ['connect', 'method'], ['disconnect', 'method'], ['destroy', 'method'], ['on', 'method'], ['once', 'method'], ['off', 'method'], ['emit', 'method']
  ])('has %s (%s) like WebrtcProvider', (name, kind) => {
    const stock = new WebrtcProvider(`parity-${name}`, new Y.Doc(), { signaling: [] })
    const ours = make(`parity-${name}`)
    try {
      expect(name in stock).toBe(true)
      expect(name in ours).toBe(true)
      expect(typeof (ours as unknown as Record<string, unknown>)[name] === 'function').toBe(kind === 'method')
    } finally {
      stock.destroy()
    }
  })

  it('takes y-webrtc\'s positional constructor and options, and emits status, then synced with nobody around', async () => {
    const doc = new Y.Doc()
    const awareness = new Awareness(doc)
    const p = make('positional', doc, { signaling: [], password: null, awareness, maxConns: 5, filterBcConns: false, peerOpts: {} })
    expect(p.roomName).toBe('positional')
    expect(p.doc).toBe(doc)
    expect(p.awareness).toBe(awareness)
    expect(p.maxConns).toBe(5)
    expect(p.filterBcConns).toBe(false)
    const statuses: boolean[] = []
    p.on('status', ({ connected }) => { statuses.push(connected) })
    await p.whenReady
    expect(p.connected).toBe(true)
    expect(statuses).toEqual([true])
    expect(awareness.clientID).toBe(doc.clientID)
    p.disconnect()
    expect(p.connected).toBe(false)
    expect(statuses).toEqual([true, false])
    p.connect()
    expect(statuses).toEqual([true, false, true])
  })

  it('rejects bad arguments with named errors', () => {
    expect(() => new MeshProvider('', new Y.Doc())).toThrow(InvalidProviderOptionsError)
    expect(() => new MeshProvider('r', {} as Y.Doc)).toThrow(InvalidProviderOptionsError)
  })

  it('keeps no module state: two providers for one room name in one process, and re-creating after destroy()', async () => {
    const a = make('same-room', new Y.Doc(), { broadcastChannel: false })
    const b = make('same-room', new Y.Doc(), { broadcastChannel: false })
    await Promise.all([a.whenReady, b.whenReady])
    expect(a.connected && b.connected).toBe(true)
    await a.destroy()
    const again = make('same-room', new Y.Doc(), { broadcastChannel: false })
    await again.whenReady
    expect(again.connected).toBe(true)
  })

  it('several providers share one peer through a DocRouter; one document per router', async () => {
    const identity = await generateIdentity()
    const peer = createPeer({ identity, signaling: new NoSignaling(identity.peerId), logger: silentLogger })
    const router = new DocRouter(peer)
    const a = make('room-a', new Y.Doc(), { peer, identity, router, broadcastChannel: false })
    const b = make('room-b', new Y.Doc(), { peer, identity, router, broadcastChannel: false })
    await Promise.all([a.whenReady, b.whenReady])
    expect(router.size).toBe(2)
    const dup = make('room-a', new Y.Doc(), { peer, identity, router, broadcastChannel: false })
    await expect(dup.whenReady).rejects.toThrow(DocumentConflictError)
    expect(() => router.register({ docId: 'room-a', topic: 'room-a', docFrame () {}, stockFrame () {}, connectionOpen () {}, connectionClose () {}, refused () {} })).toThrow(DocumentConflictError)
    expect(() => new MeshProvider('x', new Y.Doc(), { peer })).toThrow(InvalidProviderOptionsError)
    peer.stop()
  })

  it.each([
    ['default', {}, true],
    ['true', { hybridSignaling: true }, true],
    ['options', { hybridSignaling: { paths: 1 } }, true],
    ['false', { hybridSignaling: false }, false]
  ] as const)('passes hybridSignaling (%s) to the peer it creates', async (_name, options, hybrid) => {
    const p = make(`hybrid-${_name}`, new Y.Doc(), { broadcastChannel: false, ...options })
    await p.whenReady
    // false: the peer signals through the server only (no HybridSignaling layer in front of it).
    expect(p.meshPeer?.hybrid !== null).toBe(hybrid)
  })

  it('persists: a re-created provider shows the document at once, offline', async () => {
    const identity = await generateIdentity()
    const storage = new MemoryStorage()
    const first = make('persisted', new Y.Doc(), { identity, persistence: storage, broadcastChannel: false, batchWindowMs: 1 })
    await first.whenReady
    first.doc.getText('t').insert(0, 'kept')
    await first.destroy()
    const doc = new Y.Doc()
    const second = make('persisted', doc, { identity, persistence: storage, broadcastChannel: false })
    await second.whenReady
    expect(doc.getText('t').toString()).toBe('kept')
  })
})

describe('MeshProvider over BroadcastChannel', () => {
  it.each([[undefined], ['s3cret']])('two providers in one process sync without WebRTC (password %s)', async (password) => {
    const room = `bc-room-${password ?? 'plain'}`
    const seen: Uint8Array[] = []
    const spy = new BroadcastChannel(bcChannelName(room))
    spy.onmessage = (e: MessageEvent) => { seen.push(e.data as Uint8Array) }
    try {
      const a = make(room, new Y.Doc(), { password: password ?? null })
      const b = make(room, new Y.Doc(), { password: password ?? null })
      const peers: string[][] = []
      b.on('peers', ({ bcPeers }) => { peers.push(bcPeers) })
      await Promise.all([a.whenReady, b.whenReady])
      a.doc.getText('t').insert(0, 'over-bc-secret-text')
      a.awareness.setLocalStateField('user', 'alice')
      await waitFor(() => b.doc.getText('t').toString() === 'over-bc-secret-text', 'the text over BroadcastChannel')
      await waitFor(() => [...b.awareness.getStates().values()].some((s) => s.user === 'alice'), 'awareness over BroadcastChannel')
      expect(peers.at(-1)?.length).toBe(1)
      expect(b.authenticated?.authorOf(a.doc.clientID)?.kind).toBe('signed')
      const needle = Buffer.from('over-bc-secret-text')
      const plaintext = seen.some((m) => Buffer.from(m).includes(needle))
      expect(plaintext).toBe(password === undefined)
      if (password !== undefined) {
        for (const m of seen) expect(Buffer.from(m).subarray(1, 8).toString()).toBe('AES-GCM')
      } else {
        expect(seen.map((m) => decodeBcMessage(m).kind)).toContain(0)
      }
    } finally {
      spy.close()
    }
  })
})
