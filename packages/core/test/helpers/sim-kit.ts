/**
 * Simulator wiring for connection-level tests: identities from the seed, a transport per
 * peer, and links whose signals travel through an optional tampering function (a malicious
 * signaling server).
 */
import { generateIdentity, type Identity } from '@ymesh/crypto'
import type { Link, SignalData } from '@ymesh/protocol'
import { SimNetwork, type NetworkOptions, type SimTransport } from '@ymesh/sim'
import {
  createCoreMetrics, FrameDispatcher, silentLogger, startHandshake, type Connection, type CoreMetrics,
  type HandshakeOptions, type PendingHandshake
} from '@ymesh/core'

export interface Kit {
  readonly identity: Identity
  readonly transport: SimTransport
  readonly metrics: CoreMetrics
  readonly dispatcher: FrameDispatcher
}

export async function identityFor (net: SimNetwork, label: string): Promise<Identity> {
  return await generateIdentity({ seed: net.sim.rng.fork(`identity:${label}`).bytes(32) })
}

export async function makeKit (net: SimNetwork, label: string, identity?: Identity): Promise<Kit> {
  const id = identity ?? await identityFor(net, label)
  const metrics = createCoreMetrics()
  return { identity: id, transport: net.createTransport(id.peerId), metrics, dispatcher: new FrameDispatcher(metrics, silentLogger) }
}

export type Tamper = (signal: SignalData, from: 'a' | 'b') => SignalData

/** One link on each side, signals wired through `tamper`. */
export function wire (a: Kit, b: Kit, tamper: Tamper = (s) => s): { la: Link, lb: Link } {
  let lb: Link | null = null
  const early: SignalData[] = []
  const la = a.transport.createLink({
    remotePeer: b.identity.peerId,
    initiator: true,
    onSignal: (s) => { const t = tamper(s, 'a'); if (lb === null) early.push(t); else lb.signal(t) }
  })
  lb = b.transport.createLink({ remotePeer: a.identity.peerId, initiator: false, onSignal: (s) => { la.signal(tamper(s, 'b')) } })
  for (const s of early) lb.signal(s)
  return { la, lb }
}

export function handshakeOn (kit: Kit, link: Link, extra: Partial<HandshakeOptions> = {}): PendingHandshake {
  return startHandshake({
    identity: kit.identity,
    link,
    remoteIsYmesh: true,
    room: null,
    clock: kit.transport.clock,
    rng: kit.transport.rng,
    dispatcher: kit.dispatcher,
    metrics: kit.metrics,
    logger: silentLogger,
    ...extra
  })
}

/** Settles both promises, driving the simulator until both are done. */
export async function both<A, B> (net: SimNetwork, pa: Promise<A>, pb: Promise<B>): Promise<[PromiseSettledResult<A>, PromiseSettledResult<B>]> {
  let done = 0
  const all = Promise.allSettled([pa.finally(() => { done++ }), pb.finally(() => { done++ })])
  await net.sim.runUntil(() => done === 2, { maxEvents: 5_000_000 })
  return await all as [PromiseSettledResult<A>, PromiseSettledResult<B>]
}

export async function connectedPair (net: SimNetwork, a: Kit, b: Kit, extra: Partial<HandshakeOptions> = {}): Promise<[Connection, Connection]> {
  const { la, lb } = wire(a, b)
  const [ra, rb] = await both(net, handshakeOn(a, la, extra).promise, handshakeOn(b, lb, extra).promise)
  if (ra.status !== 'fulfilled' || rb.status !== 'fulfilled') {
    throw new Error(`handshake failed: ${String((ra as PromiseRejectedResult).reason ?? '')} ${String((rb as PromiseRejectedResult).reason ?? '')}`)
  }
  return [ra.value, rb.value]
}

export function network (seed: number, options: NetworkOptions = {}): SimNetwork {
  return new SimNetwork({ seed, link: { latencyMs: 10, jitterMs: 2 }, ...options })
}
