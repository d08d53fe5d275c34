// Several signaling servers share topics through a real redis-server; each keeps serving its
// own clients while Redis is away, and links up again when it is back.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createSignalingServer, silentLogger } from '@ymesh/signaling-server'
import type { SignalingServer } from '@ymesh/signaling-server'
import { startRedis } from './helpers/redis-server.js'
import type { RedisProcess } from './helpers/redis-server.js'
import { startStockPeer, stopAllStockPeers } from './helpers/stock-peer.js'

let redis: RedisProcess
const servers: SignalingServer[] = []
const sockets: WebSocket[] = []

beforeAll(async () => { redis = await startRedis() })
afterAll(async () => { await redis.stop() })
afterEach(async () => {
  await stopAllStockPeers()
  for (const ws of sockets.splice(0)) ws.terminate()
  await Promise.all(servers.splice(0).map((s) => s.stop()))
})

const startServer = async (): Promise<SignalingServer> => {
  const s = createSignalingServer({ port: 0, logger: silentLogger, redisUrl: redis.url })
  servers.push(s)
  await s.start()
  await expect.poll(() => s.health().redis, { timeout: 10_000 }).toBe('connected')
  return s
}

interface Msg { type: string, topic?: string, data?: unknown, clients?: number, to?: string }
/** A plain client that records what it receives. */
const client = async (url: string, subscribe: string[], peerId?: string): Promise<{ ws: WebSocket, got: Msg[], send: (m: object) => void, ready: () => Promise<void> }> => {
  const ws = new WebSocket(url)
  sockets.push(ws)
  const got: Msg[] = []
  ws.on('message', (d) => got.push(JSON.parse(d.toString()) as Msg))
  await new Promise((resolve) => ws.once('open', resolve))
  const send = (m: object): void => ws.send(JSON.stringify(m))
  const ready = async (): Promise<void> => {
    const n = got.filter((m) => m.type === 'pong').length
    send({ type: 'ping' })
    await expect.poll(() => got.filter((m) => m.type === 'pong').length).toBe(n + 1)
  }
  send(peerId === undefined ? { type: 'subscribe', topics: subscribe } : { type: 'subscribe', topics: subscribe, peerId })
  await ready()
  return { ws, got, send, ready }
}
const publishes = (got: Msg[], data?: unknown): Msg[] => got.filter((m) => m.type === 'publish' && (data === undefined || m.data === data))

/** Waits until server `s` has subscribed its topics on Redis: a publish from `from` reaches `to`. */
const linked = async (from: Awaited<ReturnType<typeof client>>, to: Awaited<ReturnType<typeof client>>, topic: string): Promise<void> => {
  let i = 0
  await expect.poll(() => {
    from.send({ type: 'publish', topic, data: `probe-${i++}` })
    return to.got.some((m) => typeof m.data === 'string' && m.data.startsWith('probe-'))
  }, { timeout: 10_000, interval: 50 }).toBe(true)
}

describe('Redis scale-out', () => {
  it('lets a stock y-webrtc peer on server A sync with one on server B', async () => {
    const [a, b] = [await startServer(), await startServer()]
    // y-webrtc peers announce once, when they subscribe: an announce published before the other
    // server has subscribed the topic's Redis channel is lost, and two lost announces would leave
    // the peers apart for good. Listeners on both servers hold the channel open first.
    const [la, lb] = [await client(a.url, ['cross']), await client(b.url, ['cross'])]
    await linked(la, lb, 'cross')
    await linked(lb, la, 'cross')
    const [pa, pb] = await Promise.all([startStockPeer({ room: 'cross', signaling: a.url }), startStockPeer({ room: 'cross', signaling: b.url })])
    await pa.insert('via A;')
    await pb.insert('via B;')
    await Promise.all([pa.waitForText('via B;'), pb.waitForText('via A;')])
    expect(await pa.text()).toBe(await pb.text())
    expect(a.metrics.redisMessages.get('in') ?? 0).toBeGreaterThan(0)
    expect(b.metrics.redisMessages.get('in') ?? 0).toBeGreaterThan(0)
  })

  it('delivers a publish once to local subscribers (no echo through Redis) and once to remote ones', async () => {
    const [a, b] = [await startServer(), await startServer()]
    const [ca, cb] = [await client(a.url, ['t']), await client(b.url, ['t'])]
    await linked(ca, cb, 't')
    ca.send({ type: 'publish', topic: 't', data: 'once' })
    await expect.poll(() => publishes(cb.got, 'once').length).toBe(1)
    await ca.ready()
    await cb.ready()
    expect(publishes(ca.got, 'once')).toHaveLength(1)
    expect(publishes(cb.got, 'once')).toHaveLength(1)
    // `clients` is best-effort: each server counts its own subscribers.
    expect(publishes(cb.got, 'once')[0]?.clients).toBe(1)
  })

  it('routes an addressed publish (`to`) to the server where that peer is subscribed', async () => {
    const [a, b] = [await startServer(), await startServer()]
    const ca = await client(a.url, ['room'], 'peer-a')
    const cb = await client(b.url, ['room'], 'peer-b')
    const other = await client(b.url, ['room'], 'peer-c')
    await linked(ca, cb, 'room')
    ca.send({ type: 'publish', topic: 'room', to: 'peer-b', data: 'for-b' })
    await expect.poll(() => publishes(cb.got, 'for-b').length).toBe(1)
    await other.ready()
    expect(publishes(other.got, 'for-b')).toHaveLength(0)
    expect(publishes(ca.got, 'for-b')).toHaveLength(0)
    // Server A holds no peer-b, but cannot know that no other server does: no 'undelivered'.
    await ca.ready()
    expect(ca.got.filter((m) => m.type === 'undelivered')).toEqual([])
  })

  it('skips quiet subscribers on other servers for a ymesh broadcast, as it does locally', async () => {
    const [a, b] = [await startServer(), await startServer()]
    const ca = await client(a.url, ['room'], 'peer-a')
    const stock = await client(a.url, ['room'])
    const loud = await client(b.url, ['room'], 'peer-l')
    const quiet = await client(b.url, ['room'], 'peer-q')
    quiet.send({ type: 'subscribe', topics: ['room'], peerId: 'peer-q', quiet: true })
    await quiet.ready()
    await linked(ca, loud, 'room')
    ca.send({ type: 'publish', topic: 'room', data: 'announce' })
    ca.send({ type: 'publish', topic: 'room', data: 'again', all: true })
    ca.send({ type: 'publish', topic: 'room', to: 'peer-q', data: 'for-q' })
    stock.send({ type: 'publish', topic: 'room', data: 'stock' })
    await expect.poll(() => ['again', 'for-q', 'stock'].every((d) => publishes(quiet.got, d).length === 1)).toBe(true)
    await expect.poll(() => publishes(loud.got, 'announce').length).toBe(1)
    await quiet.ready()
    expect(publishes(quiet.got, 'announce')).toHaveLength(0)
    expect(quiet.got.some((m) => typeof m.data === 'string' && m.data.startsWith('probe-'))).toBe(false)
  })

  it('keeps serving local subscribers while Redis is down, shows it in /health and /metrics, and links again when Redis is back', async () => {
    const [a, b] = [await startServer(), await startServer()]
    const [a1, a2, b1] = [await client(a.url, ['t']), await client(a.url, ['t']), await client(b.url, ['t'])]
    await linked(a1, b1, 't')
    await redis.kill()
    await expect.poll(() => a.health().redis, { timeout: 10_000 }).toBe('disconnected')
    const http = a.url.replace('ws', 'http')
    expect(await (await fetch(`${http}/health`)).json()).toMatchObject({ status: 'degraded', redis: 'disconnected' })
    const metrics = await (await fetch(`${http}/metrics`)).text()
    expect(metrics).toContain('ymesh_signal_redis_up 0')
    expect(metrics).toContain('ymesh_signal_redis_link{state="disconnected"} 1')
    // Local delivery goes on.
    a1.send({ type: 'publish', topic: 't', data: 'local while down' })
    await expect.poll(() => publishes(a2.got, 'local while down').length).toBe(1)
    expect(a.metrics.rejections.get('redis-unavailable')).toBeGreaterThan(0)
    await redis.restart()
    await expect.poll(() => a.health().redis, { timeout: 10_000 }).toBe('connected')
    await expect.poll(() => b.health().redis, { timeout: 10_000 }).toBe('connected')
    expect((await (await fetch(`${http}/metrics`)).text())).toContain('ymesh_signal_redis_up 1')
    // Both servers re-subscribed their topics: cross-server delivery works again, both ways.
    await linked(a1, b1, 't')
    b1.send({ type: 'publish', topic: 't', data: 'after' })
    await expect.poll(() => publishes(a2.got, 'after').length).toBe(1)
  })
})
