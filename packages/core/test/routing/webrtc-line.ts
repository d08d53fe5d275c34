/**
 * Real WebRTC routing peers in one process (for the integration test and the bench): each
 * peer has a WebRtcTransport kept on loopback, authenticated Connections made with
 * openConnection, a NeighbourSet and a MessageRouter on the system clock. Signals are
 * handed over directly, as a signaling server would.
 */
import { generateIdentity, type Identity } from '@ymesh/crypto'
import type { IceCandidate, Link, PeerId, SignalData } from '@ymesh/protocol'
import {
  createCoreMetrics, createSystemClock, createSystemRng, FrameDispatcher, openConnection, silentLogger, WebRtcTransport,
  type Connection, type CoreMetrics
} from '@ymesh/core'
import { NeighbourSet } from '../../src/connections/neighbours.js'
import { MessageRouter } from '../../src/routing/message-router.js'
import type { RouterOptions } from '../../src/routing/options.js'

const loopbackOnly = (candidate: IceCandidate): boolean => / 127\.0\.0\.1 \d+ typ /.test(candidate.candidate)

export interface RtcPeer {
  readonly identity: Identity
  readonly id: PeerId
  readonly transport: WebRtcTransport
  readonly metrics: CoreMetrics
  readonly dispatcher: FrameDispatcher
  readonly neighbours: NeighbourSet
  readonly router: MessageRouter
}

export async function rtcPeer (options: RouterOptions = {}): Promise<RtcPeer> {
  const identity = await generateIdentity()
  const clock = createSystemClock()
  const transport = new WebRtcTransport({ localPeer: identity.peerId, candidateFilter: loopbackOnly, clock })
  const metrics = createCoreMetrics()
  const dispatcher = new FrameDispatcher(metrics, silentLogger)
  const neighbours = new NeighbourSet()
  const router = new MessageRouter({ identity, neighbours, dispatcher, clock, rng: createSystemRng(), metrics, logger: silentLogger, options })
  return { identity, id: identity.peerId, transport, metrics, dispatcher, neighbours, router }
}

/** Connects a and b with an authenticated connection on each side and adds them as neighbours. */
export async function connectRtc (a: RtcPeer, b: RtcPeer): Promise<[Connection, Connection]> {
  let lb: Link | null = null
  const early: SignalData[] = []
  const la = a.transport.createLink({ remotePeer: b.id, initiator: true, onSignal: (s) => { if (lb === null) early.push(s); else lb.signal(s) } })
  lb = b.transport.createLink({ remotePeer: a.id, initiator: false, onSignal: (s) => { la.signal(s) } })
  for (const s of early) lb.signal(s)
  const open = (p: RtcPeer, link: Link): Promise<Connection> => openConnection({
    identity: p.identity, link, remoteIsYmesh: true, room: null, clock: createSystemClock(), rng: createSystemRng(),
    dispatcher: p.dispatcher, metrics: p.metrics, logger: silentLogger
  })
  const [ca, cb] = await Promise.all([open(a, la), open(b, lb)])
  a.neighbours.add(ca)
  b.neighbours.add(cb)
  return [ca, cb]
}

/** Resolves once `check` holds, polling every few milliseconds; rejects after `timeoutMs`. */
export function until (check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs
    const poll = (): void => {
      if (check()) return resolve()
      if (Date.now() > deadline) return reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))
      setTimeout(poll, 5)
    }
    poll()
  })
}

/** A line of `n` peers, each connected to the next only, with routes converged. */
export async function rtcLine (n: number, options: RouterOptions = {}): Promise<RtcPeer[]> {
  const peers: RtcPeer[] = []
  for (let i = 0; i < n; i++) peers.push(await rtcPeer(options))
  for (const p of peers) p.router.start()
  for (let i = 1; i < n; i++) await connectRtc(peers[i - 1]!, peers[i]!)
  await until(() => peers.every((a) => peers.every((b) => a === b || a.router.nextHopTo(b.id) !== null)), 'routes along the line')
  return peers
}

export function closeAll (peers: readonly RtcPeer[]): void {
  for (const p of peers) {
    p.router.stop()
    p.transport.close()
  }
}
