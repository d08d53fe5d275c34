/**
 * Presence leaves with the peer: a MeshProvider that disconnects (or is destroyed) sends its
 * signed awareness removal before it closes its connections, so peers that only hear it
 * through others drop its presence at once — not when its entry times out (30 s). And when
 * the connection to a neighbour closes without a goodbye (a crash) and no other connection to
 * that peer remains, the neighbour's presence is dropped then (as y-webrtc's full mesh does).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { testSeed } from '../helpers/seed.js'
import { createSimWorld, type SimProvider, type SimWorld } from '../../packages/ymesh/test/helpers/sim-providers.js'

let world: SimWorld | null = null
afterEach(async () => { await world?.close(); world = null })

const userOf = (seer: SimProvider, user: string): boolean => [...seer.provider.awareness.getStates().values()].some((s) => s.user === user)

/** The origin with which `seer`'s signed awareness removed `gone`'s entry (the engine's: 'timeout', a peer id, 'connection closed'). */
const removalOrigin = (seer: SimProvider, gone: SimProvider): { origin: unknown } => {
  const seen: { origin: unknown } = { origin: undefined }
  seer.provider.authenticated?.awareness.on('update', ({ removed }: { removed: number[] }, origin: unknown) => {
    if (removed.includes(gone.doc.clientID) && seen.origin === undefined) seen.origin = origin
  })
  return seen
}

describe('MeshProvider presence when a peer leaves', () => {
  it.each(['disconnect', 'destroy'] as const)('%s() sends a signed awareness removal that reaches peers not directly connected', async (how) => {
    const w = world = createSimWorld(testSeed())
    const sim = w.net.sim
    const a = await w.add('a', 'room')
    const b = await w.add('b', 'room')
    // a and c never connect directly (partitioned before c's first dial): c hears of a only through b.
    const c = await w.add('c', 'room')
    w.net.partition([a.peer.peerId], [c.peer.peerId])
    for (const [p, user] of [[a, 'alice'], [b, 'bob'], [c, 'carol']] as const) p.provider.awareness.setLocalStateField('user', user)
    await sim.runUntil(() => userOf(c, 'alice') && userOf(a, 'carol'), { maxEvents: 5_000_000 })
    expect(c.peer.connections.some((x) => x.remotePeer === a.peer.peerId)).toBe(false)
    const atC = removalOrigin(c, a)
    const atB = removalOrigin(b, a)
    if (how === 'disconnect') a.provider.disconnect()
    else void a.provider.destroy()
    await sim.runUntil(() => !userOf(c, 'alice') && !userOf(b, 'alice'), { maxEvents: 5_000_000 })
    // c: by a's signed removal, relayed by b (not by the 30 s timeout). b: by that entry, or
    // by the closed connection when it closed while b was still verifying the entry.
    expect(atC.origin).toBe(b.peer.peerId)
    expect([a.peer.peerId, 'connection closed']).toContain(atB.origin)
    expect(a.provider.awareness.getLocalState()).toBe(null)
    expect(userOf(c, 'bob')).toBe(true)
  })

  it('a closing page says goodbye: the removal goes out within disconnect() itself once presence was quiet', async () => {
    const w = world = createSimWorld(testSeed())
    const sim = w.net.sim
    const a = await w.add('a', 'room')
    const b = await w.add('b', 'room')
    a.provider.awareness.setLocalStateField('user', 'alice')
    await sim.runUntil(() => userOf(b, 'alice'), { maxEvents: 5_000_000 })
    await sim.advance(2_000) // quiet presence: the removal is signed ahead
    const atB = removalOrigin(b, a)
    // beforeunload: the page tears everything down right after its handler, no task runs later.
    a.provider.disconnect()
    a.peer.stop()
    await sim.runUntil(() => !userOf(b, 'alice'), { maxEvents: 5_000_000 })
    expect([a.peer.peerId, 'connection closed']).toContain(atB.origin)
    await sim.advance(100) // b may still be verifying the removal when the close arrives
    // b learnt a's removal (its clock), not just a closed connection.
    expect(b.provider.authenticated?.awareness.meta.get(a.doc.clientID)?.clock).toBe(a.provider.authenticated?.awareness.meta.get(a.doc.clientID)?.clock)
  })

  it('a neighbour\'s presence goes when its connection closes and no other connection to it remains', async () => {
    const w = world = createSimWorld(testSeed())
    const sim = w.net.sim
    const a = await w.add('a', 'room')
    const b = await w.add('b', 'room')
    a.provider.awareness.setLocalStateField('user', 'alice')
    b.provider.awareness.setLocalStateField('user', 'bob')
    await sim.runUntil(() => userOf(a, 'bob'), { maxEvents: 5_000_000 })
    const atA = removalOrigin(a, b)
    w.net.crash(b.peer.peerId)
    await sim.runUntil(() => !a.peer.connections.some((x) => x.remotePeer === b.peer.peerId), { maxEvents: 5_000_000 })
    await sim.advance(0)
    expect(userOf(a, 'bob')).toBe(false)
    expect(atA.origin).toBe('connection closed')
  })

  it('a neighbour still reachable through another keeps its presence when their direct connection closes', async () => {
    const w = world = createSimWorld(testSeed())
    const sim = w.net.sim
    const a = await w.add('a', 'room')
    const b = await w.add('b', 'room')
    const c = await w.add('c', 'room')
    b.provider.awareness.setLocalStateField('user', 'bob')
    const direct = (): boolean => a.peer.connections.some((x) => x.remotePeer === b.peer.peerId)
    // a knows a route to b through c (not only the direct one).
    await sim.runUntil(() => userOf(a, 'bob') && direct() && c.peer.connections.length >= 2 &&
      a.peer.router?.nextHopTo(b.peer.peerId) !== null, { maxEvents: 5_000_000 })
    await sim.advance(5_000)
    const atA = removalOrigin(a, b)
    w.net.partition([a.peer.peerId], [b.peer.peerId])
    await sim.runUntil(() => !direct(), { maxEvents: 5_000_000 })
    await sim.advance(0)
    expect(atA.origin).toBe(undefined)
    expect(userOf(a, 'bob')).toBe(true)
  })
})
