import { afterEach, describe, expect, it } from 'vitest'
import { createSimWorld, text, type SimWorld } from './helpers/sim-providers.js'

let world: SimWorld | null = null
afterEach(async () => { await world?.close(); world = null })

describe('MeshProvider on the simulator', () => {
  it('two providers sync a document both ways, signed, and see each other\'s awareness', async () => {
    world = createSimWorld(1)
    const a = await world.add('a', 'room')
    const b = await world.add('b', 'room')
    a.provider.awareness.setLocalStateField('user', 'alice')
    b.provider.awareness.setLocalStateField('user', 'bob')
    a.doc.getText('t').insert(0, 'hello ')
    b.doc.getText('t').insert(0, 'world')
    await world.net.sim.runUntil(() => text(a).length === 11 && text(a) === text(b), { maxEvents: 5_000_000 })
    expect(text(a)).toBe(text(b))
    expect(a.provider.authenticated?.authorOf(b.doc.clientID)).toEqual({ kind: 'signed', author: b.identity.peerId, clientIndex: expect.any(Number) })
    await world.net.sim.runUntil(() => [...a.provider.awareness.getStates().values()].some((s) => s.user === 'bob') &&
      [...b.provider.awareness.getStates().values()].some((s) => s.user === 'alice'), { maxEvents: 5_000_000 })
    expect(a.provider.synced).toBe(true)
  })
})
