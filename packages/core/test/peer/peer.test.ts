import { afterEach, describe, expect, it } from 'vitest'
import { Tag } from '@ymesh/protocol'
import { testSeed } from '../../../../test/helpers/seed.js'
import { createMesh, type Mesh } from '../helpers/sim-mesh.js'

let mesh: Mesh | null = null
afterEach(async () => { await mesh?.close(); mesh = null })

describe('createPeer on the simulator', () => {
  it('two peers in a room find each other, authenticate, and exchange frames', async () => {
    mesh = await createMesh(testSeed())
    const a = await mesh.add('a')
    const b = await mesh.add('b')
    await a.joinRoom('room')
    await b.joinRoom('room')
    const got: string[] = []
    b.handle(Tag.Envelope, (frame, connection) => { got.push(`${connection.remotePeer === a.peerId ? 'a' : '?'}:${frame.payload.length}`) })
    await mesh.net.sim.runUntil(() => a.connections.length === 1 && b.connections.length === 1, { maxEvents: 1_000_000 })
    const [ca] = a.connections
    expect(ca?.kind).toBe('ymesh')
    expect(ca?.remotePeer).toBe(b.peerId)
    ca?.send(Tag.Envelope, new Uint8Array(40_000))
    await mesh.net.sim.runUntil(() => got.length === 1)
    expect(got).toEqual(['a:40000'])
    expect(a.neighbours.size).toBe(1)
    expect(a.metricsText()).toMatch(/ymesh_connections\{kind="ymesh"\} 1/)
  })
})
