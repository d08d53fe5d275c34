import { afterEach, describe, expect, it } from 'vitest'
import { Tag } from '@ymesh/protocol'
import { testSeed } from '../../../test/helpers/seed.js'
import { createMesh, type Mesh } from './helpers/sim-mesh.js'

let mesh: Mesh | null = null
afterEach(async () => { await mesh?.close(); mesh = null })

const APP_PAYLOAD_TYPE = 600

describe('createPeer service layers', () => {
  it('every peer routes, gossips and advertises capabilities over its mesh connections', async () => {
    mesh = await createMesh(testSeed())
    const [a, b, c] = [await mesh.add('a'), await mesh.add('b'), await mesh.add('c')]
    for (const p of [a, b, c]) await p.joinRoom('room')
    await mesh.net.sim.runUntil(() => [a, b, c].every((p) => p.neighbours.size === 2), { maxEvents: 2_000_000 })
    expect(a.router?.started).toBe(true)
    expect(a.gossip?.started).toBe(true)

    const routed: string[] = []
    c.router?.handle(APP_PAYLOAD_TYPE, (m) => { routed.push(`${m.from === a.peerId ? 'a' : '?'}:${new TextDecoder().decode(m.payload)}`) })
    let acknowledged: boolean | null = null
    void a.router?.send(c.peerId, APP_PAYLOAD_TYPE, new TextEncoder().encode('hi'), { ack: true }).then((r) => { acknowledged = r.acknowledged })
    await mesh.net.sim.runUntil(() => routed.length === 1, { maxEvents: 200_000 })
    expect(routed).toEqual(['a:hi'])
    await mesh.net.sim.runUntil(() => acknowledged !== null, { maxEvents: 200_000 })
    expect(acknowledged).toBe(true)

    const gossiped: string[] = []
    for (const p of [b, c]) p.gossip?.subscribe('news', (m) => { gossiped.push(`${m.source === a.peerId ? 'a' : '?'}`) })
    a.gossip?.subscribe('news', () => {})
    await mesh.net.sim.advance(100)
    void a.gossip?.publish('news', APP_PAYLOAD_TYPE, new Uint8Array([1]))
    await mesh.net.sim.runUntil(() => gossiped.length === 2, { maxEvents: 200_000 })
    expect(gossiped).toEqual(['a', 'a'])

    // Capability records reach every peer; each one advertises the relay role (it forwards).
    await mesh.net.sim.runUntil(() => [a, b, c].every((p) => p.capabilities?.manager.size === 3), { maxEvents: 2_000_000 })
    const record = b.capabilities?.manager.get(a.peerId)
    expect(record?.roles).toEqual(['relay'])
    expect(record?.freeSlots).toBeGreaterThan(0)
    expect(b.capabilities?.classifier.role(a.peerId)).toBe('relay')
  })

  it('routing, gossip and capabilities switch off by option (the plain path), and a leaf advertises no relay role', async () => {
    mesh = await createMesh(testSeed())
    const plain = await mesh.add('plain', { routing: false, gossip: false })
    expect(plain.router).toBeNull()
    expect(plain.gossip).toBeNull()
    expect(plain.capabilities).toBeNull()
    const noCaps = await mesh.add('no-caps', { capabilities: false })
    expect(noCaps.gossip).not.toBeNull()
    expect(noCaps.capabilities).toBeNull()
    const leaf = await mesh.add('leaf', { routing: { forwarding: false }, capabilities: { fields: { platform: 'test' } } })
    const other = await mesh.add('other')
    for (const p of [plain, noCaps, leaf, other]) await p.joinRoom('room')
    await mesh.net.sim.runUntil(() => other.capabilities?.manager.get(leaf.peerId) !== undefined, { maxEvents: 2_000_000 })
    expect(other.capabilities?.manager.get(leaf.peerId)).toMatchObject({ roles: [], platform: 'test' })
    // The plain peer still connects: signaling and links do not depend on the service layers.
    await mesh.net.sim.runUntil(() => plain.connections.length >= 1, { maxEvents: 2_000_000 })
  })

  it('an app handler for envelope frames takes them over, and routing gets them back when it unregisters', async () => {
    // Only the app's messages travel: no capability records or rosters in between.
    mesh = await createMesh(testSeed(), { peer: { capabilities: false, hybridSignaling: false } })
    const a = await mesh.add('a')
    const b = await mesh.add('b')
    for (const p of [a, b]) await p.joinRoom('room')
    await mesh.net.sim.runUntil(() => a.neighbours.size === 1 && b.neighbours.size === 1, { maxEvents: 1_000_000 })
    const raw: number[] = []
    const off = b.handle(Tag.Envelope, (frame) => { raw.push(frame.payload.length) })
    const routed: number[] = []
    b.router?.handle(APP_PAYLOAD_TYPE, (m) => { routed.push(m.payload.length) })
    void a.router?.send(b.peerId, APP_PAYLOAD_TYPE, new Uint8Array(3)).catch(() => {})
    await mesh.net.sim.runUntil(() => raw.length === 1)
    expect(routed).toEqual([])
    off()
    void a.router?.send(b.peerId, APP_PAYLOAD_TYPE, new Uint8Array(4)).catch(() => {})
    await mesh.net.sim.runUntil(() => routed.length === 1)
    expect(routed).toEqual([4])
  })

  it('stop() stops every service and leaves nothing running: the simulator runs dry', async () => {
    mesh = await createMesh(testSeed())
    const peers = [await mesh.add('a'), await mesh.add('b')]
    for (const p of peers) await p.joinRoom('room')
    await mesh.net.sim.runUntil(() => peers.every((p) => p.capabilities?.manager.size === 2), { maxEvents: 2_000_000 })
    for (const p of peers) p.stop()
    expect(peers.map((p) => [p.router?.started, p.gossip?.started, p.capabilities?.manager.started])).toEqual([[false, false, false], [false, false, false]])
    const result = await mesh.net.sim.run({ maxEvents: 200_000 })
    expect(result.reason).toBe('idle')
  })
})
