import { afterEach, describe, expect, it } from 'vitest'
import { sign } from '@ymesh/crypto'
import {
  createEnvelope, encodeEnvelope, ENVELOPE_SIGNING_DOMAIN, envelopeSigningInput, Tag, withSignature, type Envelope, type PeerId
} from '@ymesh/protocol'
import { silentLogger } from '@ymesh/core'
import { testSeed } from '../../../../test/helpers/seed.js'
import { Gossip, type GossipMessage } from '../../src/gossip/gossip.js'
import { encodeGossipControl } from '../../src/gossip/wire.js'
import { NeighbourSet } from '../../src/connections/neighbours.js'
import { gossipMesh, settle, type GossipPeer } from './kit.js'

let close: (() => Promise<void>) | null = null
afterEach(async () => { await close?.(); close = null })

const record = (peers: GossipPeer[], topic = 'room'): GossipMessage[][] => peers.map((p) => {
  const got: GossipMessage[] = []
  p.gossip.start()
  p.gossip.subscribe(topic, (m) => { got.push(m) })
  return got
})

async function signedBy (peer: GossipPeer, overrides: Partial<Parameters<typeof createEnvelope>[0]> = {}): Promise<Envelope> {
  const envelope = createEnvelope({
    id: peer.transport.rng.bytes(16), source: peer.identity.peerId, destination: { kind: 'topic', topic: 'room' }, payloadType: 100,
    payload: new Uint8Array([1, 2, 3]), ttl: 8, ...overrides
  })
  return withSignature(envelope, await peer.transport.clock.settle(sign(peer.identity, ENVELOPE_SIGNING_DOMAIN, envelopeSigningInput(envelope))))
}

describe('Gossip', () => {
  it('spreads a message past neighbours along a line, each subscriber once, with the author and hop count', async () => {
    const mesh = await gossipMesh(testSeed(), 4, [[0, 1], [1, 2], [2, 3]])
    close = mesh.close
    const got = record(mesh.peers)
    await mesh.net.sim.advance(200)
    const id = await settle(mesh.net, mesh.peers[0]!.gossip.publish('room', 100, new Uint8Array([7])))
    await mesh.net.sim.advance(500)
    expect(got.map((g) => g.length)).toEqual([0, 1, 1, 1])
    const last = got[3]![0]!
    expect([last.source, last.hops, last.from, [...last.payload], [...last.id]]).toEqual([
      mesh.peers[0]!.identity.peerId, 2, mesh.peers[2]!.identity.peerId, [7], [...id]
    ])
  })

  it('on a triangle (a full mesh) the author pushes to everyone and nobody relays: N − 1 copies from the first message', async () => {
    const mesh = await gossipMesh(testSeed(), 3, [[0, 1], [1, 2], [0, 2]])
    close = mesh.close
    const got = record(mesh.peers)
    await mesh.net.sim.advance(200)
    expect(mesh.peers[0]!.gossip.eagerPeers('room')).toHaveLength(2)
    for (let i = 0; i < 3; i++) {
      void mesh.peers[i]!.gossip.publish('room', 100, new Uint8Array([i]))
      await mesh.net.sim.advance(500)
    }
    expect(mesh.peers.reduce((s, p) => s + p.gossip.gossipMetrics.messages.total(), 0)).toBe(6)
    expect(got.map((g) => g.length)).toEqual([2, 2, 2])
  })

  it('prunes a duplicate-delivering link from the source\'s tree on a square, then delivers with N − 1 copies; another source has its own tree', async () => {
    const mesh = await gossipMesh(testSeed(), 4, [[0, 1], [1, 2], [2, 3], [3, 0]])
    close = mesh.close
    const got = record(mesh.peers)
    await mesh.net.sim.advance(200)
    const total = (): number => mesh.peers.reduce((s, p) => s + p.gossip.gossipMetrics.messages.total(), 0)
    void mesh.peers[0]!.gossip.publish('room', 100, new Uint8Array([1]))
    await mesh.net.sim.advance(500)
    // 0 → 1 and 0 → 3 at once; 1 → 2 and 3 → 2 tie, and 2 relays to the one it heard second, crossing its copy: two duplicates.
    expect(total()).toBe(5)
    expect(mesh.peers.reduce((s, p) => s + p.gossip.gossipMetrics.prunes.total(), 0)).toBe(2)
    const source = mesh.peers[0]!.identity.peerId
    expect(mesh.peers.some((p) => p.gossip.lazyPeers('room', source).length > 0)).toBe(true)
    void mesh.peers[0]!.gossip.publish('room', 100, new Uint8Array([2]))
    await mesh.net.sim.advance(500)
    expect(total()).toBe(5 + 3)
    // Peer 1's messages have not been pruned anywhere yet: its first one floods its own tree.
    void mesh.peers[1]!.gossip.publish('room', 100, new Uint8Array([3]))
    await mesh.net.sim.advance(500)
    expect(total() - 8).toBeGreaterThan(3)
    expect(got.map((g) => g.length)).toEqual([1, 2, 3, 3])
  })

  it('repairs a gap by pulling an announced message (IHAVE → IWANT with GRAFT) when a tree link goes down', async () => {
    const mesh = await gossipMesh(testSeed(), 4, [[0, 1], [1, 2], [2, 3], [3, 0]])
    close = mesh.close
    const got = record(mesh.peers)
    await mesh.net.sim.advance(200)
    void mesh.peers[0]!.gossip.publish('room', 100, new Uint8Array([1]))
    await mesh.net.sim.advance(500)
    // Peer 2 hears from 0 along one side of the square only now; cut that side, so the way left runs over a lazy link.
    const source = mesh.peers[0]!.identity.peerId
    const parent = [1, 3].find((i) => mesh.peers[i]!.gossip.eagerPeers('room', source).includes(mesh.peers[2]!.identity.peerId))!
    mesh.peers[parent]!.links.get(2)!.close()
    await mesh.net.sim.advance(500)
    void mesh.peers[0]!.gossip.publish('room', 100, new Uint8Array([2]))
    await mesh.net.sim.advance(1_000)
    expect(got[2]).toHaveLength(2)
    expect(mesh.peers[2]!.gossip.gossipMetrics.idsWanted.total()).toBe(1)
    expect(mesh.peers[4 - parent]!.gossip.gossipMetrics.grafts.total()).toBe(1)
    // The graft holds: the next message is pushed, not pulled.
    void mesh.peers[0]!.gossip.publish('room', 100, new Uint8Array([3]))
    await mesh.net.sim.advance(1_000)
    expect(got[2]).toHaveLength(3)
    expect(mesh.peers[2]!.gossip.gossipMetrics.idsWanted.total()).toBe(1)
  })

  it('spreads a lazy-only topic by pulls alone: one copy per peer, no eager links', async () => {
    const mesh = await gossipMesh(testSeed(), 3, [[0, 1], [1, 2], [0, 2]])
    close = mesh.close
    const got = mesh.peers.map((p) => {
      const list: GossipMessage[] = []
      p.gossip.start()
      p.gossip.subscribe('records', (m) => { list.push(m) }, { lazyOnly: true })
      return list
    })
    await mesh.net.sim.advance(200)
    void mesh.peers[0]!.gossip.publish('records', 100, new Uint8Array([1]))
    await mesh.net.sim.advance(1_000)
    expect(got.map((g) => g.length)).toEqual([0, 1, 1])
    expect(mesh.peers.every((p) => p.gossip.eagerPeers('records').length === 0)).toBe(true)
    expect(mesh.peers.reduce((s, p) => s + p.gossip.gossipMetrics.messages.total(), 0)).toBe(2)
  })

  it('catches a late subscriber up on cached messages when it subscribes', async () => {
    const mesh = await gossipMesh(testSeed(), 2, [[0, 1]])
    close = mesh.close
    const [a, b] = mesh.peers as [GossipPeer, GossipPeer]
    a.gossip.start()
    a.gossip.subscribe('room', () => {})
    b.gossip.start()
    await mesh.net.sim.advance(100)
    void a.gossip.publish('room', 100, new Uint8Array([1]))
    await mesh.net.sim.advance(100)
    const got: GossipMessage[] = []
    b.gossip.subscribe('room', (m) => { got.push(m) })
    await mesh.net.sim.advance(1_000)
    expect(got).toHaveLength(1)
  })

  it('in flooding mode (pruning and repair off) pushes to every subscribed neighbour and sends no control ids', async () => {
    const mesh = await gossipMesh(testSeed(), 3, [[0, 1], [1, 2], [0, 2]], { eagerPruning: false, lazyRepair: false })
    close = mesh.close
    const got = record(mesh.peers)
    await mesh.net.sim.advance(200)
    for (let i = 0; i < 3; i++) { void mesh.peers[0]!.gossip.publish('room', 100, new Uint8Array([i])); await mesh.net.sim.advance(300) }
    expect(got.map((g) => g.length)).toEqual([0, 3, 3])
    expect(mesh.peers.reduce((s, p) => s + p.gossip.gossipMetrics.prunes.total() + p.gossip.gossipMetrics.idsAnnounced.total(), 0)).toBe(0)
    expect(mesh.peers.reduce((s, p) => s + p.gossip.gossipMetrics.messages.get({ kind: 'duplicate' }), 0)).toBeGreaterThan(0)
  })

  it('drops forged, malformed, oversized and unsubscribed frames with counted reasons and penalties, never throwing', async () => {
    const mesh = await gossipMesh(testSeed(), 2, [[0, 1]], { maxMessageBytes: 2_000 })
    close = mesh.close
    const got = record(mesh.peers)
    const [a, b] = mesh.peers as [GossipPeer, GossipPeer]
    const penalties: string[] = []
    b.gossip.on('penalty', ({ reason }) => { penalties.push(reason) })
    await mesh.net.sim.advance(100)
    const toB = a.links.get(1)!
    const genuine = await settle(mesh.net, signedBy(a))
    // A forged copy with the genuine id goes first: it must not shadow the real one.
    toB.send(Tag.Envelope, encodeEnvelope({ ...genuine, payload: new Uint8Array([6, 6, 6]) }))
    toB.send(Tag.Envelope, encodeEnvelope(genuine))
    toB.send(Tag.Envelope, new Uint8Array([1, 2, 3]))
    toB.send(Tag.GossipIHave, new Uint8Array([0xff]))
    toB.send(Tag.GossipIWant, new Uint8Array([]))
    toB.send(Tag.Envelope, encodeEnvelope(await settle(mesh.net, signedBy(a, { payload: new Uint8Array(3_000) }))))
    toB.send(Tag.Envelope, encodeEnvelope(await settle(mesh.net, signedBy(a, { destination: { kind: 'topic', topic: 'elsewhere' } }))))
    toB.send(Tag.Envelope, encodeEnvelope(await settle(mesh.net, signedBy(a, { destination: { kind: 'peer', peer: b.identity.peerId } }))))
    await mesh.net.sim.advance(2_000)
    const drops = b.gossip.gossipMetrics.drops
    expect([drops.get({ reason: 'bad-signature' }), drops.get({ reason: 'malformed' }), drops.get({ reason: 'oversized' }),
      drops.get({ reason: 'not-subscribed' }), drops.get({ reason: 'not-topic' })]).toEqual([1, 3, 1, 1, 1])
    expect(b.gossip.penalty(a.identity.peerId)).toBe(20 + 3 * 10 + 10)
    expect(penalties.sort()).toEqual(['bad-signature', 'malformed', 'malformed', 'malformed', 'oversized'])
    expect(got[1]!.map((m) => [...m.payload])).toEqual([[1, 2, 3]])
    expect(b.metrics.handlerErrors.total()).toBe(0)
  })

  it('rate-limits a flooding neighbour and penalises it', async () => {
    const mesh = await gossipMesh(testSeed(), 2, [[0, 1]], { ratePerSecond: 10, rateBurst: 20 })
    close = mesh.close
    record(mesh.peers)
    const [a, b] = mesh.peers as [GossipPeer, GossipPeer]
    await mesh.net.sim.advance(100)
    const frame = encodeGossipControl({ topic: 'room', flags: 0, ids: [] })
    for (let i = 0; i < 100; i++) a.links.get(1)!.send(Tag.GossipIHave, frame)
    await mesh.net.sim.advance(500)
    expect(b.gossip.gossipMetrics.drops.get({ reason: 'rate-limited' })).toBeGreaterThanOrEqual(75)
    expect(b.gossip.penalty(a.identity.peerId)).toBeGreaterThanOrEqual(75)
  })

  it("honours the subscriber's verdict: 'reject' penalises and stops, 'ignore' stops, a throwing handler still forwards", async () => {
    const mesh = await gossipMesh(testSeed(), 3, [[0, 1], [1, 2]])
    close = mesh.close
    const [a, b, c] = mesh.peers as [GossipPeer, GossipPeer, GossipPeer]
    const atC: number[] = []
    for (const p of mesh.peers) p.gossip.start()
    a.gossip.subscribe('room', () => {})
    b.gossip.subscribe('room', (m) => {
      if (m.payload[0] === 1) return 'reject'
      if (m.payload[0] === 2) return 'ignore'
      throw new Error('subscriber bug')
    })
    c.gossip.subscribe('room', (m) => { atC.push(m.payload[0]!) })
    await mesh.net.sim.advance(200)
    for (const n of [1, 2, 3]) { void a.gossip.publish('room', 100, new Uint8Array([n])); await mesh.net.sim.advance(300) }
    expect(atC).toEqual([3])
    expect(b.gossip.penalty(a.identity.peerId)).toBe(5)
    expect(b.gossip.gossipMetrics.handlerErrors.total()).toBe(1)
  })

  it('stops relaying to a neighbour that unsubscribed, and publishEnvelope refuses what it has seen', async () => {
    const mesh = await gossipMesh(testSeed(), 2, [[0, 1]])
    close = mesh.close
    const got = record(mesh.peers)
    const [a, b] = mesh.peers as [GossipPeer, GossipPeer]
    await mesh.net.sim.advance(100)
    expect(a.gossip.eagerPeers('room')).toEqual([b.identity.peerId])
    b.gossip.unsubscribe('room')
    b.gossip.unsubscribe('room') // idempotent
    await mesh.net.sim.advance(100)
    expect(a.gossip.eagerPeers('room')).toEqual([])
    const envelope = await settle(mesh.net, signedBy(a))
    expect(a.gossip.publishEnvelope(envelope)).toBe(true)
    expect(a.gossip.publishEnvelope(envelope)).toBe(false)
    await mesh.net.sim.advance(200)
    expect(got[1]).toHaveLength(0)
    expect(a.gossip.stats().cached).toBe(1)
  })

  it('refuses bad options and misuse with named errors', async () => {
    const mesh = await gossipMesh(testSeed(), 1, [])
    close = mesh.close
    const p = mesh.peers[0]!
    const base = { neighbours: new NeighbourSet(), dispatcher: p.dispatcher, clock: p.transport.clock, rng: p.transport.rng, metrics: p.metrics, logger: silentLogger }
    expect(() => new Gossip({ ...base, options: { maxEager: 0 } })).toThrow(expect.objectContaining({ name: 'InvalidOptionsError' }))
    expect(() => new Gossip({ ...base, options: { ttl: 99 } })).toThrow(expect.objectContaining({ name: 'InvalidOptionsError' }))
    expect(() => new Gossip({ ...base, options: { ihaveDelayMs: -1 } })).toThrow(expect.objectContaining({ name: 'InvalidOptionsError' }))
    const anonymous = new Gossip({ ...base, handleEnvelopeFrames: false })
    await expect(anonymous.publish('room', 100, new Uint8Array(1))).rejects.toMatchObject({ name: 'InvalidOptionsError' })
    await expect(p.gossip.publish('room', 100, new Uint8Array(1))).rejects.toMatchObject({ name: 'StoppedError' })
    expect(() => p.gossip.publishEnvelope({} as Envelope)).toThrow(expect.objectContaining({ name: 'StoppedError' }))
    p.gossip.start()
    p.gossip.start()
    expect(p.gossip.started).toBe(true)
    p.gossip.subscribe('room', () => {})
    expect(() => p.gossip.subscribe('room', () => {})).toThrow(expect.objectContaining({ name: 'InvalidOptionsError' }))
    const envelope = await settle(mesh.net, signedBy(p))
    expect(() => p.gossip.publishEnvelope({ ...envelope, destination: { kind: 'peer', peer: 'x' as PeerId } })).toThrow(expect.objectContaining({ name: 'InvalidOptionsError' }))
    expect(() => p.gossip.publishEnvelope({ ...envelope, destination: { kind: 'topic', topic: 'other' } })).toThrow(expect.objectContaining({ name: 'InvalidOptionsError' }))
    expect(() => p.gossip.publishEnvelope({ ...envelope, payload: new Uint8Array(2 * 1024 * 1024) })).toThrow(expect.objectContaining({ name: 'MessageTooLargeError' }))
    p.gossip.stop()
    p.gossip.stop()
    p.gossip.receiveEnvelope(envelope, undefined as never) // ignored while stopped
  })
})
