import { afterEach, describe, expect, it } from 'vitest'
import { testSeed } from '../../../../test/helpers/seed.js'
import type { GossipMessage } from '../../src/gossip/gossip.js'
import { gossipMesh, settle, type GossipPeer } from './kit.js'

let close: (() => Promise<void>) | null = null
afterEach(async () => { await close?.(); close = null })

describe('Gossip lazy repair on lossy links (trustLinkDelivery: false)', () => {
  it('keeps announcing to a neighbour whose pull reply was lost after its pull retries ran out, so it gets the message once the path heals', async () => {
    const mesh = await gossipMesh(testSeed(), 2, [[0, 1]], { trustLinkDelivery: false })
    close = mesh.close
    const { net } = mesh
    net.setDefaultLink({ mode: 'unreliable', loss: 0 })
    const [a, b] = mesh.peers as [GossipPeer, GossipPeer]
    const got: GossipMessage[] = []
    a.gossip.start()
    a.gossip.subscribe('room', () => {})
    b.gossip.start()
    b.gossip.subscribe('room', (m) => { got.push(m) })
    await net.sim.advance(200)
    const aToB = (): ReturnType<typeof net.partitionOneWay> => net.partitionOneWay([a.identity.peerId], [b.identity.peerId])
    // The eager push is lost; the IHAVE that follows it gets through, so b will pull.
    const first = aToB()
    await settle(net, a.gossip.publish('room', 100, new Uint8Array([1])))
    net.heal(first)
    await net.sim.runUntil(() => b.gossip.stats().missing === 1)
    // Every pull reply is lost until b's retries run out (as when a partition starts right after an IHAVE).
    const second = aToB()
    await net.sim.runUntil(() => b.gossip.stats().missing === 0)
    expect(b.gossip.gossipMetrics.drops.get({ reason: 'pull-gave-up' })).toBe(1)
    expect(a.gossip.gossipMetrics.sent.get({ kind: 'pulled' })).toBeGreaterThan(0)
    expect(got).toHaveLength(0)
    net.heal(second)
    // A reply handed to a lossy link proves nothing: a re-announces (exponential spacing), b pulls again.
    await net.sim.advance(30_000)
    expect(got).toHaveLength(1)
  })
})
