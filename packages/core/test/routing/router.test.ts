/**
 * The router's handling of hostile or odd input and its lifecycle, on small simulated meshes:
 * every bad input is a counted drop (never an exception past the dispatcher).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { SimNetwork } from '@ymesh/sim'
import { sealTo, sign } from '@ymesh/crypto'
import {
  createEnvelope, decodeEnvelope, encodeEnvelope, encodeRouteAdvert, envelopeSigningInput, ENVELOPE_SIGNING_DOMAIN,
  routedSealDomain, Tag, withSignature, type Frame, type PeerId
} from '@ymesh/protocol'
import type { Connection } from '@ymesh/core'
import { RoutingMesh, type MeshPeer, type MeshOptions } from './mesh.js'
import type { RouterOptions } from '../../src/routing/options.js'

const APP = 1000
let mesh: RoutingMesh | null = null
afterEach(() => { mesh?.stopAll(); mesh = null })

async function lineOf (n: number, options: MeshOptions = {}, per: Record<number, RouterOptions> = {}): Promise<MeshPeer[]> {
  mesh = new RoutingMesh(new SimNetwork({ seed: 11, link: { latencyMs: 5 } }), options)
  const peers: MeshPeer[] = []
  for (let i = 0; i < n; i++) peers.push(await mesh.addPeer(`p${i}`, per[i]))
  mesh.startAll()
  await mesh.connectAll(peers.slice(1).map((p, i) => [peers[i]!, p] as const))
  await mesh.runUntil(() => mesh!.fullyRouted(), 10_000)
  return peers
}

const drops = (p: MeshPeer, reason: string): number => {
  const line = p.metrics.registry.render().split('\n').find((l) => l.startsWith(`ymesh_routing_drops_total{reason="${reason}"}`))
  return line === undefined ? 0 : Number(line.split(' ')[1])
}
const connectionOf = (p: MeshPeer, to: MeshPeer): Connection => p.neighbours.get(to.id)!
const settle = async <T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> => await mesh!.settle(promise)
/** Drive the simulator a little. */
const run = async (ms = 1_000): Promise<void> => { await mesh!.net.sim.advance(ms) }

/** An envelope authored by `from` to `to`, signed (or with a broken signature), as frame bytes. */
async function crafted (from: MeshPeer, to: PeerId, payloadType: number, payload: Uint8Array, breakSignature = false): Promise<Frame> {
  const unsigned = createEnvelope({ id: from.transport.rng.bytes(16), source: from.id, destination: { kind: 'peer', peer: to }, payloadType, payload })
  const signature = await sign(from.identity, ENVELOPE_SIGNING_DOMAIN, envelopeSigningInput(unsigned))
  if (breakSignature) signature[0]! ^= 1
  return { tag: Tag.Envelope, payload: encodeEnvelope(withSignature(unsigned, signature)) }
}

describe('route adverts from a neighbour', () => {
  it('drops malformed adverts, unknown indices, bursts over the rate, table overflow and strangers', async () => {
    const [a, b, c] = await lineOf(3, {}, { 1: { advertBurst: 60, advertItemsPerSecond: 1, maxRoutes: 3, maxDictionarySize: 8 } })
    const ab = connectionOf(a!, b!)
    const fake = (i: number): PeerId => `fake${i}`.padEnd(43, 'x') as PeerId
    ab.send(Tag.RouteAdvert, new Uint8Array([1, 7]))
    await run()
    expect(drops(b!, 'malformed-advert')).toBe(1)
    ab.send(Tag.RouteAdvert, encodeRouteAdvert([{ kind: 'update', dest: { index: 999 }, seqno: 1, metric: 1, hops: 1 }]))
    await run()
    expect(drops(b!, 'advert-unknown-index')).toBe(1)
    // b already tracks a and c; one more destination fits under maxRoutes 3, the next does not.
    ab.send(Tag.RouteAdvert, encodeRouteAdvert([1, 2].map((i) => ({ kind: 'update' as const, dest: { define: fake(i) }, seqno: 1, metric: 1, hops: 1 }))))
    await run()
    expect(drops(b!, 'table-full')).toBe(1)
    // Past the dictionary bound without a reset (a has named a, c... to b already).
    ab.send(Tag.RouteAdvert, encodeRouteAdvert([3, 4, 5, 6, 7, 8, 9].map((i) => ({ kind: 'update' as const, dest: { define: fake(i) }, seqno: 1, metric: ROUTE_INF, hops: 1 }))))
    await run()
    expect(drops(b!, 'advert-dictionary-overflow')).toBe(1)
    ab.send(Tag.RouteAdvert, encodeRouteAdvert(Array.from({ length: 100 }, () => ({ kind: 'reset' as const }))))
    await run()
    expect(drops(b!, 'advert-rate-limited')).toBe(100)
    // A frame on a connection that is not (or no longer) a neighbour of b.
    b!.dispatcher.dispatch({ tag: Tag.RouteAdvert, payload: encodeRouteAdvert([{ kind: 'reset' }]) }, connectionOf(c!, b!))
    expect(drops(b!, 'advert-from-non-neighbour')).toBe(1)
    expect(b!.metrics.registry.render()).not.toContain('ymesh_handler_errors_total{')
  })

  it('keeps routing when dictionaries must be reset', async () => {
    const peers = await lineOf(6, { router: { maxDictionarySize: 2 } })
    expect(mesh!.fullyRouted()).toBe(true)
    peers[5]!.router.handle(APP, () => {})
    const r = await settle(peers[0]!.router.send(peers[5]!.id, APP, new Uint8Array(1), { ack: true }))
    expect(r).toMatchObject({ status: 'fulfilled', value: { hops: 5 } })
  })

  it('answers seqno requests: a peer that lost its route asks and recovers through the other side', async () => {
    // a–b–c–d–a ring: when b–c breaks, b's alternative towards c (via a) may be infeasible until c bumps its seqno.
    mesh = new RoutingMesh(new SimNetwork({ seed: 5, link: { latencyMs: 5 } }))
    const [a, b, c, d] = [await mesh.addPeer('a'), await mesh.addPeer('b'), await mesh.addPeer('c'), await mesh.addPeer('d')] as MeshPeer[]
    mesh.startAll()
    await mesh.connectAll([[a!, b!], [b!, c!], [c!, d!], [d!, a!]])
    await mesh.runUntil(() => mesh!.fullyRouted(), 10_000)
    expect(b!.router.nextHopTo(c!.id)).toBe(c!.id)
    mesh.disconnect(b!, c!)
    expect(await mesh.runUntil(() => b!.router.nextHopTo(c!.id) === a!.id && c!.router.nextHopTo(b!.id) === d!.id, 2_000)).toBe(true)
    expect(b!.router.routes().find((r) => r.destination === c!.id)).toMatchObject({ nextHop: a!.id, hops: 3 })
  })
})

const ROUTE_INF = 0xffff

describe('routed envelopes', () => {
  it('counts every kind of bad envelope as a drop and delivers nothing', async () => {
    const [a, b] = await lineOf(2)
    const delivered: string[] = []
    b!.router.handle(APP, (m) => { delivered.push(m.messageId) })
    const ab = connectionOf(a!, b!)
    const ba = connectionOf(b!, a!)
    const dispatch = (frame: Frame): void => { b!.dispatcher.dispatch(frame, ba) }
    dispatch({ tag: Tag.Envelope, payload: new Uint8Array([1, 2, 3]) })
    expect(drops(b!, 'malformed-envelope')).toBe(1)
    const topic = createEnvelope({ id: new Uint8Array(16), source: a!.id, destination: { kind: 'topic', topic: 'room' }, payloadType: APP, payload: new Uint8Array(0) })
    dispatch({ tag: Tag.Envelope, payload: encodeEnvelope(topic) })
    expect(drops(b!, 'not-unicast')).toBe(1)
    const forged = await crafted(a!, b!.id, APP, new Uint8Array(10), true)
    dispatch(forged)
    dispatch(forged) // the same envelope id again
    await run()
    expect(drops(b!, 'bad-signature')).toBe(1)
    expect(drops(b!, 'duplicate')).toBe(1)
    dispatch(await crafted(a!, b!.id, APP, new Uint8Array(100))) // not sealed to b
    await run()
    expect(drops(b!, 'unopenable')).toBe(1)
    const sealedGarbage = await sealTo(b!.id, routedSealDomain(APP, a!.id), new Uint8Array(3))
    dispatch(await crafted(a!, b!.id, APP, sealedGarbage))
    await run()
    expect(drops(b!, 'malformed-body')).toBe(1)
    dispatch(await crafted(a!, b!.id, Tag.RouteAck, new Uint8Array(16)))
    dispatch(await crafted(a!, b!.id, Tag.RouteAck, new Uint8Array(3)))
    await run()
    expect(drops(b!, 'unexpected-ack')).toBe(1)
    expect(drops(b!, 'malformed-ack')).toBe(1)
    // A body sealed for another source's domain does not open: a re-signed body is refused.
    const stolen = await sealTo(b!.id, routedSealDomain(APP, b!.id), new Uint8Array(20))
    dispatch(await crafted(a!, b!.id, APP, stolen))
    await run()
    expect(drops(b!, 'unopenable')).toBe(2)
    expect(delivered).toEqual([])
    void ab
  })

  it('suppresses duplicates of a delivered message but acknowledges them again', async () => {
    const [a, b] = await lineOf(2)
    const frames: Frame[] = []
    const dispatch = b!.dispatcher.dispatch.bind(b!.dispatcher)
    b!.dispatcher.dispatch = (frame, connection) => {
      if (frame.tag === Tag.Envelope) frames.push({ tag: frame.tag, payload: frame.payload.slice() })
      dispatch(frame, connection)
    }
    const got: string[] = []
    b!.router.handle(APP, (m) => { got.push(m.messageId) })
    const first = await settle(a!.router.send(b!.id, APP, new Uint8Array([1]), { ack: true }))
    expect(first.status).toBe('fulfilled')
    // Replay the same body under a fresh envelope id, as a retry would.
    const original = decodeEnvelope(frames[0]!.payload)
    const replay = withSignature(createEnvelope({ ...original, id: new Uint8Array(16).fill(9) }), new Uint8Array(0))
    const signature = await sign(a!.identity, ENVELOPE_SIGNING_DOMAIN, envelopeSigningInput(replay))
    const acksBefore = a!.metrics.registry.render()
    dispatch({ tag: Tag.Envelope, payload: encodeEnvelope(withSignature(replay, signature)) }, connectionOf(b!, a!))
    await run()
    expect(got).toHaveLength(1)
    expect(drops(b!, 'duplicate-message')).toBe(1)
    expect(drops(a!, 'unexpected-ack')).toBe(1) // the second ack came, for a send already settled
    void acksBefore
  })

  it('drops a message whose TTL runs out, and forwards nothing when forwarding is off', async () => {
    const peers = await lineOf(4, {}, { 2: { forwarding: false } })
    const [a, b, c, d] = peers as [MeshPeer, MeshPeer, MeshPeer, MeshPeer]
    d.router.handle(APP, () => {})
    expect((await settle(a.router.send(d.id, APP, new Uint8Array(1), { ttl: 1 }))).status).toBe('fulfilled')
    await run()
    expect(drops(b, 'ttl-exhausted')).toBe(1)
    expect((await settle(a.router.send(d.id, APP, new Uint8Array(1)))).status).toBe('fulfilled')
    await run()
    expect(drops(c, 'forwarding-disabled')).toBe(1)
  })

  it('gives up after maxAttempts with a named error, and counts handler failures', async () => {
    const [a, b, c] = await lineOf(3, { router: { maxAttempts: 2, ackTimeoutMs: 200, minAckTimeoutMs: 100 } })
    c!.router.handle(APP, () => { throw new Error('handler bug') })
    mesh!.net.crash(b!.id)
    const r = await settle(a!.router.send(c!.id, APP, new Uint8Array(1), { ack: true }))
    expect(r.status).toBe('rejected')
    expect((r as PromiseRejectedResult).reason).toMatchObject({ name: 'DeliveryFailedError', reason: 'timeout', attempts: 2 })
    expect(a!.metrics.registry.render()).toContain('ymesh_routing_failed_total{reason="timeout"} 1')
  })

  it('delivers to a handler that throws (the error is counted, not rethrown)', async () => {
    const [a, b] = await lineOf(2)
    b!.router.handle(APP, () => { throw new Error('handler bug') })
    expect((await settle(a!.router.send(b!.id, APP, new Uint8Array(1), { ack: true }))).status).toBe('fulfilled')
    expect(drops(b!, 'handler-threw')).toBe(1)
    expect((await settle(a!.router.send(b!.id, 1001, new Uint8Array(1)))).status).toBe('fulfilled')
    await run()
    expect(drops(b!, 'no-handler')).toBe(1)
  })
})

describe('lifecycle and API', () => {
  it('rejects misuse with named errors and settles pending sends on stop', async () => {
    const [a, b] = await lineOf(2)
    expect(() => a!.router.handle(APP, () => {})).not.toThrow()
    expect(() => a!.router.handle(APP, () => {})).toThrowError(expect.objectContaining({ name: 'InvalidOptionsError' }))
    await expect(a!.router.send(a!.id, APP, new Uint8Array(1))).rejects.toMatchObject({ name: 'InvalidOptionsError' })
    const pending = a!.router.send(b!.id, APP, new Uint8Array(1), { ack: true })
    const outcome = pending.then(() => 'resolved', (e: Error) => e.name + ':' + (e as unknown as { reason: string }).reason)
    await run(0)
    a!.router.stop()
    a!.router.stop()
    expect(await outcome).toMatch(/DeliveryFailedError:stopped/)
    await expect(a!.router.send(b!.id, APP, new Uint8Array(1))).rejects.toMatchObject({ name: 'StoppedError' })
    expect(a!.router.routes()).toEqual([])
    a!.router.start()
    a!.router.start()
    expect(a!.router.started).toBe(true)
  })

  it('takes envelopes from outside when it does not register the envelope handler', async () => {
    mesh = new RoutingMesh(new SimNetwork({ seed: 3, link: { latencyMs: 5 } }))
    const a = await mesh.addPeer('a')
    const b = await mesh.addPeer('b')
    const { MessageRouter } = await import('../../src/routing/message-router.js')
    b.router.stop()
    const external = new MessageRouter({
      identity: b.identity, neighbours: b.neighbours, dispatcher: b.dispatcher, clock: b.transport.clock, rng: b.transport.rng,
      metrics: b.metrics, logger: { debug: () => {}, warn: () => {} }, registerEnvelopeHandler: false
    })
    b.dispatcher.handle(Tag.Envelope, (frame, connection) => { external.receiveEnvelope(decodeEnvelope(frame.payload), connection) })
    const got: number[] = []
    external.handle(APP, (m) => { got.push(m.payload[0]!) })
    external.start()
    a.router.start()
    await mesh.connectAll([[a, b]])
    const r = await settle(a.router.send(b.id, APP, new Uint8Array([42]), { ack: true }))
    expect(r.status).toBe('fulfilled')
    expect(got).toEqual([42])
    external.stop()
  })
})
