import { describe, expect, it } from 'vitest'
import { ROUTE_METRIC_INFINITY, type PeerId } from '@ymesh/protocol'
import { addMetric, betterDistance, isFeasible, linkCost, seqnoAdd, seqnoNewer } from '../../src/routing/metric.js'
import { RoutingTableManager, type RoutingTableEvents } from '../../src/routing/routing-table.js'
import { SeenCache } from '../../src/routing/seen-cache.js'
import { resolveRouterOptions } from '../../src/routing/options.js'
import { TokenBucket } from '../../src/routing/token-bucket.js'
import { RouteOptimizer } from '../../src/routing/route-optimizer.js'
import { DestinationStats } from '../../src/routing/destination-stats.js'

const id = (s: string): PeerId => s as PeerId
const [ME, N1, N2, N3, D] = ['me', 'n1', 'n2', 'n3', 'd'].map(id) as [PeerId, PeerId, PeerId, PeerId, PeerId]

const table = (extra: Partial<ConstructorParameters<typeof RoutingTableManager>[0]> = {}): RoutingTableManager =>
  new RoutingTableManager({ self: ME, initialSeqno: 100, maxRoutes: 100, switchHysteresis: 0.1, requestIntervalMs: 1000, hopCost: 256, ...extra })

function record<N extends keyof RoutingTableEvents> (t: RoutingTableManager, name: N): Array<Parameters<RoutingTableEvents[N]>[0]> {
  const events: Array<Parameters<RoutingTableEvents[N]>[0]> = []
  t.on(name, ((e: Parameters<RoutingTableEvents[N]>[0]) => { events.push(e) }) as RoutingTableEvents[N])
  return events
}

describe('metric arithmetic', () => {
  it('compares seqnos modulo 2^32', () => {
    expect(seqnoNewer(5, 4)).toBe(true)
    expect(seqnoNewer(4, 5)).toBe(false)
    expect(seqnoNewer(4, 4)).toBe(false)
    expect(seqnoNewer(0, 0xffffffff)).toBe(true)
    expect(seqnoAdd(0xffffffff, 2)).toBe(1)
  })

  it('saturates metrics at infinity', () => {
    expect(addMetric(10, 20)).toBe(30)
    expect(addMetric(ROUTE_METRIC_INFINITY, 1)).toBe(ROUTE_METRIC_INFINITY)
    expect(addMetric(60_000, 60_000)).toBe(ROUTE_METRIC_INFINITY)
  })

  it('accepts only distances strictly better than the feasibility distance', () => {
    const fd = { seqno: 10, metric: 500 }
    expect(isFeasible({ seqno: 10, metric: 499 }, fd)).toBe(true)
    expect(isFeasible({ seqno: 10, metric: 500 }, fd)).toBe(false)
    expect(isFeasible({ seqno: 9, metric: 1 }, fd)).toBe(false)
    expect(isFeasible({ seqno: 11, metric: 9000 }, fd)).toBe(true)
    expect(isFeasible({ seqno: 9, metric: ROUTE_METRIC_INFINITY }, fd)).toBe(true)
    expect(isFeasible({ seqno: 0, metric: 1 }, undefined)).toBe(true)
    expect(betterDistance({ seqno: 10, metric: 400 }, fd)).toEqual({ seqno: 10, metric: 400 })
    expect(betterDistance({ seqno: 9, metric: 1 }, fd)).toBe(fd)
  })

  it('costs a link by hops, RTT and loss', () => {
    const o = { hopCost: 256, rttUnitMs: 100 }
    expect(linkCost({ rttMs: null, loss: 0 }, o)).toBe(256)
    expect(linkCost({ rttMs: 100, loss: 0 }, o)).toBe(512)
    expect(linkCost({ rttMs: 0, loss: 0.5 }, o)).toBe(512)
    expect(linkCost({ rttMs: Number.NaN, loss: Number.NaN }, o)).toBe(256)
    expect(linkCost({ rttMs: 1e9, loss: 1 }, o)).toBe(ROUTE_METRIC_INFINITY - 1)
  })

  it('costs links by the windowed minimum of RTT samples and changes a cost only past the hysteresis', () => {
    const optimizer = new RouteOptimizer({ hopCost: 256, rttUnitMs: 100, costHysteresis: 0.2, windowMs: 10_000 })
    expect(optimizer.cost(N1, { rttMs: null, loss: 0 }, 0)).toBe(256)
    expect(optimizer.cost(N1, { rttMs: 20, loss: 0 }, 0)).toBe(256) // 307 is within 20 % of 256
    optimizer.observeRtt(N1, 100, 0)
    expect(optimizer.cost(N1, { rttMs: 20, loss: 0 }, 0)).toBe(512) // samples win over the smoothed RTT
    optimizer.observeRtt(N1, 20, 1_000)
    optimizer.observeRtt(N1, 400, 2_000) // one spike: the minimum is still 20
    expect(optimizer.cost(N1, { rttMs: 400, loss: 0 }, 2_000)).toBe(307)
    for (let t = 3_000; t <= 14_000; t += 1_000) optimizer.observeRtt(N1, 400, t)
    expect(optimizer.cost(N1, { rttMs: 400, loss: 0 }, 14_000)).toBe(1280) // lasted the whole window
    optimizer.observeRtt(N1, 20, 15_000)
    expect(optimizer.cost(N1, { rttMs: 20, loss: 0 }, 15_000)).toBe(307) // improvements count at once
    expect(optimizer.cost(N1, { rttMs: 20, loss: 0.5 }, 16_000)).toBe(307) // one lossy reading
    expect(optimizer.cost(N1, { rttMs: 20, loss: 0.5 }, 30_000)).toBe(614) // lossy for a whole window
    optimizer.observeRtt(N1, Number.NaN, 30_000)
    expect(optimizer.cost(N1, { rttMs: Number.NaN, loss: Number.NaN }, 30_000)).toBe(614)
    optimizer.forget(N1)
    expect(optimizer.cost(N1, { rttMs: 30, loss: 0 }, 0)).toBe(333)
    optimizer.clear()
  })
})

describe('small parts', () => {
  it('SeenCache remembers keys for ttl and evicts the oldest past its size', () => {
    const cache = new SeenCache(100, 2)
    expect(cache.checkAndAdd('a', 0)).toBe(false)
    expect(cache.checkAndAdd('a', 50)).toBe(true)
    expect(cache.has('a', 99)).toBe(true)
    expect(cache.checkAndAdd('a', 150)).toBe(false) // expired, recorded anew
    cache.checkAndAdd('b', 151)
    cache.checkAndAdd('c', 152)
    expect(cache.size).toBe(2)
    expect(cache.has('a', 152)).toBe(false)
    cache.checkAndAdd('d', 400) // everything else expired
    expect(cache.size).toBe(1)
    cache.clear()
    expect(cache.size).toBe(0)
  })

  it('TokenBucket refills at its rate up to its burst', () => {
    const bucket = new TokenBucket(10, 20, 0)
    expect(bucket.take(20, 0)).toBe(true)
    expect(bucket.take(1, 0)).toBe(false)
    expect(bucket.take(5, 500)).toBe(true)
    expect(bucket.take(1, 500)).toBe(false)
  })

  it('DestinationStats smooths round trips (RFC 6298) and stays bounded', () => {
    const stats = new DestinationStats(2)
    expect(stats.timeout(D, 100, 1000)).toBeUndefined()
    stats.observe(D, 100, 3)
    expect(stats.get(D)).toEqual({ srttMs: 100, rttVarMs: 50, hops: 3 })
    expect(stats.timeout(D, 100, 1000)).toBe(300)
    stats.observe(D, 200, 2)
    expect(stats.get(D)!.srttMs).toBeCloseTo(112.5)
    stats.observe(N1, 1, 1)
    stats.observe(N2, 1, 1)
    expect(stats.rows().map(([p]) => p)).toEqual([N1, N2])
  })

  it('rejects router options that cannot work', () => {
    expect(resolveRouterOptions().ttl).toBe(8)
    expect(() => resolveRouterOptions({ hopCost: 0 })).toThrow(/hopCost/)
    expect(() => resolveRouterOptions({ updateIntervalMs: 10_000, routeExpiryMs: 5_000 })).toThrow(/routeExpiryMs/)
    expect(() => resolveRouterOptions({ ttl: 99 })).toThrow(/ttl/)
    expect(() => resolveRouterOptions({ maxDictionarySize: 1e9 })).toThrow(/maxDictionarySize/)
    expect(() => resolveRouterOptions({ switchHysteresis: -1 })).toThrow(/Hysteresis/)
  })
})

describe('RoutingTableManager', () => {
  it('selects the cheapest feasible route and adds the link cost and a hop', () => {
    const t = table()
    const changes = record(t, 'route-changed')
    t.setLinkCost(N1, 256, 0)
    t.setLinkCost(N2, 256, 0)
    expect(t.applyUpdate(N1, D, 7, 512, 2, 0)).toBe('applied')
    expect(t.route(D)).toEqual({ destination: D, nextHop: N1, seqno: 7, metric: 768, hops: 3 })
    t.applyUpdate(N2, D, 7, 256, 1, 0)
    expect(t.route(D)?.nextHop).toBe(N2)
    expect(changes.map((c) => c.significant)).toEqual([true, true])
    expect(t.size).toBe(1)
    expect(t.nextHop(D, N2)).toBeNull() // N1's 512 is not below the feasibility distance (7, 512)
    t.setLinkCost(N3, 256, 0)
    t.applyUpdate(N3, D, 7, 300, 1, 0) // feasible, but not 10% cheaper than the selected route
    expect(t.route(D)?.nextHop).toBe(N2)
    expect(t.nextHop(D, N2)).toBe(N3) // the other feasible route when the selected one points back
    expect(t.nextHop(D, null)).toBe(N2)
    expect(t.nextHop(id('nobody'), null)).toBeNull()
    // Every neighbour that reaches D, feasible for us or not (each could relay to it); a retraction is not a route.
    expect(new Set(t.neighboursWithRoute(D))).toEqual(new Set([N1, N2, N3]))
    // Bounded by the neighbours' own hop counts: N2 and N3 are connected to D, N1 is two hops away.
    expect(new Set(t.neighboursWithRoute(D, 1))).toEqual(new Set([N2, N3]))
    expect(t.neighboursWithRoute(D, 0)).toEqual([])
    t.applyUpdate(N1, D, 8, ROUTE_METRIC_INFINITY, 0, 0)
    expect(new Set(t.neighboursWithRoute(D))).toEqual(new Set([N2, N3]))
    expect(t.neighboursWithRoute(id('nobody'))).toEqual([])
  })

  it('refuses routes that fail the feasibility condition and asks for a newer seqno', () => {
    const t = table()
    const requests = record(t, 'seqno-request')
    t.setLinkCost(N1, 256, 0)
    t.setLinkCost(N2, 256, 0)
    t.applyUpdate(N1, D, 7, 256, 1, 0) // fd = (7, 512)
    t.applyUpdate(N2, D, 7, 1000, 4, 0) // not better than fd: infeasible
    t.applyUpdate(N1, D, 7, ROUTE_METRIC_INFINITY, 0, 10) // retraction
    expect(t.route(D)).toBeNull()
    expect(requests).toEqual([{ destination: D, seqno: 8, via: N2 }])
    t.applyUpdate(N2, D, 7, 1000, 4, 20) // still infeasible; requests are rate limited
    expect(requests).toHaveLength(1)
    t.applyUpdate(N2, D, 8, 1000, 4, 30) // the newer seqno arrives: feasible
    expect(t.route(D)).toMatchObject({ nextHop: N2, seqno: 8, metric: 1256 })
    expect(t.advertisedFor(D)).toMatchObject({ seqno: 8, metric: 1256, nextHop: N2 })
  })

  it('keeps the current next hop unless another is cheaper by more than the hysteresis', () => {
    const t = table()
    t.setLinkCost(N1, 256, 0)
    t.setLinkCost(N2, 256, 0)
    t.applyUpdate(N1, D, 7, 300, 1, 0)
    t.applyUpdate(N2, D, 7, 290, 1, 0)
    expect(t.route(D)?.nextHop).toBe(N1)
    t.setLinkCost(N1, 400, 1) // now 700 against 546: switch
    expect(t.route(D)?.nextHop).toBe(N2)
  })

  it('drops routes through a neighbour that goes down, and expired routes', () => {
    const t = table()
    t.setLinkCost(N1, 256, 0)
    t.setLinkCost(N2, 256, 0)
    t.applyUpdate(N1, D, 7, 256, 1, 0)
    t.applyUpdate(N2, D, 7, 300, 1, 50)
    expect([...t.neighbours()]).toEqual([N1, N2])
    t.removeNeighbour(N1, 60)
    t.removeNeighbour(N1, 60) // twice is harmless
    expect(t.route(D)?.nextHop).toBe(N2) // 300 < fd 512: feasible
    expect(t.routes(100)).toEqual([{ destination: D, nextHop: N2, metric: 556, hops: 2, seqno: 7, ageMs: 50, alternatives: 1 }])
    t.expire(1_000, 500, 10_000)
    expect(t.route(D)).toBeNull()
    expect(t.trackedSize).toBe(1)
    expect(t.routes(1_000)[0]).toMatchObject({ nextHop: null, metric: ROUTE_METRIC_INFINITY })
    t.expire(20_000, 500, 10_000) // idle past sourceGc: forgotten
    expect(t.trackedSize).toBe(0)
  })

  it('advertises itself, bumps its seqno on request and past a newer one heard from a neighbour', () => {
    const t = table()
    const bumps = record(t, 'self-seqno')
    t.setLinkCost(N1, 256, 0)
    expect([...t.advertisable()]).toEqual([{ destination: ME, seqno: 100, metric: 0, hops: 0, nextHop: null }])
    expect(t.requestSelfSeqno(100)).toBe(false)
    expect(t.requestSelfSeqno(150)).toBe(true)
    expect(t.selfSeqno).toBe(150)
    expect(t.applyUpdate(N1, ME, 200, 256, 1, 0)).toBe('self')
    expect(t.selfSeqno).toBe(200)
    expect(t.advertisedFor(ME)).toEqual({ seqno: 200, metric: 0, hops: 0, nextHop: null })
    expect(bumps).toEqual([{ seqno: 150 }, { seqno: 200 }])
  })

  it('bounds the table and ignores updates from strangers and retractions of the unknown', () => {
    const t = table({ maxRoutes: 1 })
    t.setLinkCost(N1, 256, 0)
    expect(t.applyUpdate(N3, D, 1, 1, 1, 0)).toBe('unknown-neighbour')
    expect(t.applyUpdate(N1, D, 1, ROUTE_METRIC_INFINITY, 1, 0)).toBe('applied')
    expect(t.trackedSize).toBe(0)
    expect(t.applyUpdate(N1, D, 1, 1, 1, 0)).toBe('applied')
    expect(t.applyUpdate(N1, N2, 1, 1, 1, 0)).toBe('table-full')
    expect(t.advertisedFor(N2)).toEqual({ seqno: 0, metric: ROUTE_METRIC_INFINITY, hops: 0, nextHop: null })
    t.setLinkCost(N1, 256, 1) // unchanged: nothing happens
    t.clear()
    expect(t.size).toBe(0)
    expect(t.linkCost(N1)).toBeUndefined()
  })
})
