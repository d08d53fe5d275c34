import { afterEach, describe, expect, it } from 'vitest'
import { sign, type Identity } from '@ymesh/crypto'
import {
  createEnvelope, decodeEnvelope, encodeEnvelope, ENVELOPE_SIGNING_DOMAIN, envelopeSigningInput, Tag, withSignature, type Envelope
} from '@ymesh/protocol'
import { silentLogger } from '@ymesh/core'
import { testSeed } from '../../../../test/helpers/seed.js'
import { gossipMesh, settle, type GossipPeer } from '../gossip/kit.js'
import { PeerCapabilityManager } from '../../src/capabilities/manager.js'
import { CapabilityAdvertiser } from '../../src/capabilities/advertiser.js'
import { PeerRoleClassifier } from '../../src/capabilities/classifier.js'
import { MemoryCapabilityStore, type CapabilityStore } from '../../src/capabilities/store.js'
import { CAPABILITY_TOPIC, encodeCapabilityRecord, type CapabilityFields, type CapabilityRecord } from '../../src/capabilities/record.js'

const FIELDS: CapabilityFields = {
  platform: 'node', roles: ['relay'], freeSlots: 6, bandwidth: 4_000_000, uptimeMs: 1_000, load: 100, storageQuota: 0, protocolVersions: [1]
}

let close: (() => Promise<void>) | null = null
afterEach(async () => { await close?.(); close = null })

const managerFor = (peer: GossipPeer, store: CapabilityStore = new MemoryCapabilityStore(), maxRecordAgeMs?: number): PeerCapabilityManager => new PeerCapabilityManager({
  gossip: peer.gossip, clock: peer.transport.clock, rng: peer.transport.rng, metrics: peer.metrics, logger: silentLogger, identity: peer.identity, store, maxRecordAgeMs
})

async function signedRecord (signer: Identity, peer: GossipPeer, record: CapabilityRecord, payload = encodeCapabilityRecord(record)): Promise<Envelope> {
  const envelope = createEnvelope({
    id: peer.transport.rng.bytes(16), source: signer.peerId, destination: { kind: 'topic', topic: CAPABILITY_TOPIC }, payloadType: Tag.Capability, payload, ttl: 8
  })
  return withSignature(envelope, await peer.transport.clock.settle(sign(signer, ENVELOPE_SIGNING_DOMAIN, envelopeSigningInput(envelope))))
}

describe('PeerCapabilityManager', () => {
  it('spreads each peer\'s signed record beyond its neighbours, and the classifier reads roles from them', async () => {
    const mesh = await gossipMesh(testSeed(), 3, [[0, 1], [1, 2]])
    close = mesh.close
    const managers = mesh.peers.map((p) => { p.gossip.start(); return managerFor(p) })
    await settle(mesh.net, Promise.all(managers.map(async (m) => { await m.start() })))
    const classifier = new PeerRoleClassifier()
    const detach = classifier.attach(managers[2]!)
    await mesh.net.sim.advance(100)
    const published = await settle(mesh.net, managers[0]!.publish(FIELDS))
    expect(published.sequence).toBe(1)
    await mesh.net.sim.advance(1_000)
    expect(managers[2]!.get(mesh.peers[0]!.identity.peerId)).toEqual(published)
    expect(classifier.role(mesh.peers[0]!.identity.peerId)).toBe('relay')
    expect(managers.map((m) => m.size)).toEqual([1, 1, 1])
    detach()
  })

  it('rejects and counts records that lie about their peer, replays, stale, expired, future and malformed ones', async () => {
    const mesh = await gossipMesh(testSeed(), 2, [[0, 1]])
    close = mesh.close
    const [a, b] = mesh.peers as [GossipPeer, GossipPeer]
    const managers = mesh.peers.map((p) => { p.gossip.start(); return managerFor(p, undefined, 60_000) })
    await settle(mesh.net, Promise.all(managers.map(async (m) => { await m.start() })))
    await mesh.net.sim.advance(70_000)
    const rejected: string[] = []
    managers[1]!.on('record-rejected', ({ reason }) => { rejected.push(reason) })
    await mesh.net.sim.advance(100)
    const now = Math.floor(mesh.net.sim.now)
    const base: CapabilityRecord = { ...FIELDS, peerId: a.identity.peerId, sequence: 5, issuedAt: now }
    const toB = a.links.get(1)!
    const send = async (envelope: Envelope): Promise<void> => { toB.send(Tag.Envelope, encodeEnvelope(envelope)); await mesh.net.sim.advance(200) }
    await send(await settle(mesh.net, signedRecord(a.identity, a, base)))
    const held = managers[1]!.get(a.identity.peerId)
    expect(held?.sequence).toBe(5)
    await send(await settle(mesh.net, signedRecord(a.identity, a, { ...base, sequence: 4 }))) // older
    await send(await settle(mesh.net, signedRecord(a.identity, a, { ...base, load: 900 }))) // same sequence, new id: a replay
    await send(await settle(mesh.net, signedRecord(a.identity, a, { ...base, peerId: b.identity.peerId, sequence: 9 }))) // claims another peer
    await send(await settle(mesh.net, signedRecord(a.identity, a, { ...base, sequence: 6, issuedAt: 0 })))
    await send(await settle(mesh.net, signedRecord(a.identity, a, { ...base, sequence: 7, issuedAt: now + 3_600_000 })))
    await send(await settle(mesh.net, signedRecord(a.identity, a, base, new Uint8Array([9, 9]))))
    const forged = await settle(mesh.net, signedRecord(a.identity, a, { ...base, sequence: 8 }))
    await send({ ...forged, payload: encodeCapabilityRecord({ ...base, sequence: 8, load: 1000 }) }) // bad signature: gossip drops it
    expect(rejected).toEqual(['stale', 'stale', 'wrong-peer', 'expired', 'future', 'malformed'])
    const counter = (reason: string): number => b.metrics.registry.counter('ymesh_capability_rejected_total', '').get({ reason })
    expect(['stale', 'wrong-peer', 'expired', 'future', 'malformed'].map(counter)).toEqual([2, 1, 1, 1, 1])
    expect(b.gossip.gossipMetrics.drops.get({ reason: 'bad-signature' })).toBe(1)
    expect(managers[1]!.get(a.identity.peerId)).toEqual(held)
    // Lies penalise the neighbour that passed them on; stale records are ordinary and do not.
    expect(b.gossip.penalty(a.identity.peerId)).toBe(5 + 5 + 20)
  })

  it('persists records, re-verifies them on restart and continues its own sequence', async () => {
    const mesh = await gossipMesh(testSeed(), 2, [[0, 1]])
    close = mesh.close
    const [a, b] = mesh.peers as [GossipPeer, GossipPeer]
    const storeB = new MemoryCapabilityStore()
    const ma = managerFor(a)
    let mb = managerFor(b, storeB)
    a.gossip.start(); b.gossip.start()
    await settle(mesh.net, Promise.all([ma.start(), mb.start()]))
    await mesh.net.sim.advance(100)
    await settle(mesh.net, ma.publish(FIELDS))
    await settle(mesh.net, mb.publish(FIELDS))
    await settle(mesh.net, mb.publish({ ...FIELDS, load: 500 }))
    await mesh.net.sim.advance(500)
    expect(storeB.size).toBe(2)
    mb.stop(); mb.stop()
    // A tampered record and garbage in storage are refused, the rest restored.
    const tampered = decodeEnvelope((await storeB.load())[0]!)
    await storeB.save('tampered' as never, encodeEnvelope({ ...tampered, payload: encodeCapabilityRecord({ ...FIELDS, peerId: tampered.source, sequence: 99, issuedAt: 1 }) }))
    await storeB.save('garbage' as never, new Uint8Array([1, 2, 3]))
    mb = managerFor(b, storeB)
    const refused: string[] = []
    mb.on('record-rejected', ({ reason }) => { refused.push(reason) })
    await settle(mesh.net, mb.start())
    expect(refused.sort()).toEqual(['bad-signature', 'malformed'])
    expect(mb.size).toBe(2)
    expect(mb.get(b.identity.peerId)?.load).toBe(500)
    const next = await settle(mesh.net, mb.publish(FIELDS))
    expect(next.sequence).toBe(3)
    await mesh.net.sim.advance(500)
    expect(ma.get(b.identity.peerId)?.sequence).toBe(3) // accepted as newer: the restart did not reset the sequence
    mb.stop()
  })

  it('refuses misuse with named errors and survives a failing store', async () => {
    const mesh = await gossipMesh(testSeed(), 1, [])
    close = mesh.close
    const p = mesh.peers[0]!
    p.gossip.start()
    const failing: CapabilityStore = {
      load: async () => { throw new Error('disk gone') },
      save: async () => { throw new Error('disk full') },
      delete: async () => {}
    }
    const manager = new PeerCapabilityManager({ gossip: p.gossip, clock: p.transport.clock, rng: p.transport.rng, metrics: p.metrics, logger: silentLogger, store: failing, maxRecordAgeMs: 2_000 })
    await expect(manager.publish(FIELDS)).rejects.toMatchObject({ name: 'InvalidOptionsError' })
    expect(() => new PeerCapabilityManager({ gossip: p.gossip, clock: p.transport.clock, rng: p.transport.rng, metrics: p.metrics, logger: silentLogger, maxRecords: 0 }))
      .toThrow(expect.objectContaining({ name: 'InvalidOptionsError' }))
    const withId = managerFor(p, failing)
    await expect(withId.publish(FIELDS)).rejects.toMatchObject({ name: 'StoppedError' })
    await settle(mesh.net, withId.start())
    expect(withId.started).toBe(true)
    const record = await settle(mesh.net, withId.publish(FIELDS))
    expect(withId.records()).toEqual([record])
    expect(withId.envelopeOf(p.identity.peerId)?.payloadType).toBe(Tag.Capability)
    withId.stop()
    await settle(mesh.net, manager.start())
    const other = await settle(mesh.net, signedRecord(p.identity, p, { ...FIELDS, peerId: p.identity.peerId, sequence: 1, issuedAt: Math.floor(mesh.net.sim.now) }))
    expect(manager.ingest(other)).toBe('accept')
    await mesh.net.sim.advance(5_000) // the sweep forgets records past maxRecordAgeMs
    expect(manager.size).toBe(0)
    manager.stop()
  })
})

describe('CapabilityAdvertiser', () => {
  it('advertises once at start, once per burst of meaningful changes (debounced), never for small ones, and on refresh', async () => {
    const mesh = await gossipMesh(testSeed(), 1, [])
    close = mesh.close
    const p = mesh.peers[0]!
    p.gossip.start()
    const manager = managerFor(p)
    await settle(mesh.net, manager.start())
    let fields: CapabilityFields = FIELDS
    const advertiser = new CapabilityAdvertiser({
      manager, clock: p.transport.clock, rng: p.transport.rng, logger: silentLogger, measure: () => fields, debounceMs: 1_000, refreshMs: 60_000
    })
    advertiser.start()
    advertiser.start()
    await mesh.net.sim.advance(1_500)
    expect(advertiser.published).toBe(1)
    fields = { ...FIELDS, load: FIELDS.load + 20, freeSlots: FIELDS.freeSlots - 1, bandwidth: FIELDS.bandwidth * 1.1 }
    advertiser.changed()
    await mesh.net.sim.advance(2_000)
    expect(advertiser.published).toBe(1) // nothing meaningful
    for (const load of [300, 400, 500]) { fields = { ...FIELDS, load }; advertiser.changed(); await mesh.net.sim.advance(100) }
    await mesh.net.sim.advance(2_000)
    expect(advertiser.published).toBe(2)
    expect(manager.get(p.identity.peerId)?.load).toBe(500)
    for (const change of [{ freeSlots: 0 }, { roles: [] }, { bandwidth: 1 }, { platform: 'browser' }]) {
      expect(advertiser.isMeaningful(FIELDS, { ...FIELDS, ...change })).toBe(true)
    }
    await mesh.net.sim.advance(60_000)
    expect(advertiser.published).toBe(3)
    advertiser.stop()
    advertiser.changed()
    await mesh.net.sim.advance(120_000)
    expect(advertiser.published).toBe(3)
    manager.stop()
  })
})
