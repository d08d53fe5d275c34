/**
 * Gossip at room scale on the simulator: one tree per source, and 'payload' topics (no
 * envelope signature, the subscriber's check is the authentication) with an attacker among
 * the peers.
 */
import { afterEach, describe, expect, it } from 'vitest'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { sign, verify } from '@ymesh/crypto'
import { digest } from 'lib0/hash/sha256'
import { silentLogger } from '@ymesh/core'
import { createEnvelope, encodeEnvelope, Tag, type PeerId } from '@ymesh/protocol'
import type { SimNetwork } from '@ymesh/sim'
import { testSeed } from '../helpers/seed.js'
import { buildMesh, fullMesh, Gossip, randomGraph, type Edge, type MeshNode } from './gossip-net.js'

const TOPIC = 'ymesh/doc/test'
const DOMAIN = 'test/update/v1'

interface Peer { readonly node: MeshNode, readonly gossip: Gossip, readonly got: Set<string> }

let cleanup: (() => Promise<void>) | null = null
afterEach(async () => { await cleanup?.(); cleanup = null })

async function room (seed: number, n: number, graph: (rng: Parameters<typeof randomGraph>[0]) => Edge[], payload: boolean): Promise<{ net: SimNetwork, peers: Peer[] }> {
  const { net, nodes } = await buildMesh(seed, n, graph, { link: { latencyMs: 20, jitterMs: 5 } })
  const peers = nodes.map((node) => {
    const gossip = new Gossip({
      neighbours: node.neighbours, dispatcher: node.dispatcher, clock: node.transport.clock, rng: node.transport.rng,
      metrics: node.metrics, logger: silentLogger, identity: node.identity
    })
    const got = new Set<string>()
    gossip.start()
    gossip.subscribe(TOPIC, payload
      ? async (m) => {
        // The "Yjs layer": author • content • signature, checked against the author's key.
        try {
          const d = decoding.createDecoder(m.payload)
          const author = decoding.readVarString(d) as PeerId
          const content = decoding.readVarUint8Array(d)
          const ok = await node.transport.clock.settle(verify(author, DOMAIN, content, decoding.readVarUint8Array(d)))
          if (!ok) return 'reject'
        } catch {
          return 'reject'
        }
        got.add(Buffer.from(m.id).toString('hex'))
        return 'accept'
      }
      : (m) => { got.add(Buffer.from(m.id).toString('hex')) },
    payload ? { authentication: 'payload' } : {})
    return { node, gossip, got }
  })
  cleanup = async () => {
    for (const p of peers) p.gossip.stop()
    for (const node of nodes) for (const c of [...node.neighbours.all()]) c.close()
    await net.sim.advance(2_000)
  }
  await net.sim.advance(300)
  return { net, peers }
}

/** A 'payload' topic's message id, as docs/gossip.md defines it (computed here independently of the implementation). */
const payloadId = (topic: string, payloadType: number, payload: Uint8Array): Uint8Array =>
  digest(encoding.encode((e) => {
    encoding.writeVarString(e, 'ymesh/gossip-payload-id/v1')
    encoding.writeVarString(e, topic)
    encoding.writeVarUint(e, payloadType)
    encoding.writeVarUint8Array(e, payload)
  })).slice(0, 16)

/** Runs the simulator until `promise` settles (clock.settle completions are simulator events). */
async function settled<T> (net: SimNetwork, promise: Promise<T>): Promise<T> {
  let done = false
  const tracked = promise.finally(() => { done = true })
  await net.sim.runUntil(() => done, { maxEvents: 1_000_000 })
  return await tracked
}

const copies = (peers: Peer[]): number => peers.reduce((s, p) => s + p.gossip.gossipMetrics.messages.total(), 0)

describe('gossip on the simulator: per-source trees and self-signed payloads', () => {
  it('on a 30-peer full mesh every message costs N − 1 copies, first ones included: nobody relays', async () => {
    const { net, peers } = await room(testSeed(), 30, () => fullMesh(30), false)
    const ids: string[] = []
    for (let i = 0; i < 30; i++) {
      void peers[i]!.gossip.publish(TOPIC, 100, new Uint8Array([i])).then((id) => ids.push(Buffer.from(id).toString('hex')))
      await net.sim.advance(100)
    }
    await net.sim.advance(1_000)
    expect(copies(peers)).toBe(30 * 29)
    for (const p of peers) expect(p.got.size).toBe(29)
  })

  it("a writer's later messages cost about N − 1 copies on a random graph: its tree has been pruned to a tree", async () => {
    const n = 60
    const { net, peers } = await room(testSeed(), n, (rng) => randomGraph(rng, n, 8, 5), false)
    const writer = peers[7]!
    void writer.gossip.publish(TOPIC, 100, new Uint8Array([0]))
    await net.sim.advance(1_000)
    const afterFirst = copies(peers)
    expect(afterFirst).toBeGreaterThan(2 * (n - 1)) // the first one floods its tree
    for (let i = 1; i <= 10; i++) { void writer.gossip.publish(TOPIC, 100, new Uint8Array([i])); await net.sim.advance(300) }
    await net.sim.advance(1_000)
    // Link jitter can reorder a few copies and prune a little more, but never lose one.
    expect((copies(peers) - afterFirst) / 10).toBeLessThanOrEqual(1.1 * (n - 1))
    for (const p of peers.filter((q) => q !== writer)) expect(p.got.size).toBe(11)
  })

  it("on a 'payload' topic an attacker's forged updates stop at its neighbours, and genuine ones reach everyone", async () => {
    const n = 40
    const { net, peers } = await room(testSeed(), n, (rng) => randomGraph(rng, n, 8, 4), true)
    const attacker = peers[0]!
    const neighbours = new Set([...attacker.node.neighbours.all()].map((c) => c.remotePeer))
    const victim = peers[n - 1]!
    const genuine: string[] = []
    for (let i = 0; i < 5; i++) {
      const author = peers[1 + i * 5]!
      const content = new Uint8Array([i])
      const signature = await settled(net, author.node.transport.clock.settle(sign(author.node.identity, DOMAIN, content)))
      const payload = encoding.encode((e) => { encoding.writeVarString(e, author.node.identity.peerId); encoding.writeVarUint8Array(e, content); encoding.writeVarUint8Array(e, signature) })
      // The attacker sends a tampered copy (claiming the same author) to every neighbour first.
      const forged = new Uint8Array(payload)
      forged[forged.length - 1]! ^= 0xff
      const forgedEnvelope = createEnvelope({ id: payloadId(TOPIC, 100, forged), source: victim.node.identity.peerId, destination: { kind: 'topic', topic: TOPIC }, payloadType: 100, payload: forged, ttl: 32 })
      for (const c of attacker.node.neighbours.all()) c.send(Tag.Envelope, encodeEnvelope(forgedEnvelope))
      await net.sim.advance(50)
      const id = await author.gossip.publish(TOPIC, 100, payload)
      expect([...id]).toEqual([...payloadId(TOPIC, 100, payload)])
      genuine.push(Buffer.from(id).toString('hex'))
      await net.sim.advance(500)
    }
    await net.sim.advance(3_000)
    for (const p of peers.slice(1)) for (const id of genuine) if (p !== peers[1 + genuine.indexOf(id) * 5]) expect(p.got.has(id)).toBe(true)
    // Every honest peer that received a forged copy got it from the attacker: it went no further.
    for (const p of peers.slice(1)) {
      const rejected = p.gossip.gossipMetrics.drops.get({ reason: 'rejected' })
      if (neighbours.has(p.node.identity.peerId)) expect(rejected).toBe(5)
      else expect(rejected).toBe(0)
      expect(p.gossip.penalty(attacker.node.identity.peerId)).toBe(neighbours.has(p.node.identity.peerId) ? 25 : 0)
    }
  })
})
