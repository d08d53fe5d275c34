/**
 * DocGossip (per-source Plumtree) on its own, with a simulator clock and recorded sends.
 * (Copies per update across a whole room are measured by bench/provider.bench.ts.)
 */
import { describe, expect, it } from 'vitest'
import { Simulator } from '@ymesh/sim'
import type { PeerId } from '@ymesh/protocol'
import { InvalidMessageError } from '@ymesh/protocol'
import {
  DocGossip, GossipControlKind, decodeGossipControl, encodeGossipControl, itemIdOf, type ItemId
} from '../src/doc-gossip.js'
import { decodeRelayedAwareness, encodeRelayedAwareness } from '../src/doc-wire.js'

const P = (s: string): PeerId => s as PeerId
const id = (clientId: number, a: number): ItemId => ({ what: 0, clientId, a, b: a + 1 })

const setup = (plumtree = true) => {
  const sim = new Simulator({ seed: 1 })
  const sent: Array<{ to: PeerId, message: Uint8Array }> = []
  const g = new DocGossip({ clock: sim.clock, plumtree, send: (to, message) => { sent.push({ to, message }) } })
  for (const p of ['x', 'y', 'z']) g.add(P(p))
  const controls = (kind: number) => sent.filter((s) => s.message[0] === 32 && decodeGossipControl(s.message).kind === kind)
  return { sim, g, sent, controls }
}

describe('DocGossip', () => {
  it('control messages round-trip; malformed ones throw InvalidMessageError', () => {
    const c = { kind: GossipControlKind.Graft, ids: [id(7, 3), { what: 1 as const, clientId: 9, a: 4, b: 0 }] }
    expect(decodeGossipControl(encodeGossipControl(c))).toEqual(c)
    expect(() => decodeGossipControl(new Uint8Array([32, 9, 0]))).toThrow(InvalidMessageError)
    expect(() => decodeGossipControl(new Uint8Array([31, 0, 0]))).toThrow(InvalidMessageError)
    expect(() => decodeGossipControl(new Uint8Array([32, 0, 1, 0]))).toThrow()
    expect(decodeRelayedAwareness(encodeRelayedAwareness(new Uint8Array([1, 2])))).toEqual(new Uint8Array([1, 2]))
    expect(() => decodeRelayedAwareness(new Uint8Array([32, 0]))).toThrow(InvalidMessageError)
    expect(itemIdOf(new Uint8Array([2, 3, 1, 2, 3]))).toBeNull()
    expect(itemIdOf(new Uint8Array([0, 0, 0]))).toBeNull()
  })

  it('pushes a new item to every neighbour but its sender; a duplicate PRUNEs that source at the sender, which then announces instead', async () => {
    const { sim, g, sent, controls } = setup()
    const m = new Uint8Array([2, 1, 0])
    expect(g.received(id(5, 0), P('x'))).toBe('new')
    g.deliver(id(5, 0), m, P('x'))
    expect(sent.map((s) => s.to).sort()).toEqual(['y', 'z'])
    expect(g.received(id(5, 0), P('y'))).toBe('duplicate')
    expect(controls(GossipControlKind.Prune).map((s) => s.to)).toEqual(['y'])
    // y PRUNEs source 5 at us: its next item from source 5 goes to y as an IHAVE, other sources still pushed.
    g.control(encodeGossipControl({ kind: GossipControlKind.Prune, ids: [id(5, 0)] }), P('y'))
    expect(g.lazyPeers(5)).toEqual(['y'])
    expect(g.eagerPeers(6).sort()).toEqual(['x', 'y', 'z'])
    sent.length = 0
    g.deliver(id(5, 1), m, null)
    expect(sent.map((s) => s.to).sort()).toEqual(['x', 'z'])
    await sim.advance(20)
    expect(controls(GossipControlKind.IHave).map((s) => s.to)).toEqual(['y'])
    // y GRAFTs: it gets the item, and source 5 is pushed to it again.
    sent.length = 0
    g.control(encodeGossipControl({ kind: GossipControlKind.Graft, ids: [id(5, 1)] }), P('y'))
    expect(sent).toEqual([{ to: 'y', message: m }])
    expect(g.eagerPeers(5).sort()).toEqual(['x', 'y', 'z'])
    expect(g.stats).toMatchObject({ received: 2, updatesReceived: 2, duplicates: 1, prunes: 1, announced: 1 })
    g.stop()
  })

  it('an announced item that does not arrive is pulled with a GRAFT, rotating announcers; a copy being checked counts as seen', async () => {
    const { sim, g, controls } = setup()
    g.control(encodeGossipControl({ kind: GossipControlKind.IHave, ids: [id(8, 0)] }), P('x'))
    g.control(encodeGossipControl({ kind: GossipControlKind.IHave, ids: [id(8, 0)] }), P('z'))
    g.control(encodeGossipControl({ kind: GossipControlKind.IHave, ids: [id(8, 0)] }), P('nobody')) // not a neighbour: ignored
    await sim.advance(149)
    expect(controls(GossipControlKind.Graft)).toHaveLength(0)
    await sim.advance(2)
    expect(controls(GossipControlKind.Graft).map((s) => s.to)).toEqual(['x'])
    await sim.advance(400)
    expect(controls(GossipControlKind.Graft).map((s) => s.to)).toEqual(['x', 'z'])
    expect(g.received(id(8, 0), P('z'))).toBe('new')
    expect(g.received(id(8, 0), P('x'))).toBe('duplicate') // still being checked
    g.settled(id(8, 0)) // the engine refused it: the next copy gets through
    expect(g.received(id(8, 0), P('x'))).toBe('new')
    g.remove(P('x'))
    await sim.advance(5_000)
    g.stop()
  })

  it('a lazy neighbour that announced an item well before its eager copy arrived becomes eager for that source (EAGER), and the slow edge is pruned', async () => {
    const { sim, g, controls } = setup()
    g.control(encodeGossipControl({ kind: GossipControlKind.IHave, ids: [id(4, 0)] }), P('z'))
    await sim.advance(10) // within optimizeAfterMs: a tie, not a shortcut
    expect(g.received(id(4, 0), P('x'))).toBe('new')
    expect(controls(GossipControlKind.Eager)).toHaveLength(0)
    g.deliver(id(4, 0), new Uint8Array([2]), P('x'))
    g.control(encodeGossipControl({ kind: GossipControlKind.IHave, ids: [id(4, 1)] }), P('z'))
    await sim.advance(25)
    expect(g.received(id(4, 1), P('x'))).toBe('new')
    expect(controls(GossipControlKind.Eager).map((s) => [s.to, decodeGossipControl(s.message).ids])).toEqual([['z', [id(4, 1)]]])
    expect(controls(GossipControlKind.Prune).map((s) => s.to)).toEqual(['x'])
    expect(g.stats.shortcuts).toBe(1)
    // z is now our parent for source 4: when it leaves, source 4's next IHAVE is pulled at once.
    g.deliver(id(4, 1), new Uint8Array([2]), P('x'))
    g.remove(P('z'))
    g.control(encodeGossipControl({ kind: GossipControlKind.IHave, ids: [id(4, 2)] }), P('y'))
    expect(controls(GossipControlKind.Graft).map((s) => [s.to, decodeGossipControl(s.message).ids])).toEqual([['y', [id(4, 2)]]])
    expect(g.stats.reattached).toBe(1)
    g.stop()
  })

  it('EAGER from a neighbour that had pruned a source resumes pushing it there, without resending anything', () => {
    const { g, sent } = setup()
    g.control(encodeGossipControl({ kind: GossipControlKind.Prune, ids: [id(3, 0)] }), P('y'))
    g.deliver(id(3, 0), new Uint8Array([2]), null)
    expect(g.lazyPeers(3)).toEqual(['y'])
    sent.length = 0
    g.control(encodeGossipControl({ kind: GossipControlKind.Eager, ids: [id(3, 0)] }), P('y'))
    expect(sent).toEqual([])
    expect(g.eagerPeers(3).sort()).toEqual(['x', 'y', 'z'])
    g.stop()
  })

  it('after losing the neighbour that brought a source\'s items, the next IHAVE for it is pulled at once; other sources still wait graftTimeoutMs', async () => {
    const { sim, g, controls } = setup()
    expect(g.received(id(6, 0), P('x'))).toBe('new')
    g.deliver(id(6, 0), new Uint8Array([2]), P('x'))
    expect(g.received(id(7, 0), P('y'))).toBe('new')
    g.deliver(id(7, 0), new Uint8Array([2]), P('y'))
    g.remove(P('x'))
    g.remove(P('x')) // not a neighbour any more: nothing changes
    g.control(encodeGossipControl({ kind: GossipControlKind.IHave, ids: [id(6, 1), id(7, 1)] }), P('z'))
    expect(controls(GossipControlKind.Graft).map((s) => [s.to, decodeGossipControl(s.message).ids])).toEqual([['z', [id(6, 1)]]])
    // Source 6's copy answers the GRAFT: z becomes its parent, with no shortcut taken.
    await sim.advance(60)
    expect(g.received(id(6, 1), P('z'))).toBe('new')
    g.deliver(id(6, 1), new Uint8Array([2]), P('z'))
    await sim.advance(91)
    expect(controls(GossipControlKind.Graft).map((s) => decodeGossipControl(s.message).ids)).toEqual([[id(6, 1)], [id(7, 1)]])
    expect(g.stats).toMatchObject({ reattached: 1, shortcuts: 0 })
    g.stop()
  })

  it('flooding (plumtree: false) pushes to every neighbour, never prunes, ignores IHAVE', async () => {
    const { sim, g, sent } = setup(false)
    g.deliver(id(1, 0), new Uint8Array([2]), null)
    expect(g.received(id(1, 0), P('x'))).toBe('duplicate')
    g.control(encodeGossipControl({ kind: GossipControlKind.Prune, ids: [id(1, 0)] }), P('y'))
    g.control(encodeGossipControl({ kind: GossipControlKind.IHave, ids: [id(2, 0)] }), P('y'))
    g.deliver(id(1, 1), new Uint8Array([2]), null)
    await sim.advance(1_000)
    expect(sent.filter((s) => s.message[0] === 2)).toHaveLength(6)
    expect(sent.filter((s) => s.message[0] === 32)).toHaveLength(0)
  })
})
