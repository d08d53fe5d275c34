import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { WebsocketClient } from 'lib0/websocket'
import { CloseCode, closeCodeName, createSignalingServer, silentLogger } from '@ymesh/signaling-server'
import type { SignalingServer } from '@ymesh/signaling-server'
import { TestClient } from './client.js'

const servers: SignalingServer[] = []
const make = (port = 0): SignalingServer => {
  const s = createSignalingServer({ port, logger: silentLogger })
  servers.push(s)
  return s
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()))
})

describe('lifecycle', () => {
  it('stop() closes every client with GOING_AWAY (1001) and frees the port', async () => {
    const s = make()
    await s.start()
    const [a, b] = [await TestClient.connect(s.url), await TestClient.connect(s.url)]
    a.send({ type: 'subscribe', topics: ['t'] })
    await a.roundTrip()
    await s.stop()
    expect((await a.closed).code).toBe(CloseCode.GOING_AWAY)
    expect((await b.closed).code).toBe(CloseCode.GOING_AWAY)
    expect(s.health()).toMatchObject({ connections: 0, topics: 0 })
    const again = make(s.port)
    await again.start()
    expect(again.port).toBe(s.port)
  })

  it('is rejoined within 5 s after a restart by clients using y-webrtc\'s reconnect logic (lib0 WebsocketClient)', async () => {
    const g = globalThis as { WebSocket?: unknown }
    const saved = g.WebSocket
    g.WebSocket = WebSocket // lib0's client uses the global, as in browsers
    const s = make()
    await s.start()
    const clients = [new WebsocketClient(s.url), new WebsocketClient(s.url)]
    try {
      for (const c of clients) c.on('connect', () => c.send({ type: 'subscribe', topics: ['room'] }))
      await expect.poll(() => s.health().topics).toBe(1)
      await s.stop()
      const restarted = make(s.port)
      const t0 = Date.now()
      await restarted.start()
      await expect.poll(() => restarted.health().connections, { timeout: 5000, interval: 20 }).toBe(2)
      await expect.poll(() => restarted.health().topics, { timeout: 5000, interval: 20 }).toBe(1)
      expect(Date.now() - t0).toBeLessThan(5000)
    } finally {
      for (const c of clients) c.destroy()
      g.WebSocket = saved
    }
  })

  it('refuses a second start() and makes stop() of a stopped server a no-op', async () => {
    const s = make()
    await s.start()
    await expect(s.start()).rejects.toMatchObject({ name: 'ServerStateError' })
    await s.stop()
    await s.stop()
  })

  it('rejects when the port is taken, and can start after that', async () => {
    const a = make()
    await a.start()
    const b = make(a.port)
    await expect(b.start()).rejects.toMatchObject({ code: 'EADDRINUSE' })
    await a.stop()
    await b.start()
  })

  it('validates options with errors that name the option', () => {
    expect(() => createSignalingServer({ port: 70000 })).toThrow(/port/)
    expect(() => createSignalingServer({ limits: { maxTopics: -1 } })).toThrow(/limits.maxTopics/)
    expect(() => createSignalingServer({ redisUrl: 'http://x' })).toThrow(/redisUrl/)
    expect(() => createSignalingServer({ authTimeoutMs: 0 })).toThrow(/authTimeoutMs/)
  })

  it('names its close codes', () => {
    expect(closeCodeName(4001)).toBe('UNAUTHORIZED')
    expect(closeCodeName(1001)).toBe('GOING_AWAY')
    expect(closeCodeName(1234)).toBeUndefined()
  })
})
