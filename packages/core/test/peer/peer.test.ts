import { afterEach, describe, expect, it } from 'vitest'
import { Tag } from '@ymesh/protocol'
import { testSeed } from '../../../../test/helpers/seed.js'
import { editDescriptions } from '../../../../test/helpers/signals.js'
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
    b.handle(Tag.FileChunk, (frame, connection) => { got.push(`${connection.remotePeer === a.peerId ? 'a' : '?'}:${frame.payload.length}`) })
    await mesh.net.sim.runUntil(() => a.connections.length === 1 && b.connections.length === 1, { maxEvents: 1_000_000 })
    const [ca] = a.connections
    expect(ca?.kind).toBe('ymesh')
    expect(ca?.remotePeer).toBe(b.peerId)
    ca?.send(Tag.FileChunk, new Uint8Array(40_000))
    await mesh.net.sim.runUntil(() => got.length === 1)
    expect(got).toEqual(['a:40000'])
    expect(a.neighbours.size).toBe(1)
    expect(a.metricsText()).toMatch(/ymesh_connections\{kind="ymesh"\} 1/)
  })
})

describe('createPeer behaviour', () => {
  it('glare: two ymesh peers that offer at the same time end with exactly one connection', async () => {
    mesh = await createMesh(testSeed())
    // Started at the same virtual time, both maintenance ticks dial in the same instant.
    const a = await mesh.add('a')
    const b = await mesh.add('b')
    await a.joinRoom('room')
    await b.joinRoom('room')
    const opened: string[] = []
    a.on('connection-open', () => { opened.push('a') })
    b.on('connection-open', () => { opened.push('b') })
    await mesh.net.sim.runUntil(() => a.connections.length === 1 && b.connections.length === 1, { maxEvents: 1_000_000 })
    await mesh.net.sim.advance(20_000)
    expect(a.metrics.glare.total() + b.metrics.glare.total()).toBeGreaterThanOrEqual(2) // seen on both sides
    const smaller = a.peerId < b.peerId ? a : b
    expect(smaller.metrics.glare.get({ winner: 'local' })).toBeGreaterThanOrEqual(1)
    expect(a.connections).toHaveLength(1)
    expect(b.connections).toHaveLength(1)
    expect(opened.sort()).toEqual(['a', 'b'])
  })

  it('a signaling hub that edits fingerprints gets no authenticated connection through', async () => {
    let edits = 0
    mesh = await createMesh(testSeed(), {
      hub: {
        tamper: (m) => {
          edits += editDescriptions(m.data, (sdp) => sdp.replace(/a=fingerprint:sha-256 \S+/, 'a=fingerprint:sha-256 ' + Array(32).fill('00').join(':')))
          return m
        }
      }
    })
    const a = await mesh.add('a')
    const b = await mesh.add('b')
    await a.joinRoom('room')
    await b.joinRoom('room')
    await mesh.net.sim.advance(30_000)
    expect(a.connections).toEqual([])
    expect(b.connections).toEqual([])
    expect(edits).toBeGreaterThan(0)
    expect(a.metrics.handshakeFailures.get({ reason: 'bad-signature' }) + b.metrics.handshakeFailures.get({ reason: 'bad-signature' })).toBeGreaterThan(0)
  })

  it('leaveRoom closes connections that served only that room; stop() releases everything and start() resumes', async () => {
    mesh = await createMesh(testSeed())
    const a = await mesh.add('a')
    const b = await mesh.add('b')
    await a.joinRoom({ name: 'room', password: 'pw' })
    await b.joinRoom({ name: 'room', password: 'pw' })
    const closes: string[] = []
    a.on('connection-close', ({ reason }) => { closes.push(reason) })
    await mesh.net.sim.runUntil(() => a.connections.length === 1, { maxEvents: 1_000_000 })
    expect(a.roomNames).toEqual(['room'])
    expect(a.connectionsIn('room')).toHaveLength(1)
    a.leaveRoom('room')
    expect(closes).toEqual(['left-room'])
    await a.joinRoom({ name: 'room', password: 'pw' })
    await mesh.net.sim.runUntil(() => a.connections.length === 1, { maxEvents: 1_000_000 })
    const statuses: boolean[] = []
    a.on('status', ({ running }) => { statuses.push(running) })
    a.stop()
    expect(a.connections).toEqual([])
    expect(a.running).toBe(false)
    a.start()
    await mesh.net.sim.runUntil(() => a.connections.length === 1, { maxEvents: 1_000_000 })
    expect(statuses[0]).toBe(false)
    expect(statuses).toContain(true)
  })

  it('joins invite-secret rooms under a topic derived from the secret', async () => {
    mesh = await createMesh(testSeed())
    const a = await mesh.add('a')
    const b = await mesh.add('b')
    const secret = new Uint8Array(16).fill(3)
    const names: string[] = []
    // The topic is an HMAC computed through clock.settle(): the simulator must run for it.
    void a.joinRoom({ secret, name: 'friends' }).then((n) => { names.push(n) })
    void b.joinRoom({ secret, name: 'friends' }).then((n) => { names.push(n) })
    await mesh.net.sim.runUntil(() => names.length === 2)
    expect(names).toEqual(['friends', 'friends'])
    await mesh.net.sim.runUntil(() => a.connections.length === 1, { maxEvents: 1_000_000 })
    expect(a.connectionsIn('friends')).toHaveLength(1)
  })

  it('stop() leaves no timer, link or signaling channel behind: the simulator runs dry', async () => {
    mesh = await createMesh(testSeed())
    const peers = [await mesh.add('a'), await mesh.add('b'), await mesh.add('c')]
    for (const p of peers) await p.joinRoom('room')
    await mesh.net.sim.runUntil(() => peers.every((p) => p.connections.length === 2), { maxEvents: 1_000_000 })
    for (const p of peers) p.stop()
    const result = await mesh.net.sim.run({ maxEvents: 100_000 })
    expect(result.reason).toBe('idle')
    expect(peers.flatMap((p) => p.connections)).toEqual([])
    expect(mesh.net.peers.flatMap((id) => mesh!.net.transport(id).links)).toEqual([])
  })
})
