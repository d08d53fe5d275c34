import { describe, expect, it } from 'vitest'
import type { Connection } from '@ymesh/core'
import { createEnvelope, type PeerId } from '@ymesh/protocol'
import { MessageCache, SeenCache } from '../../src/gossip/caches.js'

const envelope = (n: number) => createEnvelope({
  id: new Uint8Array(16).fill(n), source: 'a' as PeerId, destination: { kind: 'topic', topic: n % 2 === 0 ? 'even' : 'odd' }, payloadType: 100, payload: new Uint8Array(10)
})

describe('SeenCache', () => {
  it('forgets the oldest id beyond its count and ids older than its age', () => {
    const seen = new SeenCache(3, 1_000)
    for (const [key, at] of [['a', 0], ['b', 10], ['c', 20], ['a', 30], ['d', 40]] as const) seen.add(key, at)
    expect([seen.has('a'), seen.has('b'), seen.has('c'), seen.has('d')]).toEqual([false, true, true, true])
    seen.expire(1_015)
    expect([seen.has('b'), seen.has('c'), seen.size]).toEqual([false, true, 2])
    seen.clear()
    expect(seen.size).toBe(0)
  })
})

describe('MessageCache', () => {
  it('is bounded by count, bytes and age, and lists a topic oldest first', () => {
    const cache = new MessageCache(3, 100, 1_000)
    for (let n = 0; n < 4; n++) cache.put(`k${n}`, n % 2 === 0 ? 'even' : 'odd', envelope(n), 10, n * 100)
    expect(cache.size).toBe(3)
    expect(cache.get('k0')).toBeUndefined()
    expect([...cache.ofTopic('odd')].map((e) => e.key)).toEqual(['k1', 'k3'])
    cache.put('big', 'even', envelope(6), 95, 400)
    expect(cache.size).toBe(1) // 95 bytes leave room for nothing else
    cache.expire(1_400)
    expect(cache.size).toBe(0)
  })

  it('forgets a connection everywhere', () => {
    const cache = new MessageCache(10, 1_000, 1_000)
    const connection = {} as Connection
    const entry = cache.put('k', 'even', envelope(0), 10, 0)
    entry.knownBy.add(connection)
    entry.announced.set(connection, 2)
    cache.forget(connection)
    expect([entry.knownBy.size, entry.announced.size]).toEqual([0, 0])
    cache.remove('missing')
    cache.clear()
    expect(cache.size).toBe(0)
  })
})
