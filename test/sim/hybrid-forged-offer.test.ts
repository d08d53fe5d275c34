/**
 * A forged offer in a connected member's name (anyone on the signaling path can send one: the
 * server does not authenticate `from`) does not drop the working connection: the new attempt
 * runs beside it and replaces it only if it authenticates as that member (docs/THREAT_MODEL.md).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { generateIdentity } from '@ymesh/crypto'
import type { Link, SignalData } from '@ymesh/protocol'
import type { MeshPeer } from '@ymesh/core'
import { testSeed } from '../helpers/seed.js'
import { createMesh, type Mesh } from '../../packages/core/test/helpers/sim-mesh.js'

let mesh: Mesh | null = null
afterEach(async () => { await mesh?.close(); mesh = null })

describe('a forged offer naming a connected member', () => {
  it.each([true, false])('hybrid %s: the working connection stays; the forged attempt never authenticates', async (hybrid) => {
    mesh = await createMesh(testSeed())
    const m = mesh
    const a = await m.add('a', { hybridSignaling: hybrid })
    const b = await m.add('b', { hybridSignaling: hybrid })
    await a.joinRoom('room')
    await b.joinRoom('room')
    await m.net.sim.runUntil(() => a.connections.length === 1 && b.connections.length === 1, { maxEvents: 1_000_000 })
    const working = a.connections[0]
    // The attacker: its own WebRTC stack and identity, and a signaling connection claiming to be b.
    const attacker = await generateIdentity({ seed: m.net.sim.rng.fork('attacker').bytes(32) })
    const transport = m.net.createTransport(attacker.peerId)
    const forged = m.hub.createSource({ localPeer: b.peerId, clock: transport.clock, rng: transport.rng.fork('forged') })
    let link: Link | null = null
    forged.on('signal', (e) => { if (e.session === 'forged-1' && e.from === a.peerId) link?.signal(e.signal) })
    forged.start()
    forged.join('room')
    await m.net.sim.advance(500)
    link = transport.createLink({
      remotePeer: a.peerId,
      initiator: true,
      onSignal: (signal: SignalData) => { forged.sendSignal('room', a.peerId, signal, { addressed: true, session: 'forged-1' }) }
    })
    let closed = false
    working?.on('close', () => { closed = true })
    // Long enough for the forged attempt's handshake to time out (connectTimeoutMs, 10 s).
    await m.net.sim.advance(15_000)
    expect(closed).toBe(false)
    expect(a.connections).toEqual([working])
    expect(a.connections[0]?.remotePeer).toBe(b.peerId)
    expect(a.metrics.drops.get({ reason: 'replacement-failed' })).toBe(1)
    expect(b.connections.map((c) => c.remotePeer)).toEqual([a.peerId])
    link.close()
    forged.stop()
  })

  it('a restarted member (same identity) still replaces its old connection once it authenticates', async () => {
    mesh = await createMesh(testSeed())
    const m = mesh
    const a = await m.add('a')
    let b: MeshPeer = await m.add('b')
    await a.joinRoom('room')
    await b.joinRoom('room')
    await m.net.sim.runUntil(() => a.connections.length === 1 && b.connections.length === 1, { maxEvents: 1_000_000 })
    const old = a.connections[0]
    m.crash(b) // silence: a still believes in the old connection
    b = await m.add('b')
    await b.joinRoom('room')
    await m.net.sim.runUntil(() => b.connections.length === 1, { maxEvents: 1_000_000 })
    expect(a.connections).toHaveLength(1)
    expect(a.connections[0]).not.toBe(old)
    expect(a.connections[0]?.remotePeer).toBe(b.peerId)
  })
})
