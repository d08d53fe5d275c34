import { afterEach, describe, expect, it, vi } from 'vitest'
import type { PeerId } from '@ymesh/protocol'
import { Simulator } from '@ymesh/sim'
import {
  consoleLogger, createCoreMetrics, createSystemRng, MemorySignalingHub, MetricsRegistry, SignalingClient, silentLogger,
  type ChannelHandlers
} from '@ymesh/core'
import { loadWebSocket } from '../../src/signaling/ws-native.js'

afterEach(() => { vi.restoreAllMocks() })

describe('system rng', () => {
  it('draws floats in [0, 1), bounded ints and bytes from the CSPRNG', () => {
    const rng = createSystemRng()
    for (let i = 0; i < 100; i++) {
      const f = rng.float()
      expect(f).toBeGreaterThanOrEqual(0); expect(f).toBeLessThan(1)
      const n = rng.int(7)
      expect(Number.isInteger(n) && n >= 0 && n < 7).toBe(true)
    }
    expect(rng.bytes(32)).toHaveLength(32)
    expect(() => rng.int(0)).toThrow(RangeError)
  })
})

describe('logger and metrics', () => {
  it('consoleLogger warns on console.warn and stays quiet on debug', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    consoleLogger.warn('careful', { x: 1 })
    consoleLogger.debug('noise')
    silentLogger.warn('nothing')
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0]?.[0]).toBe('[ymesh] careful')
  })

  it('renders Prometheus text with escaped labels, and a family registered twice is one family', () => {
    const registry = new MetricsRegistry()
    const c = registry.counter('x_total', 'help')
    expect(registry.counter('x_total', 'help')).toBe(c)
    c.inc({ reason: 'a "quoted"\nline\\' }, 2)
    c.inc()
    const s = registry.summary('lat_ms', 'latency', 2)
    expect(Number.isNaN(s.quantile(0.5))).toBe(true)
    for (const v of [1, 2, 3]) s.observe(v)
    registry.gauge('g', 'gauge', () => [[{}, 5], [{ kind: 'k' }, 6]])
    const text = registry.render()
    expect(text).toContain('x_total{reason="a \\"quoted\\"\\nline\\\\"} 2')
    expect(text).toContain('x_total 1')
    expect(text).toContain('lat_ms_count 3')
    expect(text).toContain('g 5\ng{kind="k"} 6')
    expect(c.total()).toBe(3)
  })
})

describe('native WebSocket loader', () => {
  it('uses the global WebSocket when there is one and says so when there is not', () => {
    const global = globalThis as { WebSocket?: unknown }
    const saved = global.WebSocket
    try {
      global.WebSocket = undefined
      expect(loadWebSocket()).toMatch(/no global WebSocket/)
      global.WebSocket = function FakeWebSocket () {}
      expect(typeof loadWebSocket()).toBe('function')
    } finally {
      global.WebSocket = saved
    }
  })
})

describe('SignalingClient', () => {
  const me = 'm'.repeat(43) as PeerId

  it('reconnects when the server goes silent past the keepalive', async () => {
    const sim = new Simulator({ seed: 5 })
    const hub = new MemorySignalingHub({ clock: sim.clock })
    const client = hub.createSource({ localPeer: me, clock: sim.createClock(), rng: sim.rng, keepaliveMs: 1_000, reconnectMinMs: 100 })
    const statuses: boolean[] = []
    client.on('status', ({ connected }) => { statuses.push(connected) })
    client.start()
    await sim.runUntil(() => client.connected)
    hub.drop(me) // the server forgets us without closing anything
    await sim.runUntil(() => statuses.length >= 3, { maxEvents: 100_000 })
    expect(statuses.slice(0, 3)).toEqual([true, false, true])
    client.stop()
    await sim.run({ maxEvents: 10_000 })
  })

  it('ignores pongs, logs server errors, counts unknown and malformed messages and sends while disconnected', async () => {
    const sim = new Simulator({ seed: 6 })
    const metrics = createCoreMetrics()
    const warnings: string[] = []
    let handlers: ChannelHandlers | null = null
    const sent: unknown[] = []
    const client = new SignalingClient({
      localPeer: me,
      connector: (h) => { handlers = h; return { send: (m) => { sent.push(m) }, close: () => {} } },
      clock: sim.clock,
      rng: sim.rng,
      metrics,
      logger: { debug: () => {}, warn: (m) => { warnings.push(m) } }
    })
    client.join('t')
    client.announce('t')
    expect(metrics.signalingDrops.get({ reason: 'not-connected' })).toBe(1)
    client.announce('nope')
    expect(metrics.signalingDrops.get({ reason: 'not-joined' })).toBe(1)
    client.start()
    const h = handlers as unknown as ChannelHandlers
    h.open()
    expect(sent[0]).toEqual({ type: 'subscribe', topics: ['t'], peerId: me })
    h.message({ type: 'pong' })
    h.message({ type: 'error', code: 'rate-limited', message: 'slow down' })
    h.message({ type: 'welcome' })
    h.message(42)
    h.message({ type: 'publish', topic: 'other', data: {} })
    h.message({ type: 'publish', topic: 't', data: { type: 'announce', from: me } }) // our own echo
    const unreachable: unknown[] = []
    client.on('unreachable', (e) => { unreachable.push(e) })
    const gone = 'g'.repeat(43)
    h.message({ type: 'undelivered', topic: 't', to: gone })
    // Malformed, or about a topic we never joined: counted drops, nothing emitted.
    h.message({ type: 'undelivered', topic: 't', to: 'not a peer id' })
    h.message({ type: 'undelivered', topic: 'other', to: gone })
    h.message({ type: 'undelivered', to: gone })
    expect(unreachable).toEqual([{ topic: 't', to: gone }])
    expect(warnings).toEqual(['the signaling server refused a message'])
    expect(metrics.signalingDrops.get({ reason: 'unknown-type' })).toBe(1)
    expect(metrics.signalingDrops.get({ reason: 'malformed' })).toBe(3)
    expect(metrics.signalingDrops.get({ reason: 'not-joined' })).toBe(3)
    client.leave('t')
    expect(sent.at(-1)).toEqual({ type: 'unsubscribe', topics: ['t'] })
    client.stop()
  })
})
