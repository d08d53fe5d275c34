/**
 * Issue 7's sealing and signing, end to end on the simulator: newcomers join while the member
 * they signal through (their rendezvous point, which introduces them to the room and relays
 * their first mesh signals) is malicious — it alters, drops or replays the capsules it relays —
 * or merely curious. Joins still succeed; tampered and replayed capsules are counted drops at
 * the target; no connection ever reaches a party other than the one signaled; a curious relay
 * never sees an SDP or an ICE candidate.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Tag, type PeerId } from '@ymesh/protocol'
import { decodeCapsule, decodeRelayMessage, encodeCapsule, encodeRelayMessage, type Connection, type MeshPeer } from '@ymesh/core'
import { testSeed } from '../helpers/seed.js'
import { createMesh, type Mesh } from '../../packages/core/test/helpers/sim-mesh.js'

let mesh: Mesh | null = null
afterEach(async () => { await mesh?.close(); mesh = null })

const POOL = { degree: { low: 3, target: 4, high: 6 }, redundancy: 2 }

/** What the relay does with a capsule it relays for someone else: the capsules it sends on instead. */
type Behaviour = (capsule: Uint8Array, seen: readonly Uint8Array[]) => Uint8Array[]

/**
 * Make `peer` a relay that applies `behaviour` to every capsule it forwards for other authors,
 * whichever way it sends them on: in a routed envelope, or straight to a target it is connected
 * to (a relayed-signal-hop frame).
 */
function corrupt (peer: MeshPeer, behaviour: Behaviour): { forwarded: Uint8Array[], touched: number } {
  const router = peer.router
  if (router === null) throw new Error('the relay needs routing')
  const state = { forwarded: [] as Uint8Array[], touched: 0 }
  /** The payloads to send instead of `payload` (a relay message). */
  const rewrite = (payload: Uint8Array): Uint8Array[] => {
    const message = decodeRelayMessage(payload)
    if (message.kind !== 'forward' || decodeCapsule(message.capsule).from === peer.peerId) return [payload]
    const seen = [...state.forwarded]
    state.forwarded.push(message.capsule)
    const out = behaviour(message.capsule, seen)
    if (out.length !== 1 || out[0] !== message.capsule) state.touched++
    return out.map((capsule) => encodeRelayMessage({ kind: 'forward', target: message.target, capsule }))
  }
  const send = router.send.bind(router)
  router.send = async (destination, tag, payload, options) => {
    if (tag !== Tag.RelayedSignal) return await send(destination, tag, payload, options)
    let report: Awaited<ReturnType<typeof send>> | undefined
    for (const p of rewrite(payload)) report = await send(destination, tag, p, options)
    // A dropping relay claims it delivered: the author only learns from the missing ack.
    return report ?? { messageId: new Uint8Array(16), hops: 0, acked: false } as unknown as Awaited<ReturnType<typeof send>>
  }
  const wrap = (connection: Connection): void => {
    const sendFrame = connection.send.bind(connection)
    connection.send = (tag, payload) => {
      if (tag !== Tag.RelayedSignalHop) return sendFrame(tag, payload)
      for (const p of rewrite(payload)) sendFrame(tag, p)
      return true
    }
  }
  for (const c of peer.connections) wrap(c)
  peer.on('connection-open', ({ connection }) => { wrap(connection) })
  return state
}

interface Run { members: MeshPeer[], late: MeshPeer[], relay: MeshPeer, state: { forwarded: Uint8Array[], touched: number }, opened: Set<string> }

/** Records every connection that opened, as `local>remote`. */
function recordOpens (peers: readonly MeshPeer[], opened: Set<string>): void {
  for (const p of peers) p.on('connection-open', ({ connection }) => { opened.add(`${p.peerId}>${connection.remotePeer}`) })
}

async function joinThrough (m: Mesh, behaviour: Behaviour): Promise<Run> {
  const members: MeshPeer[] = []
  const opened = new Set<string>()
  for (let i = 0; i < 8; i++) {
    const p = await m.add(`m${i}`, { pool: POOL })
    recordOpens([p], opened)
    await p.joinRoom('room')
    members.push(p)
    await m.net.sim.advance(800)
  }
  await m.net.sim.runUntil(() => members.every((p) => p.connections.length >= POOL.degree.low), { maxEvents: 5_000_000 })
  await m.net.sim.advance(10_000)
  // The newcomers' way in: the members still subscribed at the server (the rendezvous points).
  const subscribed = members.filter((p) => p.hybrid?.parkedTopics().length === 0)
  const relay = subscribed[0] ?? members[0] as MeshPeer
  const state = corrupt(relay, behaviour)
  const late: MeshPeer[] = []
  for (let i = 0; i < 6; i++) {
    const p = await m.add(`late${i}`, { pool: POOL })
    recordOpens([p], opened)
    await p.joinRoom('room')
    late.push(p)
    await m.net.sim.advance(500)
  }
  await m.net.sim.runUntil(() => late.every((p) => p.connections.length >= POOL.degree.low), { maxEvents: 10_000_000 })
  return { members, late, relay, state, opened }
}

const rejected = (peers: readonly MeshPeer[], reason: string): number =>
  peers.reduce((n, p) => n + p.metrics.registry.counter('ymesh_relayed_signal_rejected_total', '').get({ reason }), 0)

/**
 * No connection reached a party other than a peer of this run: every connection that opened
 * names, as its remote, an identity the handshake authenticated, and that is always one of the
 * run's peers — the relay's altered or re-addressed capsules never opened one to anybody else.
 * (Both ends are not required to have opened: an attempt replaced during its handshake opens on
 * one side only, and closes.)
 */
function expectHonestConnections (run: Run): void {
  const ids = new Set<PeerId>([...run.members, ...run.late].map((p) => p.peerId))
  expect(run.opened.size).toBeGreaterThan(0)
  let matched = 0
  for (const pair of run.opened) {
    const [local, remote] = pair.split('>') as [PeerId, PeerId]
    expect(ids.has(remote) && remote !== local, `${pair}: not another peer of this run`).toBe(true)
    if (run.opened.has(`${remote}>${local}`)) matched++
  }
  expect(matched).toBeGreaterThan(0)
}

const flipByte = (capsule: Uint8Array): Uint8Array => {
  const c = decodeCapsule(capsule)
  const sealed = c.sealed.slice()
  sealed[sealed.length >> 1] = (sealed[sealed.length >> 1] as number) ^ 0x40
  return encodeCapsule({ ...c, sealed })
}

describe('a malicious relay in the middle of joins', () => {
  it('alters every capsule it relays: targets refuse them (the seal does not open), joins still succeed over other paths or the server', async () => {
    mesh = await createMesh(testSeed())
    const run = await joinThrough(mesh, (capsule) => [flipByte(capsule)])
    const everyone = [...run.members, ...run.late]
    expect(run.state.touched).toBeGreaterThan(0)
    expect(rejected(everyone, 'unopenable')).toBeGreaterThan(0)
    expect(run.late.every((p) => p.connections.length >= POOL.degree.low)).toBe(true)
    expectHonestConnections(run)
  })

  it('re-addresses capsules to another member: refused (the seal covers the target), no connection to the wrong party', async () => {
    mesh = await createMesh(testSeed())
    let other: PeerId | null = null
    const run = await joinThrough(mesh, (capsule) => {
      const c = decodeCapsule(capsule)
      other ??= c.from
      return [encodeCapsule({ ...c, to: other === c.to ? c.from : other })]
    })
    const everyone = [...run.members, ...run.late]
    expect(run.state.touched).toBeGreaterThan(0)
    expect(rejected(everyone, 'unopenable') + rejected(everyone, 'not-for-us')).toBeGreaterThan(0)
    expect(run.late.every((p) => p.connections.length >= POOL.degree.low)).toBe(true)
    expectHonestConnections(run)
  })

  it('drops every capsule it relays: authors fall back (other relays or the server) and every join succeeds', async () => {
    mesh = await createMesh(testSeed())
    const run = await joinThrough(mesh, () => [])
    const everyone = [...run.members, ...run.late]
    expect(run.state.touched).toBeGreaterThan(0)
    expect(everyone.reduce((n, p) => n + (p.hybrid?.stats.fallbacks ?? 0), 0)).toBeGreaterThan(0)
    expect(run.late.every((p) => p.connections.length >= POOL.degree.low)).toBe(true)
    expectHonestConnections(run)
  })

  it('replays old capsules along with new ones: the copies are counted drops (replay or duplicate) and deliver nothing twice', async () => {
    mesh = await createMesh(testSeed())
    const run = await joinThrough(mesh, (capsule, seen) => [capsule, ...seen.slice(-3)])
    const everyone = [...run.members, ...run.late]
    expect(run.state.touched).toBeGreaterThan(0)
    expect(rejected(everyone, 'replay') + rejected(everyone, 'duplicate') + rejected(everyone, 'not-for-us')).toBeGreaterThan(0)
    expect(run.late.every((p) => p.connections.length >= POOL.degree.low)).toBe(true)
    expectHonestConnections(run)
  })
})

describe('a curious relay', () => {
  it('relays capsules whose bytes carry no SDP and no ICE candidate in plain text', async () => {
    mesh = await createMesh(testSeed())
    const run = await joinThrough(mesh, (capsule) => [capsule])
    const everyone = [...run.members, ...run.late]
    expect(run.state.forwarded.length).toBeGreaterThan(0)
    const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1')
    for (const capsule of run.state.forwarded) {
      const t = text(capsule)
      for (const marker of ['v=0', 'a=candidate', 'candidate:', 'a=ice-ufrag', 'a=fingerprint']) expect(t).not.toContain(marker)
    }
    // Not vacuous: the capsules it relayed did carry descriptions, which opened as SDP at their targets.
    expect(everyone.some((p) => p.connections.some((c) => p.signalPathOf(c.remotePeer) === 'mesh'))).toBe(true)
    expect(run.late.every((p) => p.connections.length >= POOL.degree.low)).toBe(true)
  })
})
