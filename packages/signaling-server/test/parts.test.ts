import { createServer } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createConsoleLogger, createSignalingServer, silentLogger } from '@ymesh/signaling-server'
import { IpLimiter } from '../src/ip-limiter.js'
import { DEFAULT_LIMITS } from '../src/options.js'
import { RedisBridge, parseEnvelope } from '../src/redis-bridge.js'
import { TokenBucket } from '../src/token-bucket.js'

afterEach(() => { vi.restoreAllMocks() })

describe('token bucket', () => {
  it('refills at its rate up to its burst', () => {
    const b = new TokenBucket(10, 2, 0)
    expect([b.take(0), b.take(0), b.take(0)]).toEqual([true, true, false])
    expect(b.msUntil(1, 0)).toBe(100)
    expect(b.take(100)).toBe(true)
    expect(b.msUntil(5, 10_000)).toBe(0)
  })
})

describe('IP limiter', () => {
  it('forgets idle addresses on sweep, but not open or banned ones', () => {
    const l = new IpLimiter({ ...DEFAULT_LIMITS, connectionsPerSecondPerIp: 1, connectionBurstPerIp: 1, banMs: 1000 })
    expect(l.admit('a', 0).ok).toBe(true)
    expect(l.admit('b', 0).ok).toBe(true)
    expect(l.admit('b', 0)).toEqual({ ok: false, reason: 'ip-rate' })
    l.release('a')
    l.sweep(10)
    expect(l.size).toBe(2) // a's bucket is not full yet; b is open and banned
    l.sweep(5000)
    expect(l.size).toBe(1)
    l.release('b')
    l.release('nobody')
    l.sweep(5000)
    expect(l.size).toBe(0)
  })
})

describe('console logger', () => {
  it('prints at its level and above, errors and warnings to stderr', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    const err = vi.spyOn(console, 'error').mockImplementation(() => {})
    const l = createConsoleLogger('info')
    l.debug('hidden')
    l.info('shown', { a: 1 })
    l.warn('careful')
    l.error('broken')
    expect(log.mock.calls).toEqual([['[ymesh-signal] info shown {"a":1}']])
    expect(err.mock.calls).toEqual([['[ymesh-signal] warn careful'], ['[ymesh-signal] error broken']])
  })
})

describe('Redis envelope', () => {
  it('accepts version 1 envelopes with origin and topic, and nothing else', () => {
    expect(parseEnvelope('{"v":1,"o":"s","topic":"t","data":{"x":1}}')).toEqual({ v: 1, o: 's', topic: 't', data: { x: 1 } })
    expect(parseEnvelope('{"v":1,"o":"s","topic":"t","to":"p"}')?.to).toBe('p')
    expect(parseEnvelope('{"v":1,"o":"s","topic":"t","q":true}')?.q).toBe(true)
    for (const bad of ['nope', 'null', '{"v":2,"o":"s","topic":"t"}', '{"v":1,"topic":"t"}', '{"v":1,"o":"s"}', '{"v":1,"o":"s","topic":"t","to":5}', '{"v":1,"o":"s","topic":"t","q":1}']) {
      expect(parseEnvelope(bad)).toBeUndefined()
    }
  })
})

describe('Redis bridge without Redis', () => {
  it('reports disconnected, drops publishes for other servers (bounded memory), and stops cleanly', async () => {
    // A port that refuses connections: bind, then close.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
    const states: string[] = []
    const bridge = new RedisBridge({
      url: `redis://127.0.0.1:${port}`, prefix: 'x', serverId: 's', logger: silentLogger,
      onPublish: () => {}, onMalformed: () => {}, onState: (s) => states.push(s)
    })
    expect(bridge.linkState).toBe('connecting')
    bridge.start()
    await expect.poll(() => states).toContain('disconnected')
    bridge.subscribe('t')
    expect(bridge.publish('t', 1, undefined)).toBe(false)
    bridge.unsubscribe('t')
    await bridge.stop()
    expect(bridge.linkState).toBe('disconnected')
  })

  it('serves local clients with /health degraded while its Redis is unreachable', async () => {
    const s = createSignalingServer({ port: 0, logger: silentLogger, redisUrl: 'redis://127.0.0.1:1' })
    await s.start()
    try {
      await expect.poll(() => s.health()).toMatchObject({ status: 'degraded', redis: 'disconnected' })
    } finally {
      await s.stop()
    }
  })
})
