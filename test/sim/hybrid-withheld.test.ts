/**
 * Fallbacks the server would drop are not sent: a parked member (unsubscribed from the room's
 * topic) cannot get server signals, so when its relayed capsules time out, the signals stay
 * with the mesh instead of costing the server a message in. Rosters say who is parked.
 * Setup: a room formed (most members parked), then every member silently drops the capsules it
 * relays for others, and a newcomer joins: its capsules to parked members all time out.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Tag } from '@ymesh/protocol'
import { decodeCapsule, decodeRelayMessage, type Connection, type MeshPeer } from '@ymesh/core'
import { testSeed } from '../helpers/seed.js'
import { createMesh, type Mesh } from '../../packages/core/test/helpers/sim-mesh.js'

let mesh: Mesh | null = null
afterEach(async () => { await mesh?.close(); mesh = null })

const POOL = { degree: { low: 3, target: 4, high: 6 }, redundancy: 2 }

/** `peer` forwards its own capsules but silently drops those it relays for others (hop frames and routed envelopes). */
function blackHole (peer: MeshPeer): void {
  const foreign = (payload: Uint8Array): boolean => {
    const m = decodeRelayMessage(payload)
    return m.kind === 'forward' && decodeCapsule(m.capsule).from !== peer.peerId
  }
  const router = peer.router
  if (router === null) throw new Error('needs routing')
  const send = router.send.bind(router)
  router.send = async (destination, tag, payload, options) => {
    if (tag === Tag.RelayedSignal && foreign(payload)) return { messageId: new Uint8Array(16), hops: 0, acked: false } as unknown as Awaited<ReturnType<typeof send>>
    return await send(destination, tag, payload, options)
  }
  const wrap = (connection: Connection): void => {
    const sendFrame = connection.send.bind(connection)
    connection.send = (tag, payload) => (tag === Tag.RelayedSignalHop && foreign(payload)) || sendFrame(tag, payload)
  }
  for (const c of peer.connections) wrap(c)
  peer.on('connection-open', ({ connection }) => { wrap(connection) })
}

interface Outcome { withheld: number, undelivered: number, fallbacks: number, newcomerConnections: number }

async function run (seed: number, withhold: boolean): Promise<Outcome> {
  const m = mesh = await createMesh(seed)
  const members: MeshPeer[] = []
  for (let i = 0; i < 10; i++) {
    const p = await m.add(`m${i}`, { pool: POOL })
    await p.joinRoom('room')
    members.push(p)
    await m.net.sim.advance(1_000)
  }
  await m.net.sim.advance(30_000)
  expect(members.filter((p) => (p.hybrid?.parkedTopics().length ?? 0) > 0).length).toBeGreaterThanOrEqual(5)
  for (const p of members) {
    blackHole(p)
    const hybrid = p.hybrid
    if (!withhold && hybrid !== null) hybrid.mayBeOnServer = () => true
  }
  const before = m.hub.undelivered
  const newcomer = await m.add('newcomer', { pool: POOL })
  if (!withhold && newcomer.hybrid !== null) newcomer.hybrid.mayBeOnServer = () => true
  await newcomer.joinRoom('room')
  await m.net.sim.advance(20_000)
  const everyone = [...members, newcomer]
  const outcome = {
    withheld: everyone.reduce((n, p) => n + (p.hybrid?.stats.withheld ?? 0), 0),
    undelivered: m.hub.undelivered - before,
    fallbacks: everyone.reduce((n, p) => n + (p.hybrid?.stats.fallbacks ?? 0), 0),
    newcomerConnections: newcomer.connections.length
  }
  await m.close()
  mesh = null
  return outcome
}

describe('hybrid signaling: fallbacks to parked members', () => {
  it('are withheld: the server gets none it would drop, and the newcomer still connects to the subscribed members', async () => {
    const seed = testSeed()
    const withheld = await run(seed, true)
    const sent = await run(seed, false)
    const report = `seed ${seed}: withheld ${JSON.stringify(withheld)}, sent anyway ${JSON.stringify(sent)}`
    // Without the rule the timed-out capsules to parked members go to the server, which drops them.
    expect(sent.undelivered, report).toBeGreaterThan(0)
    expect(withheld.withheld, report).toBeGreaterThan(0)
    expect(withheld.undelivered, report).toBeLessThan(sent.undelivered)
    // The rendezvous points are subscribed: the newcomer gets in through them either way.
    expect(withheld.newcomerConnections, report).toBeGreaterThanOrEqual(1)
  }, 120_000)
})
