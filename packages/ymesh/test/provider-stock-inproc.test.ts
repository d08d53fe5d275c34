/**
 * MeshProvider's stock-peer wiring in process: a 'y-webrtc' Connection over a simulator link
 * is handed to the provider's peer (as the peer does when a stock y-webrtc peer connects);
 * the far end is a plain Y.Doc + Awareness speaking y-protocols as y-webrtc's WebrtcConn does.
 */
import * as syncProtocol from 'y-protocols/sync'
import { encodeAwarenessUpdate } from 'y-protocols/awareness'
import * as encoding from 'lib0/encoding'
import { afterEach, describe, expect, it } from 'vitest'
import type { SimLink } from '@ymesh/sim'
import { Connection, createCoreMetrics, silentLogger, type FrameDispatcher } from '@ymesh/core'
import type { PeerId } from '@ymesh/protocol'
import { createSimWorld, text, type SimProvider, type SimWorld } from './helpers/sim-providers.js'
import { stockFarEnd } from './helpers/stock-far-end.js'

let world: SimWorld | null = null
afterEach(async () => { await world?.close(); world = null })

/** Connects a stock y-webrtc speaker to `p`'s peer; returns its doc, awareness and connection. */
const attachStock = async (w: SimWorld, p: SimProvider, label: string) => {
  const ours = w.net.createTransport(`${label}-ours`)
  const theirs = w.net.createTransport(label)
  let lb: SimLink | null = null
  const la = ours.createLink({
    remotePeer: label as PeerId,
    initiator: true,
    onSignal: (s) => { lb ??= theirs.createLink({ remotePeer: `${label}-ours` as PeerId, initiator: false, onSignal: (x) => { la.signal(x) } }); lb.signal(s) }
  })
  await w.net.sim.runUntil(() => la.state === 'open' && lb?.state === 'open')
  // The peer's dispatcher is private; the stock connection must dispatch into it as the peer's own do.
  const dispatcher = (p.peer as unknown as { dispatcher: FrameDispatcher }).dispatcher
  const connection = new Connection({ link: la, kind: 'y-webrtc', version: 0, room: 'room', clock: w.net.sim.clock, dispatcher, metrics: createCoreMetrics(), logger: silentLogger })
  const { remote, remoteAwareness, send } = stockFarEnd(lb as unknown as SimLink)
  remoteAwareness.on('update', ({ added, updated }: { added: number[], updated: number[] }, origin: unknown) => {
    if (origin === 'local') send((e) => { encoding.writeVarUint(e, 1); encoding.writeVarUint8Array(e, encodeAwarenessUpdate(remoteAwareness, [...added, ...updated])) })
  })
  const p2 = p.peer as unknown as { emit: (name: string, args: unknown[]) => void }
  p2.emit('connection-open', [{ connection }])
  // y-webrtc's WebrtcConn opens with sync step 1.
  send((e) => { encoding.writeVarUint(e, 0); syncProtocol.writeSyncStep1(e, remote) })
  return { remote, remoteAwareness, connection, send, close: () => { connection.close('test'); p2.emit('connection-close', [{ connection, reason: 'test' }]) } }
}

describe('MeshProvider with a stock y-webrtc peer (in process)', () => {
  it('syncs both ways, marks stock content unauthenticated, relays it and the stock awareness to ymesh peers', async () => {
    const w = world = createSimWorld(11)
    const a = await w.add('a', 'room')
    const b = await w.add('b', 'room')
    a.doc.getText('t').insert(0, 'ymesh ')
    const peers: string[][] = []
    a.provider.on('peers', ({ webrtcPeers }) => { peers.push(webrtcPeers) })
    const stock = await attachStock(w, a, 'stock-1')
    await w.net.sim.runUntil(() => stock.remote.getText('t').toString() === 'ymesh ', { maxEvents: 5_000_000 })
    expect(peers.some((list) => list.includes('stock-1'))).toBe(true)

    stock.remote.getText('t').insert(6, 'stock')
    await w.net.sim.runUntil(() => text(a) === 'ymesh stock' && text(b) === 'ymesh stock', { maxEvents: 5_000_000 })
    expect(a.provider.authenticated?.authorOf(stock.remote.clientID)).toEqual({ kind: 'unauthenticated' })
    expect(b.provider.authenticated?.authorOf(stock.remote.clientID)).toEqual({ kind: 'unauthenticated' })
    await w.net.sim.runUntil(() => a.provider.synced, { maxEvents: 5_000_000 })

    // b edits: it reaches the stock peer through a (plain Yjs update).
    b.doc.getText('t').insert(0, '> ')
    await w.net.sim.runUntil(() => stock.remote.getText('t').toString() === '> ymesh stock', { maxEvents: 5_000_000 })

    // Stock awareness: applied at a, relayed unsigned to b and marked as such.
    stock.remoteAwareness.setLocalStateField('user', 'stocky')
    await w.net.sim.runUntil(() => b.provider.awareness.getStates().get(stock.remote.clientID)?.user === 'stocky', { maxEvents: 5_000_000 })
    expect(a.provider.stockAwarenessClients.has(stock.remote.clientID)).toBe(true)
    expect(b.provider.stockAwarenessClients.has(stock.remote.clientID)).toBe(true)
    // ymesh users' awareness reaches the stock peer.
    a.provider.awareness.setLocalStateField('user', 'alice')
    await w.net.sim.runUntil(() => [...stock.remoteAwareness.getStates().values()].some((s) => s.user === 'alice'), { maxEvents: 5_000_000 })

    // A stock peer cannot speak for a ymesh user's clientID.
    stock.send((e) => {
      encoding.writeVarUint(e, 1)
      encoding.writeVarUint8Array(e, encoding.encode((u) => {
        encoding.writeVarUint(u, 1)
        encoding.writeVarUint(u, a.doc.clientID)
        encoding.writeVarUint(u, 1_000_000)
        encoding.writeVarString(u, JSON.stringify({ user: 'mallory' }))
      }))
    })
    // Query-awareness is answered; garbage is a 'drop', not a crash.
    const drops: string[] = []
    a.provider.on('drop', ({ reason }) => { drops.push(reason) })
    stock.send((e) => { encoding.writeVarUint(e, 3) })
    stock.send((e) => { encoding.writeVarUint(e, 0); encoding.writeVarUint(e, 9) })
    await w.net.sim.runUntil(() => drops.includes('malformed'), { maxEvents: 5_000_000 })
    expect(a.provider.awareness.getStates().get(a.doc.clientID)?.user).toBe('alice')

    stock.close()
    expect(peers.at(-1)?.includes('stock-1')).toBe(false)
    // The stock peer's presence went with the connection that carried it (not 30 s later).
    expect(a.provider.awareness.getStates().has(stock.remote.clientID)).toBe(false)
  })

  it('requireAuth refuses a stock peer with a drop event and closes its connection', async () => {
    const w = world = createSimWorld(12)
    const a = await w.add('a', 'room', { requireAuth: true })
    const drops: string[] = []
    a.provider.on('drop', ({ reason }) => { drops.push(reason) })
    const stock = await attachStock(w, a, 'stock-2')
    await w.net.sim.runUntil(() => drops.includes('unauthenticated-not-allowed'), { maxEvents: 5_000_000 })
    expect(stock.connection.state).not.toBe('open')
  })
})
