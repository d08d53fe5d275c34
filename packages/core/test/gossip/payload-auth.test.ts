/**
 * 'payload' topics: envelopes carry no gossip signature, ids are the payload's digest, and the
 * subscriber's (asynchronous) verdict is the only check. Here the "higher layer" signs its
 * payloads with the author's identity, as @ymesh/sync signs Yjs updates, and an attacker
 * neighbour tries to get forged payloads spread or genuine ones suppressed.
 */
import { afterEach, describe, expect, it } from 'vitest'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { sign, verify, type Identity } from '@ymesh/crypto'
import { createEnvelope, encodeEnvelope, Tag, type Clock, type Envelope, type PeerId } from '@ymesh/protocol'
import { testSeed } from '../../../../test/helpers/seed.js'
import { payloadMessageId, type GossipMessage, type GossipVerdict } from '../../src/gossip/gossip.js'
import { gossipMesh, settle, type GossipPeer } from './kit.js'

let close: (() => Promise<void>) | null = null
afterEach(async () => { await close?.(); close = null })

const DOMAIN = 'test/signed-payload/v1'
const TOPIC = 'doc/abc'

/** A payload signed by its author at "the higher layer": author • content • signature. */
async function signedPayload (identity: Identity, clock: Clock, content: Uint8Array): Promise<Uint8Array> {
  const signature = await clock.settle(sign(identity, DOMAIN, content))
  return encoding.encode((e) => {
    encoding.writeVarString(e, identity.peerId)
    encoding.writeVarUint8Array(e, content)
    encoding.writeVarUint8Array(e, signature)
  })
}

/** The higher layer's check: the payload's own signature, verified asynchronously. */
const checkPayload = async (m: GossipMessage): Promise<GossipVerdict> => {
  try {
    const d = decoding.createDecoder(m.payload)
    const author = decoding.readVarString(d) as PeerId
    const content = decoding.readVarUint8Array(d)
    const signature = decoding.readVarUint8Array(d)
    return (await verify(author, DOMAIN, content, signature)) ? 'accept' : 'reject'
  } catch {
    return 'reject'
  }
}

const unsignedEnvelope = (source: PeerId, payload: Uint8Array, id = payloadMessageId(TOPIC, 100, payload)): Envelope =>
  createEnvelope({ id, source, destination: { kind: 'topic', topic: TOPIC }, payloadType: 100, payload, ttl: 8 })

/** A line 0 — 1 — 2 — 3 where every peer subscribes to a payload topic with the async check; 0 is the attacker. */
async function line (): Promise<{ mesh: Awaited<ReturnType<typeof gossipMesh>>, got: GossipMessage[][] }> {
  const mesh = await gossipMesh(testSeed(), 4, [[0, 1], [1, 2], [2, 3]])
  close = mesh.close
  const got = mesh.peers.map((p) => {
    const list: GossipMessage[] = []
    p.gossip.start()
    p.gossip.subscribe(TOPIC, async (m) => {
      const verdict = await p.transport.clock.settle(checkPayload(m))
      if (verdict === 'accept') list.push(m)
      return verdict
    }, { authentication: 'payload' })
    return list
  })
  await mesh.net.sim.advance(200)
  return { mesh, got }
}

describe("gossip 'payload' topics", () => {
  it('spread unsigned envelopes whose payloads sign themselves; ids are the payload digest; re-publishing a seen payload does nothing', async () => {
    const { mesh, got } = await line()
    const [, b, , d] = mesh.peers as [GossipPeer, GossipPeer, GossipPeer, GossipPeer]
    const payload = await settle(mesh.net, signedPayload(d.identity, d.transport.clock, new Uint8Array([1, 2, 3])))
    const id = await settle(mesh.net, d.gossip.publish(TOPIC, 100, payload))
    expect([...id]).toEqual([...payloadMessageId(TOPIC, 100, payload)])
    await mesh.net.sim.advance(1_000)
    expect(got.map((g) => g.length)).toEqual([1, 1, 1, 0])
    expect(got[0]![0]!.envelope.signature).toHaveLength(0)
    expect(mesh.peers.reduce((s, p) => s + p.gossip.gossipMetrics.drops.total(), 0)).toBe(0)
    // Another peer that got the same update some other way (anti-entropy) and publishes it: same id, nothing sent.
    const before = mesh.peers.reduce((s, p) => s + p.gossip.gossipMetrics.messages.total(), 0)
    expect([...await settle(mesh.net, b.gossip.publish(TOPIC, 100, payload))]).toEqual([...id])
    expect(b.gossip.has(id)).toBe(true)
    await mesh.net.sim.advance(1_000)
    expect(mesh.peers.reduce((s, p) => s + p.gossip.gossipMetrics.messages.total(), 0)).toBe(before)
  })

  it('a forged payload goes no further than one hop: rejected by the first receiver, which penalises the sender', async () => {
    const { mesh, got } = await line()
    const [attacker, b, c] = mesh.peers as [GossipPeer, GossipPeer, GossipPeer, GossipPeer]
    const penalties: string[] = []
    b.gossip.on('penalty', ({ peer, reason }) => { if (peer === attacker.identity.peerId) penalties.push(reason) })
    // Signed by the attacker but claiming to be d's: the higher layer's check fails.
    const genuine = await settle(mesh.net, signedPayload(mesh.peers[3]!.identity, mesh.peers[3]!.transport.clock, new Uint8Array([7])))
    const forged = new Uint8Array(genuine)
    forged[forged.length - 1]! ^= 1
    attacker.links.get(1)!.send(Tag.Envelope, encodeEnvelope(unsignedEnvelope(mesh.peers[3]!.identity.peerId, forged)))
    await mesh.net.sim.advance(1_000)
    expect(penalties).toEqual(['rejected'])
    expect(b.gossip.penalty(attacker.identity.peerId)).toBe(5)
    expect(got.map((g) => g.length)).toEqual([0, 0, 0, 0])
    // Not pushed, announced nor served on: c never saw as much as an id of it.
    expect(c.gossip.gossipMetrics.messages.total()).toBe(0)
    expect(c.gossip.stats().missing).toBe(0)
    expect(b.gossip.stats().cached).toBe(0)
  })

  it('a forger cannot suppress a genuine message by sending other bytes under its id first', async () => {
    const { mesh, got } = await line()
    const [attacker, b, , d] = mesh.peers as [GossipPeer, GossipPeer, GossipPeer, GossipPeer]
    const payload = await settle(mesh.net, signedPayload(d.identity, d.transport.clock, new Uint8Array([42])))
    const realId = payloadMessageId(TOPIC, 100, payload)
    // The forger knows the id the real update will have and sends junk under it: dropped for its id, penalised.
    attacker.links.get(1)!.send(Tag.Envelope, encodeEnvelope(unsignedEnvelope(d.identity.peerId, new Uint8Array([6, 6, 6]), realId)))
    await mesh.net.sim.advance(200)
    expect(b.gossip.gossipMetrics.drops.get({ reason: 'bad-id' })).toBe(1)
    expect(b.gossip.penalty(attacker.identity.peerId)).toBe(20)
    expect(b.gossip.has(realId)).toBe(false)
    void d.gossip.publish(TOPIC, 100, payload)
    await mesh.net.sim.advance(1_000)
    expect(got.map((g) => g.map((m) => [...m.payload].length))).toEqual([[payload.length], [payload.length], [payload.length], []])
  })

  it('copies arriving while the verdict is pending are duplicates; a failing check on a payload topic forwards nothing and penalises no one', async () => {
    const mesh = await gossipMesh(testSeed(), 3, [[0, 1], [1, 2]])
    close = mesh.close
    const [a, b, c] = mesh.peers as [GossipPeer, GossipPeer, GossipPeer]
    let pending: ((v: GossipVerdict) => void) | null = null
    const atB: number[] = []
    const atC: number[] = []
    for (const p of mesh.peers) p.gossip.start()
    a.gossip.subscribe(TOPIC, () => {}, { authentication: 'payload' })
    b.gossip.subscribe(TOPIC, async (m) => {
      atB.push(m.payload[0]!)
      if (m.payload[0] === 1) return await new Promise<GossipVerdict>((resolve) => { pending = resolve })
      throw new Error('validator bug')
    }, { authentication: 'payload' })
    c.gossip.subscribe(TOPIC, (m) => { atC.push(m.payload[0]!) }, { authentication: 'payload' })
    await mesh.net.sim.advance(200)
    const first = unsignedEnvelope(a.identity.peerId, new Uint8Array([1]))
    void a.gossip.publish(TOPIC, 100, first.payload)
    await mesh.net.sim.advance(200)
    a.links.get(1)!.send(Tag.Envelope, encodeEnvelope(first)) // a second copy while b's check is still running
    await mesh.net.sim.advance(200)
    expect(atB).toEqual([1])
    expect(atC).toEqual([])
    expect(b.gossip.stats().verifying).toBe(1)
    pending!('accept')
    // The verdict resolved outside the simulator's clock: let its promise chain run before time moves on.
    for (let i = 0; i < 10; i++) await Promise.resolve()
    await mesh.net.sim.advance(200)
    expect(atC).toEqual([1])
    void a.gossip.publish(TOPIC, 100, new Uint8Array([2]))
    await mesh.net.sim.advance(500)
    expect(atB).toEqual([1, 2])
    expect(atC).toEqual([1]) // the throwing check is our bug: not forwarded
    expect(b.gossip.gossipMetrics.handlerErrors.total()).toBe(1)
    expect(b.gossip.penalty(a.identity.peerId)).toBe(0)
  })

  it("an unsigned envelope is a bad signature on an 'envelope' topic, and bad options are refused", async () => {
    const mesh = await gossipMesh(testSeed(), 2, [[0, 1]])
    close = mesh.close
    const [a, b] = mesh.peers as [GossipPeer, GossipPeer]
    a.gossip.start()
    b.gossip.start()
    a.gossip.subscribe(TOPIC, () => {})
    b.gossip.subscribe(TOPIC, () => {})
    await mesh.net.sim.advance(200)
    a.links.get(1)!.send(Tag.Envelope, encodeEnvelope(unsignedEnvelope(a.identity.peerId, new Uint8Array([1]))))
    await mesh.net.sim.advance(200)
    expect(b.gossip.gossipMetrics.drops.get({ reason: 'bad-signature' })).toBe(1)
    expect(() => { b.gossip.subscribe('x', () => {}, { authentication: 'none' as 'payload' }) }).toThrow(expect.objectContaining({ name: 'InvalidOptionsError' }))
    expect(() => { b.gossip.subscribe('y', () => {}, { cacheTtlMs: 0 }) }).toThrow(expect.objectContaining({ name: 'InvalidOptionsError' }))
  })
})
