import { describe, expect, it } from 'vitest'
import type { PeerId } from '@ymesh/protocol'
import { SimRng } from '@ymesh/sim'
import {
  acceptIncoming, backoffDelay, glareOursWins, InvalidOptionsError, planDials, planPrunes, resolvePoolOptions, type Candidate,
  type ConnectionQuality
} from '@ymesh/core'

const p = (n: number): PeerId => `peer${n}` as PeerId
const candidate = (n: number, extra: Partial<Candidate> = {}): Candidate => ({ peer: p(n), ymesh: true, failures: 0, notBefore: 0, ...extra })
const quality = (rttMs: number | null, loss = 0): ConnectionQuality =>
  ({ rttMs, loss, bytesIn: 0, bytesOut: 0, bytesInPerSecond: 0, bytesOutPerSecond: 0, queuedBytes: 0, openedAt: 0, lastReceivedAt: 0 })

describe('pool options', () => {
  it('defaults to 4/6/8 with k = 3 and raises low and target to the redundancy', () => {
    expect(resolvePoolOptions().degree).toEqual({ low: 4, target: 6, high: 8 })
    expect(resolvePoolOptions({ redundancy: 7 }).degree).toEqual({ low: 7, target: 7, high: 8 })
  })

  it('refuses limits that cannot work', () => {
    expect(() => resolvePoolOptions({ degree: { target: 9, high: 8 } })).toThrow(InvalidOptionsError)
    expect(() => resolvePoolOptions({ maxConnections: 4 })).toThrow(/maxConnections/)
    expect(() => resolvePoolOptions({ redundancy: 0 })).toThrow(/redundancy/)
    expect(() => resolvePoolOptions({ connectTimeoutMs: -1 })).toThrow(/connectTimeoutMs/)
  })
})

describe('pool decisions', () => {
  const rng = new SimRng(1)

  it('dials up to the target, skipping busy peers and those in backoff', () => {
    const o = resolvePoolOptions()
    const candidates = [candidate(1), candidate(2, { notBefore: 500 }), candidate(3), candidate(4), candidate(5), candidate(6)]
    const plan = planDials(o, { candidates, busy: new Set([p(3)]), degree: 3, total: 3, now: 100 }, rng)
    expect(plan).toHaveLength(3)
    expect(plan).not.toContain(p(2))
    expect(plan).not.toContain(p(3))
    expect(planDials(o, { candidates, busy: new Set(), degree: 6, total: 6, now: 100 }, rng)).toEqual([])
  })

  it('dials the best-ranked candidates first (members seen first-hand lately before stale ones)', () => {
    const o = resolvePoolOptions()
    const candidates = Array.from({ length: 12 }, (_, i) => candidate(i))
    const fresh = new Set([p(2), p(5), p(7)])
    for (let i = 0; i < 5; i++) {
      const plan = planDials(o, { candidates, busy: new Set(), degree: 3, total: 3, now: 0, rank: (peer) => (fresh.has(peer) ? 0 : 1) }, rng)
      expect(new Set(plan)).toEqual(fresh)
    }
    // Without a rank, the choice stays random.
    const seen = new Set<PeerId>()
    for (let i = 0; i < 10; i++) for (const peer of planDials(o, { candidates, busy: new Set(), degree: 3, total: 3, now: 0 }, rng)) seen.add(peer)
    expect(seen.size).toBeGreaterThan(3)
  })

  it('below low, dials a candidate ranked below 0 (reachable now) even when attempts in flight fill high', () => {
    const o = resolvePoolOptions() // low 4, high 8 (see the defaults)
    const candidates = Array.from({ length: 6 }, (_, i) => candidate(i))
    const reachable = (peer: PeerId): number => (peer === p(3) ? -1 : 0)
    const input = { candidates, busy: new Set<PeerId>(), degree: o.degree.high, total: o.degree.high, open: 1, now: 0 }
    expect(planDials(o, input, rng)).toEqual([])
    expect(planDials(o, { ...input, rank: reachable }, rng)).toEqual([p(3)])
    // At low, the cap holds again.
    expect(planDials(o, { ...input, open: o.degree.low, rank: reachable }, rng)).toEqual([])
  })

  it('always dials anchors, and never beyond maxConnections', () => {
    const o = resolvePoolOptions({ anchors: [p(9)], maxConnections: 10 })
    const candidates = [candidate(1), candidate(9)]
    expect(planDials(o, { candidates, busy: new Set(), degree: 8, total: 8, now: 0 }, rng)).toEqual([p(9)])
    expect(planDials(o, { candidates, busy: new Set(), degree: 2, total: 10, now: 0 }, rng)).toEqual([])
  })

  it('accepts incoming while a shared room is below high, anchors always', () => {
    const o = resolvePoolOptions({ anchors: [p(9)], maxConnections: 20 })
    expect(acceptIncoming(o, p(1), [7], 7)).toBe(true)
    expect(acceptIncoming(o, p(1), [8], 8)).toBe(false)
    expect(acceptIncoming(o, p(1), [8, 3], 11)).toBe(true)
    expect(acceptIncoming(o, p(1), [3], 20)).toBe(false)
    expect(acceptIncoming(o, p(9), [8], 20)).toBe(true)
  })

  it('a room below low dials past attempts in flight (up to low − open more), never beyond high', () => {
    const o = resolvePoolOptions({ degree: { low: 3, target: 4, high: 6 }, redundancy: 2 })
    const candidates = Array.from({ length: 10 }, (_, i) => candidate(i))
    // 1 open + 3 attempts stuck: target reached counting attempts, but low not reached by open connections.
    expect(planDials(o, { candidates, busy: new Set(), degree: 4, open: 1, total: 4, now: 0 }, rng)).toHaveLength(2)
    expect(planDials(o, { candidates, busy: new Set(), degree: 5, open: 1, total: 5, now: 0 }, rng)).toHaveLength(1)
    expect(planDials(o, { candidates, busy: new Set(), degree: 6, open: 1, total: 6, now: 0 }, rng)).toHaveLength(0)
    expect(planDials(o, { candidates, busy: new Set(), degree: 4, open: 4, total: 4, now: 0 }, rng)).toHaveLength(0)
    expect(resolvePoolOptions().answerTimeoutMs).toBe(5_000)
    expect(() => resolvePoolOptions({ answerTimeoutMs: -1 })).toThrow(/answerTimeoutMs/)
  })

  it('spare dials go beyond target only while the room is below low by open connections, and never beyond high', () => {
    const o = resolvePoolOptions({ degree: { low: 3, target: 4, high: 6 }, redundancy: 2 })
    const candidates = Array.from({ length: 10 }, (_, i) => candidate(i))
    const plan = (degree: number, open: number, spare: number): number => planDials(o, { candidates, busy: new Set(), degree, open, total: degree, now: 0, spare }, rng).length
    expect(plan(1, 1, 0)).toBe(3) // up to target
    expect(plan(1, 1, 1)).toBe(4) // one beyond it
    expect(plan(1, 1, 5)).toBe(5) // up to high at most
    expect(plan(2, 1, 0)).toBe(2) // 1 open + 1 in flight: up to target
    expect(plan(2, 1, 1)).toBe(3) // and one beyond, counting the attempt in flight
    expect(plan(6, 1, 1)).toBe(0) // attempts in flight fill high
    expect(plan(3, 3, 1)).toBe(1) // at low: up to target, no spare
    expect(plan(4, 3, 1)).toBe(0)
  })

  it('accepts a newcomer it answered even when every shared room is at high, but never beyond maxConnections', () => {
    const o = resolvePoolOptions({ maxConnections: 10 })
    expect(acceptIncoming(o, p(1), [8], 8)).toBe(false)
    expect(acceptIncoming(o, p(1), [8], 8, true)).toBe(true)
    expect(acceptIncoming(o, p(1), [9], 9, true)).toBe(true)
    expect(acceptIncoming(o, p(1), [8], 10, true)).toBe(false)
    expect(resolvePoolOptions().welcomeMs).toBe(12_000)
    expect(() => resolvePoolOptions({ welcomeMs: 0 })).toThrow(/welcomeMs/)
  })

  it('glare: ymesh peers let the smaller id win unless our attempt is stale; with stock peers only y-webrtc\'s token rule counts', () => {
    const fresh = { token: 5, heardBack: false, ageMs: 100 }
    const stale = { token: 5, heardBack: false, ageMs: 3_000 }
    expect(glareOursWins(p(1), p(2), true, fresh, 9, 2_000)).toBe(true)
    expect(glareOursWins(p(2), p(1), true, fresh, 1, 2_000)).toBe(false)
    // An old attempt that never heard back went to a previous incarnation: it yields.
    expect(glareOursWins(p(1), p(2), true, stale, 9, 2_000)).toBe(false)
    expect(glareOursWins(p(1), p(2), true, { ...stale, heardBack: true }, 9, 2_000)).toBe(true)
    // A stock peer decides by tokens on its side; a stale attempt of ours must not yield when
    // our token is higher (it took our offer and dropped its own, and would throw on our answer).
    expect(glareOursWins(p(1), p(2), false, stale, 3, 2_000)).toBe(true)
    expect(glareOursWins(p(1), p(2), false, fresh, 9, 2_000)).toBe(false)
    expect(glareOursWins(p(1), p(2), false, { ...fresh, token: undefined }, undefined, 2_000)).toBe(false)
  })

  it('prunes the worst connections of a room over high, down to high, never anchors or below low', () => {
    const o = resolvePoolOptions({ anchors: [p(0)] })
    const conns = Array.from({ length: 10 }, (_, i) => ({ peer: p(i), quality: quality(i === 0 ? 900 : 10 * i), rooms: ['r'] }))
    const out = planPrunes(o, conns, new Map([['r', 10]]), 10)
    expect(out).toEqual([p(9), p(8)]) // highest RTT first; the anchor (worst RTT) is kept
    // A connection that also serves a room at low is kept.
    const shared = [{ peer: p(1), quality: quality(999, 0.5), rooms: ['r', 'small'] }, { peer: p(2), quality: quality(5), rooms: ['r'] }]
    expect(planPrunes(o, shared, new Map([['r', 9], ['small', 4]]), 9)).toEqual([p(2)])
  })

  it('prunes to maxConnections across rooms', () => {
    const o = resolvePoolOptions({ maxConnections: 8, degree: { low: 1, target: 2, high: 8 }, redundancy: 1 })
    const conns = Array.from({ length: 10 }, (_, i) => ({ peer: p(i), quality: quality(i), rooms: [`room${i % 2}`] }))
    expect(planPrunes(o, conns, new Map([['room0', 5], ['room1', 5]]), 10)).toHaveLength(2)
  })

  it('backs off exponentially with jitter, capped', () => {
    const o = resolvePoolOptions({ backoffMinMs: 100, backoffMaxMs: 1_000 })
    const d1 = backoffDelay(o, 1, rng)
    const d3 = backoffDelay(o, 3, rng)
    const d20 = backoffDelay(o, 20, rng)
    expect(d1).toBeGreaterThanOrEqual(50); expect(d1).toBeLessThan(150)
    expect(d3).toBeGreaterThanOrEqual(200); expect(d3).toBeLessThan(600)
    expect(d20).toBeLessThan(1_500)
  })
})
