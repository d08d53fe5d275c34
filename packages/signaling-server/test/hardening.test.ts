import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { CloseCode, DEFAULT_LIMITS, MAX_DATA_DEPTH, createSignalingServer, silentLogger } from '@ymesh/signaling-server'
import type { Limits, RejectReason, SignalingServer } from '@ymesh/signaling-server'
import { TestClient } from './client.js'

let server: SignalingServer
const clients: TestClient[] = []
const connect = async (): Promise<TestClient> => {
  const c = await TestClient.connect(server.url)
  clients.push(c)
  return c
}
const start = async (limits: Partial<Limits> = {}): Promise<void> => {
  server = createSignalingServer({ port: 0, logger: silentLogger, limits })
  await server.start()
}
const rejected = (reason: RejectReason): number => server.metrics.rejections.get(reason) ?? 0

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await server.stop()
})

/** An object nested `depth` levels deep: {a:{a:...{}}}. */
const nest = (depth: number): unknown => {
  let v: unknown = {}
  for (let i = 1; i < depth; i++) v = { a: v }
  return v
}

describe('malformed input is dropped with a counted reason; connection and server stay up', () => {
  const cases: Array<[string, unknown, RejectReason]> = [
    ['malformed JSON', '{"type":"publish",', 'malformed-json'],
    ['a JSON array', '[1,2,3]', 'not-an-object'],
    ['a JSON string', '"subscribe"', 'not-an-object'],
    ['null', 'null', 'not-an-object'],
    ['an unknown type', { type: 'hello' }, 'unknown-type'],
    ['a missing type', { topics: ['x'] }, 'invalid-field'],
    ['topics that are not a string array', { type: 'subscribe', topics: 'room' }, 'invalid-field'],
    ['a topic list with a number', { type: 'subscribe', topics: ['a', 1] }, 'invalid-field'],
    ['a publish without topic', { type: 'publish', data: {} }, 'invalid-field'],
    ['a publish with a numeric topic', { type: 'publish', topic: 5, data: {} }, 'invalid-field'],
    ['a publish with a non-string `to`', { type: 'publish', topic: 't', to: 3, data: {} }, 'invalid-field'],
    ['a subscribe with an empty peerId', { type: 'subscribe', topics: ['t'], peerId: '' }, 'invalid-field'],
    ['a subscribe with a non-boolean `quiet`', { type: 'subscribe', topics: ['t'], peerId: 'p', quiet: 'yes' }, 'invalid-field'],
    ['a publish with a non-boolean `all`', { type: 'publish', topic: 't', data: {}, all: 1 }, 'invalid-field'],
    ['an unsubscribe with an object for topics', { type: 'unsubscribe', topics: { a: 1 } }, 'invalid-field'],
    ['an auth without token', { type: 'auth' }, 'invalid-field'],
    // 10 KB of brackets: re-serializing it to forward would overflow the stack and kill the process.
    ['a publish whose data nests 5,000 deep', `{"type":"publish","topic":"t","data":${'['.repeat(5000)}${']'.repeat(5000)}}`, 'too-deep'],
    ['a publish whose data nests one level past the limit', { type: 'publish', topic: 't', data: nest(MAX_DATA_DEPTH + 1) }, 'too-deep']
  ]
  it.each(cases)('%s', async (_name, frame, reason) => {
    await start()
    const a = await connect()
    a.send({ type: 'subscribe', topics: ['t'] })
    a.send(frame)
    await a.roundTrip()
    expect(rejected(reason)).toBe(1)
    // Still fully working afterwards.
    a.send({ type: 'publish', topic: 't', data: 'ok' })
    expect((await a.next((m) => m.type === 'publish')).data).toBe('ok')
  })

  it('forwards data nested exactly to the limit', async () => {
    await start()
    const a = await connect()
    a.send({ type: 'subscribe', topics: ['t'] })
    a.send({ type: 'publish', topic: 't', data: nest(MAX_DATA_DEPTH) })
    expect((await a.next((m) => m.type === 'publish')).data).toEqual(nest(MAX_DATA_DEPTH))
    expect(rejected('too-deep')).toBe(0)
  })

  it('a binary frame', async () => {
    await start()
    const a = await connect()
    a.ws.send(new Uint8Array([123, 34, 116, 121, 112, 101, 34]))
    await a.roundTrip()
    expect(rejected('binary-frame')).toBe(1)
  })
})

describe('limits', () => {
  it('closes a connection that sends a frame over maxMessageBytes with 1009 and keeps serving others', async () => {
    await start({ maxMessageBytes: 1024 })
    const [a, b] = [await connect(), await connect()]
    a.send({ type: 'publish', topic: 't', data: 'x'.repeat(2000) })
    expect((await a.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG)
    expect(rejected('too-big')).toBe(1)
    await b.roundTrip()
  })

  it('ships a 64 KiB message limit by default', () => {
    expect(DEFAULT_LIMITS.maxMessageBytes).toBe(64 * 1024)
  })

  it('closes a connection that subscribes to more than maxTopicsPerConnection with TOO_MANY_TOPICS', async () => {
    await start({ maxTopicsPerConnection: 3 })
    const a = await connect()
    a.send({ type: 'subscribe', topics: ['1', '2', '3'] })
    a.send({ type: 'subscribe', topics: ['1', '3'] })
    await a.roundTrip()
    a.send({ type: 'subscribe', topics: ['4'] })
    expect((await a.closed).code).toBe(CloseCode.TOO_MANY_TOPICS)
    expect(rejected('too-many-topics')).toBe(1)
    await expect.poll(() => server.health().topics).toBe(0)
  })

  it('refuses new topics beyond maxTopics with an error reply, keeping existing ones', async () => {
    await start({ maxTopics: 2 })
    const [a, b] = [await connect(), await connect()]
    a.send({ type: 'subscribe', topics: ['1', '2'] })
    await a.roundTrip()
    b.send({ type: 'subscribe', topics: ['2', '3'] })
    expect(await b.next((m) => m.type === 'error')).toMatchObject({ type: 'error', code: 'topic-limit', topic: '3' })
    expect(server.health().topics).toBe(2)
    b.send({ type: 'publish', topic: '2', data: 'x' })
    expect((await b.next((m) => m.type === 'publish')).clients).toBe(2)
  })

  it('refuses connections beyond maxConnectionsPerIp with HTTP 429', async () => {
    await start({ maxConnectionsPerIp: 2 })
    await connect()
    const second = await connect()
    expect(await TestClient.refused(server.url)).toBe(429)
    expect(rejected('ip-connections')).toBe(1)
    await second.close()
    await expect.poll(() => server.health().connections).toBe(1)
    await connect()
  })

  it('bans an address that connects faster than its connection rate, for banMs', async () => {
    let now = 1_000_000
    server = createSignalingServer({ port: 0, logger: silentLogger, now: () => now, limits: { connectionsPerSecondPerIp: 1, connectionBurstPerIp: 2, banMs: 5000 } })
    await server.start()
    await connect()
    await connect()
    expect(await TestClient.refused(server.url)).toBe(429)
    expect(rejected('ip-rate')).toBe(1)
    now += 3000 // tokens are back, but the ban holds
    expect(await TestClient.refused(server.url)).toBe(0)
    expect(rejected('ip-banned')).toBe(1)
    now += 3000
    await connect()
  })

  it('closes connections beyond maxConnections with SERVER_FULL', async () => {
    await start({ maxConnections: 1 })
    await connect()
    const b = await connect()
    expect((await b.closed).code).toBe(CloseCode.SERVER_FULL)
    expect(rejected('server-full')).toBe(1)
  })

  it('rate-limits messages per connection (token bucket): drops the excess, replies once, pauses reading, then serves it again', async () => {
    await start({ messagesPerSecond: 50, messageBurst: 10 })
    const [a, other] = [await connect(), await connect()]
    a.send({ type: 'subscribe', topics: ['t'] })
    for (let i = 0; i < 30; i++) a.send({ type: 'publish', topic: 't', data: i })
    expect(await a.next((m) => m.type === 'error')).toMatchObject({ code: 'rate-limited' })
    // After the pause the connection is served again (a ping sent into the pause may be dropped too).
    const from = a.messages.length
    const retry = setInterval(() => a.send({ type: 'ping' }), 50)
    await a.next((m) => m.type === 'pong', from)
    clearInterval(retry)
    const delivered = a.messages.filter((m) => m.type === 'publish').length
    expect(delivered).toBeLessThan(30)
    expect(delivered).toBeGreaterThanOrEqual(9)
    // One error reply per pause, not one per dropped message (no amplification).
    const errors = a.messages.filter((m) => m.type === 'error').length
    expect(errors).toBeGreaterThanOrEqual(1)
    expect(rejected('rate-limited')).toBeGreaterThan(errors)
    await other.roundTrip()
  })

  it('closes a receiver that does not read (more than maxBufferedBytes queued) with SLOW_CONSUMER', async () => {
    await start({ maxBufferedBytes: 64 * 1024, messagesPerSecond: 100_000, messageBurst: 100_000 })
    const publisher = await connect()
    const slow = await connect()
    slow.send({ type: 'subscribe', topics: ['t'] })
    await slow.roundTrip()
    slow.ws.pause()
    const data = 'y'.repeat(8000)
    let code: number | undefined
    void slow.closed.then((c) => { code = c.code })
    // Publish until the server gives up on the reader; bounded so a broken limit fails, not hangs.
    for (let i = 0; i < 2000 && rejected('slow-consumer') === 0; i++) {
      publisher.send({ type: 'publish', topic: 't', data })
      if (i % 20 === 0) await publisher.roundTrip()
    }
    expect(rejected('slow-consumer')).toBe(1)
    slow.ws.resume()
    await slow.closed
    expect(code).toBe(CloseCode.SLOW_CONSUMER)
  })
})

describe('liveness', () => {
  it('pings clients and drops one that does not answer', async () => {
    server = createSignalingServer({ port: 0, logger: silentLogger, pingIntervalMs: 50 })
    await server.start()
    // autoPong off: this client never answers pings.
    const mute = new WebSocket(server.url, { autoPong: false })
    const closed = new Promise<void>((resolve) => mute.on('close', () => resolve()))
    let pings = 0
    mute.on('ping', () => { pings++ })
    const alive = await connect()
    await closed
    expect(pings).toBeGreaterThanOrEqual(1)
    await alive.roundTrip()
    expect(alive.ws.readyState).toBe(WebSocket.OPEN)
  })
})
