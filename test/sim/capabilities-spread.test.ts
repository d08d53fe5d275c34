import { describe, expect, it } from 'vitest'
import { silentLogger } from '@ymesh/core'
import { encodeEnvelope, Tag, tagName } from '@ymesh/protocol'
import { testSeed } from '../helpers/seed.js'
import { buildMesh, CapabilityAdvertiser, Gossip, PeerCapabilityManager, randomGraph, type CapabilityFields } from './gossip-net.js'

const N = 200
const GOSSIP_TAGS = [Tag.Envelope, Tag.GossipIHave, Tag.GossipIWant].map(tagName)

describe('capability records over gossip', () => {
  it('reach every one of 200 peers on a degree-≤8 graph, with each peer receiving ≤ 3× the records\' total size', async () => {
    const seed = testSeed()
    const { net, nodes, edges } = await buildMesh(seed, N, (rng) => randomGraph(rng, N, 8, 6), { link: { latencyMs: 30, jitterMs: 10 } })
    const degrees = new Array<number>(N).fill(0)
    for (const [a, b] of edges) { degrees[a]!++; degrees[b]!++ }
    expect(Math.max(...degrees)).toBeLessThanOrEqual(8)

    const bytesBefore = nodes.map((n) => GOSSIP_TAGS.reduce((s, tag) => s + n.metrics.bytesIn.get({ tag }), 0))
    const peers = nodes.map((node, i) => {
      const gossip = new Gossip({
        neighbours: node.neighbours, dispatcher: node.dispatcher, clock: node.transport.clock, rng: node.transport.rng,
        metrics: node.metrics, logger: silentLogger, identity: node.identity
      })
      const manager = new PeerCapabilityManager({
        gossip, clock: node.transport.clock, rng: node.transport.rng, metrics: node.metrics, logger: silentLogger, identity: node.identity
      })
      const fields: CapabilityFields = {
        platform: i % 3 === 0 ? 'node' : 'browser', roles: i % 10 === 0 ? ['relay', 'anchor'] : [], freeSlots: 4 + (i % 5),
        bandwidth: 1_000_000 + i, uptimeMs: 1_000 * i, load: i % 1000, storageQuota: 0, protocolVersions: [1]
      }
      const advertiser = new CapabilityAdvertiser({ manager, clock: node.transport.clock, rng: node.transport.rng, logger: silentLogger, measure: () => fields })
      gossip.start()
      void manager.start()
      advertiser.start()
      return { gossip, manager, advertiser }
    })
    const start = net.sim.now
    await net.sim.runUntil(() => peers.every((p) => p.manager.size === N), { maxEvents: 50_000_000 })
    const elapsed = net.sim.now - start
    await net.sim.advance(2_000) // let the last announcements land before counting bytes

    expect(peers.every((p) => p.manager.size === N)).toBe(true)
    const totalRecordBytes = peers.reduce((sum, p) => sum + encodeEnvelope(p.manager.envelopeOf(nodes[peers.indexOf(p)]!.identity.peerId)!).length, 0)
    const received = nodes.map((n, i) => GOSSIP_TAGS.reduce((s, tag) => s + n.metrics.bytesIn.get({ tag }), 0) - bytesBefore[i]!)
    const worst = Math.max(...received)
    console.log(`capabilities: ${N} peers learned all ${N} records in ${elapsed.toFixed(0)} virtual ms (advertisements start over 1 s); ` +
      `records total ${totalRecordBytes} B, bytes received per peer max ${worst} (${(worst / totalRecordBytes).toFixed(2)}×), ` +
      `mean ${(received.reduce((a, b) => a + b, 0) / N / totalRecordBytes).toFixed(2)}×`)
    const copies = peers.reduce((s, p) => s + p.gossip.gossipMetrics.messages.total(), 0) / N / (N - 1)
    console.log(`capabilities: record copies received per peer per record ${copies.toFixed(3)}`)
    expect(copies).toBeLessThanOrEqual(1.05) // pulled once each: the lazy-only topic pushes nothing
    expect(worst).toBeLessThanOrEqual(3 * totalRecordBytes)

    for (const p of peers) { p.advertiser.stop(); p.manager.stop(); p.gossip.stop() }
    for (const node of nodes) for (const c of [...node.neighbours.all()]) c.close()
    await net.sim.advance(1_000)
  })
})
