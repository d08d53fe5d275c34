import { afterEach, describe, expect, it } from 'vitest'
import { createSignalingServer, silentLogger } from '@ymesh/signaling-server'
import type { SignalingServer } from '@ymesh/signaling-server'
import { TestClient } from './client.js'

let server: SignalingServer
const clients: TestClient[] = []
const connect = async (): Promise<TestClient> => {
  const c = await TestClient.connect(server.url)
  clients.push(c)
  return c
}
const start = async (): Promise<void> => {
  server = createSignalingServer({ port: 0, logger: silentLogger })
  await server.start()
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await server.stop()
})

describe('y-webrtc signaling protocol', () => {
  it('delivers a publish to every subscriber of the topic, the sender included, with the clients count', async () => {
    await start()
    const [a, b, c] = [await connect(), await connect(), await connect()]
    a.send({ type: 'subscribe', topics: ['room'] })
    b.send({ type: 'subscribe', topics: ['room', 'other'] })
    c.send({ type: 'subscribe', topics: ['other'] })
    await Promise.all([a.roundTrip(), b.roundTrip(), c.roundTrip()])
    a.send({ type: 'publish', topic: 'room', data: { type: 'announce', from: 'p1' } })
    const expected = { type: 'publish', topic: 'room', data: { type: 'announce', from: 'p1' }, clients: 2 }
    expect(await a.next((m) => m.type === 'publish')).toEqual(expected)
    expect(await b.next((m) => m.type === 'publish')).toEqual(expected)
    await c.roundTrip()
    expect(c.messages.filter((m) => m.type === 'publish')).toEqual([])
  })

  it('stops delivering after unsubscribe and forgets empty topics', async () => {
    await start()
    const [a, b] = [await connect(), await connect()]
    a.send({ type: 'subscribe', topics: ['t'] })
    b.send({ type: 'subscribe', topics: ['t'] })
    await Promise.all([a.roundTrip(), b.roundTrip()])
    expect(server.health().topics).toBe(1)
    b.send({ type: 'unsubscribe', topics: ['t'] })
    await b.roundTrip()
    a.send({ type: 'publish', topic: 't', data: 'x' })
    expect((await a.next((m) => m.type === 'publish')).clients).toBe(1)
    await b.roundTrip()
    expect(b.messages.some((m) => m.type === 'publish')).toBe(false)
    a.send({ type: 'unsubscribe', topics: ['t'] })
    await a.roundTrip()
    expect(server.health().topics).toBe(0)
  })

  it('answers ping with pong and tolerates a subscribe without topics, like y-webrtc', async () => {
    await start()
    const a = await connect()
    a.send({ type: 'subscribe' })
    a.send({ type: 'ping' })
    expect(await a.next()).toEqual({ type: 'pong' })
  })

  it('removes a closed connection from its topics', async () => {
    await start()
    const [a, b] = [await connect(), await connect()]
    a.send({ type: 'subscribe', topics: ['t'] })
    b.send({ type: 'subscribe', topics: ['t'] })
    await Promise.all([a.roundTrip(), b.roundTrip()])
    await b.close()
    await expect.poll(() => server.health().connections).toBe(1)
    a.send({ type: 'publish', topic: 't', data: 1 })
    expect((await a.next((m) => m.type === 'publish')).clients).toBe(1)
  })
})

describe('addressed delivery (ymesh extension)', () => {
  it('delivers a publish with `to` only to the subscriber that announced that peerId', async () => {
    await start()
    const [a, b, stock] = [await connect(), await connect(), await connect()]
    a.send({ type: 'subscribe', topics: ['room'], peerId: 'peer-a' })
    b.send({ type: 'subscribe', topics: ['room'], peerId: 'peer-b' })
    stock.send({ type: 'subscribe', topics: ['room'] })
    await Promise.all([a.roundTrip(), b.roundTrip(), stock.roundTrip()])
    a.send({ type: 'publish', topic: 'room', to: 'peer-b', data: { type: 'signal' } })
    expect(await b.next((m) => m.type === 'publish')).toEqual({ type: 'publish', topic: 'room', to: 'peer-b', data: { type: 'signal' }, clients: 3 })
    await Promise.all([a.roundTrip(), stock.roundTrip()])
    expect(a.messages.some((m) => m.type === 'publish')).toBe(false)
    expect(stock.messages.some((m) => m.type === 'publish')).toBe(false)
    // A broadcast still reaches everyone else, stock clients included; a ymesh sender (it
    // subscribed with a peerId) gets no echo of it, a stock sender gets y-webrtc's echo.
    a.send({ type: 'publish', topic: 'room', data: 'all' })
    await Promise.all([b, stock].map((c) => c.next((m) => m.type === 'publish' && m.data === 'all')))
    stock.send({ type: 'publish', topic: 'room', data: 'from stock' })
    await Promise.all([a, b, stock].map((c) => c.next((m) => m.type === 'publish' && m.data === 'from stock')))
    await a.roundTrip()
    expect(a.messages.filter((m) => m.type === 'publish' && m.data === 'all')).toHaveLength(0)
  })

  it('a quiet subscriber gets what is addressed to it and stock broadcasts, not ymesh broadcasts unless marked `all`', async () => {
    await start()
    const [a, quiet, loud, stock] = [await connect(), await connect(), await connect(), await connect()]
    a.send({ type: 'subscribe', topics: ['room'], peerId: 'peer-a' })
    quiet.send({ type: 'subscribe', topics: ['room'], peerId: 'peer-q', quiet: true })
    loud.send({ type: 'subscribe', topics: ['room'], peerId: 'peer-l' })
    stock.send({ type: 'subscribe', topics: ['room'] })
    await Promise.all([a, quiet, loud, stock].map((c) => c.roundTrip()))
    a.send({ type: 'publish', topic: 'room', data: 'announce' })
    a.send({ type: 'publish', topic: 'room', to: 'peer-q', data: 'for q' })
    a.send({ type: 'publish', topic: 'room', data: 'again', all: true })
    stock.send({ type: 'publish', topic: 'room', data: 'stock offer' })
    await Promise.all([loud, stock].map((c) => c.next((m) => m.data === 'announce', 0)))
    await quiet.next((m) => m.data === 'for q', 0)
    // Counted as a subscriber (`clients`), like any other.
    expect(await quiet.next((m) => m.data === 'again', 0)).toEqual({ type: 'publish', topic: 'room', data: 'again', clients: 4 })
    await quiet.next((m) => m.data === 'stock offer', 0)
    await loud.next((m) => m.data === 'again', 0)
    await quiet.roundTrip()
    expect(quiet.messages.some((m) => m.data === 'announce')).toBe(false)
    // A subscribe without `quiet` makes it hear everything again.
    quiet.send({ type: 'subscribe', topics: ['room'], peerId: 'peer-q' })
    await quiet.roundTrip()
    a.send({ type: 'publish', topic: 'room', data: 'announce 2' })
    await quiet.next((m) => m.data === 'announce 2', 0)
  })

  it('ignores `quiet` without a peerId: a subscriber nobody can address hears every broadcast', async () => {
    await start()
    const [a, b] = [await connect(), await connect()]
    a.send({ type: 'subscribe', topics: ['room'], peerId: 'peer-a' })
    b.send({ type: 'subscribe', topics: ['room'], quiet: true })
    await Promise.all([a.roundTrip(), b.roundTrip()])
    a.send({ type: 'publish', topic: 'room', data: 'announce' })
    await b.next((m) => m.data === 'announce', 0)
  })

  it('keeps the announced peerId across a plain re-subscribe and drops it on unsubscribe', async () => {
    await start()
    const [a, b] = [await connect(), await connect()]
    b.send({ type: 'subscribe', topics: ['room'], peerId: 'peer-b' })
    b.send({ type: 'subscribe', topics: ['room'] })
    await b.roundTrip()
    a.send({ type: 'publish', topic: 'room', to: 'peer-b', data: 1 })
    await b.next((m) => m.data === 1)
    b.send({ type: 'subscribe', topics: ['room'], peerId: 'peer-b2' })
    await b.roundTrip()
    a.send({ type: 'publish', topic: 'room', to: 'peer-b', data: 2 })
    a.send({ type: 'publish', topic: 'room', to: 'peer-b2', data: 3 })
    await b.next((m) => m.data === 3)
    expect(b.messages.some((m) => m.data === 2)).toBe(false)
    b.send({ type: 'unsubscribe', topics: ['room'] })
    await b.roundTrip()
    a.send({ type: 'publish', topic: 'room', to: 'peer-b2', data: 4 })
    await Promise.all([a.roundTrip(), b.roundTrip()])
    expect(b.messages.some((m) => m.data === 4)).toBe(false)
  })
})

describe('undelivered (ymesh extension)', () => {
  it('answers an addressed publish that reached nobody, so its sender moves on; a delivered one and a broadcast get no answer', async () => {
    await start()
    const [a, b] = [await connect(), await connect()]
    a.send({ type: 'subscribe', topics: ['room'], peerId: 'peer-a' })
    b.send({ type: 'subscribe', topics: ['room'], peerId: 'peer-b' })
    await Promise.all([a.roundTrip(), b.roundTrip()])
    a.send({ type: 'publish', topic: 'room', to: 'peer-b', data: 'here' })
    await b.next((m) => m.data === 'here')
    a.send({ type: 'publish', topic: 'room', data: 'everyone' })
    await b.next((m) => m.data === 'everyone')
    await a.roundTrip()
    expect(a.messages.filter((m) => m.type === 'undelivered')).toEqual([])
    // Gone: it left the topic, or its connection closed (a crash), or it never was there.
    b.send({ type: 'unsubscribe', topics: ['room'] })
    await b.roundTrip()
    a.send({ type: 'publish', topic: 'room', to: 'peer-b', data: 'left' })
    expect(await a.next((m) => m.type === 'undelivered')).toEqual({ type: 'undelivered', topic: 'room', to: 'peer-b' })
    expect(b.messages.some((m) => m.data === 'left')).toBe(false)
    // Only a subscriber of the topic is told: anyone else could probe who is in a room.
    a.send({ type: 'publish', topic: 'nowhere', to: 'peer-x', data: 'a topic a is not in' })
    await a.roundTrip()
    expect(a.messages.filter((m) => m.type === 'undelivered')).toHaveLength(1)
    const text = await (await fetch(`${server.url.replace('ws', 'http')}/metrics`)).text()
    expect(text).toContain('ymesh_signal_messages_out_total{type="undelivered"} 1')
  })
})

describe('HTTP endpoints', () => {
  it('serves /health as JSON and /metrics as Prometheus text with per-type counters', async () => {
    await start()
    const a = await connect()
    a.send({ type: 'subscribe', topics: ['t'] })
    a.send({ type: 'publish', topic: 't', data: 'hello' })
    await a.next((m) => m.type === 'publish')
    a.send('not json')
    await a.roundTrip()
    const base = server.url.replace('ws', 'http')
    const health = await (await fetch(`${base}/health`)).json() as Record<string, unknown>
    expect(health).toMatchObject({ status: 'ok', connections: 1, topics: 1, redis: 'disabled' })
    expect(typeof health.uptime).toBe('number')
    const res = await fetch(`${base}/metrics`)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = await res.text()
    expect(text).toContain('ymesh_signal_connections 1')
    expect(text).toContain('ymesh_signal_topics 1')
    expect(text).toContain('ymesh_signal_messages_in_total{type="publish"} 1')
    expect(text).toContain('ymesh_signal_messages_out_total{type="publish"} 1')
    expect(text).toContain('ymesh_signal_messages_out_total{type="pong"} 1')
    expect(text).toMatch(/ymesh_signal_bytes_out_total\{type="publish"\} \d+/)
    expect(text).toContain('ymesh_signal_rejections_total{reason="malformed-json"} 1')
    expect(text).toContain('ymesh_signal_redis_link{state="disabled"} 1')
    expect((await fetch(`${base}/nope`)).status).toBe(404)
    expect((await fetch(`${base}/`)).status).toBe(200)
    expect((await fetch(`${base}/health`, { method: 'POST' })).status).toBe(405)
  })
})
