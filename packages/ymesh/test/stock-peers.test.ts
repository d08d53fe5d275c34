/**
 * The stock-peer side on a y-webrtc connection over a simulator link: the far end is a plain
 * Y.Doc speaking y-protocols exactly as y-webrtc's WebrtcConn does (sync step 1/2/update,
 * awareness, query-awareness), with no MeshProvider behind it.
 */
import * as Y from 'yjs'
import * as syncProtocol from 'y-protocols/sync'
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness'
import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import { SimNetwork, type SimLink } from '@ymesh/sim'
import { Connection, createCoreMetrics, FrameDispatcher, silentLogger } from '@ymesh/core'
import { Tag, type PeerId } from '@ymesh/protocol'
import { StockPeers } from '../src/stock-peers.js'
import { stockFarEnd } from './helpers/stock-far-end.js'

const setup = async () => {
  const net = new SimNetwork({ seed: 5, microtasks: 'every-event' })
  const a = net.createTransport('ours')
  const b = net.createTransport('stock')
  let lb: SimLink | null = null
  const la = a.createLink({ remotePeer: 'stock' as PeerId, initiator: true, onSignal: (s) => { lb ??= b.createLink({ remotePeer: 'ours' as PeerId, initiator: false, onSignal: (x) => { la.signal(x) } }); lb.signal(s) } })
  await net.sim.runUntil(() => la.state === 'open' && lb?.state === 'open')
  const metrics = createCoreMetrics()
  const dispatcher = new FrameDispatcher(metrics, silentLogger)
  const connection = new Connection({ link: la, kind: 'y-webrtc', version: 0, room: 'r', clock: net.sim.clock, dispatcher, metrics, logger: silentLogger })
  const doc = new Y.Doc()
  const awareness = new Awareness(doc)
  const applied: Uint8Array[] = []
  const malformed: string[] = []
  let synced = 0
  const stock = new StockPeers({
    doc,
    awareness,
    applyUnsigned: (u) => { applied.push(u); Y.applyUpdate(doc, u, 'stock') },
    acceptsStockAwareness: (id) => id !== 666,
    synced: () => { synced++ },
    malformed: (_f, d) => { malformed.push(d) }
  })
  for (const tag of [Tag.Sync, Tag.Awareness, Tag.QueryAwareness, Tag.BcPeerId]) dispatcher.handle(tag, (f, c) => { stock.receive(f, c) })
  doc.on('update', (u: Uint8Array) => { stock.broadcastUpdate(u) })
  awareness.on('update', ({ added, updated, removed }: { added: number[], updated: number[], removed: number[] }) => { stock.broadcastAwareness([...added, ...updated, ...removed]) })
  // The far end: WebrtcConn's behaviour with a plain doc.
  const { remote, remoteAwareness, send } = stockFarEnd(lb as unknown as SimLink)
  return { net, connection, stock, doc, awareness, remote, remoteAwareness, send, applied, malformed, synced: () => synced }
}

describe('StockPeers (y-webrtc protocol on a data channel)', () => {
  it('syncs both ways with step 1/2 and updates, and exchanges awareness with filtering', async () => {
    const s = await setup()
    s.doc.getText('t').insert(0, 'ours;')
    s.remote.getText('t').insert(0, 'theirs;')
    s.stock.add(s.connection)
    expect(s.stock.size).toBe(1)
    // The stock side starts too: step 1 from it.
    s.send((e) => { encoding.writeVarUint(e, 0); syncProtocol.writeSyncStep1(e, s.remote) })
    await s.net.sim.runUntil(() => s.remote.getText('t').toString().includes('ours;') && s.doc.getText('t').toString().includes('theirs;'))
    expect(s.synced()).toBe(1)
    s.doc.getText('t').insert(0, 'live;')
    await s.net.sim.runUntil(() => s.remote.getText('t').toString().includes('live;'))
    // Awareness: ours reaches them; theirs reaches us, except a forbidden clientID.
    s.awareness.setLocalStateField('user', 'us')
    await s.net.sim.runUntil(() => [...s.remoteAwareness.getStates().values()].some((x) => x.user === 'us'))
    s.remoteAwareness.setLocalStateField('user', 'them')
    const forged = new Awareness(new Y.Doc())
    forged.clientID = 666
    forged.setLocalStateField('user', 'forged')
    forged.meta.set(666, { clock: 5, lastUpdated: 0 })
    const upd = encodeAwarenessUpdate(s.remoteAwareness, [s.remoteAwareness.clientID])
    const bad = encodeAwarenessUpdate(forged, [666])
    s.send((e) => { encoding.writeVarUint(e, 1); encoding.writeVarUint8Array(e, upd) })
    s.send((e) => { encoding.writeVarUint(e, 1); encoding.writeVarUint8Array(e, bad) })
    await s.net.sim.runUntil(() => [...s.awareness.getStates().values()].some((x) => x.user === 'them'))
    expect(s.awareness.getStates().has(666)).toBe(false)
    // Query-awareness is answered with our states.
    s.remoteAwareness.states.delete(s.awareness.clientID)
    s.remoteAwareness.meta.delete(s.awareness.clientID)
    s.send((e) => { encoding.writeVarUint(e, 3) })
    await s.net.sim.runUntil(() => [...s.remoteAwareness.getStates().values()].some((x) => x.user === 'us'))
    // bc-peer-id is ignored; garbage is reported, never thrown.
    s.send((e) => { encoding.writeVarUint(e, 4); encoding.writeUint8(e, 1); encoding.writeVarString(e, 'x') })
    s.send((e) => { encoding.writeVarUint(e, 0); encoding.writeVarUint(e, 9) })
    s.send((e) => { encoding.writeVarUint(e, 1); encoding.writeVarUint(e, 200) })
    await s.net.sim.advance(100)
    expect(s.malformed.length).toBe(2)
    expect(s.stock.remove(s.connection)).toBe(true)
    expect(s.stock.has(s.connection)).toBe(false)
    s.connection.close()
    await s.net.sim.run()
  })
})
