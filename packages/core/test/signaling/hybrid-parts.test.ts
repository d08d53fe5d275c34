import { describe, expect, it } from 'vitest'
import { generateIdentity, openSealed } from '@ymesh/crypto'
import { PairKeys } from '../../src/signaling/pair-keys.js'
import { InvalidMessageError, type Clock, type PeerId, type Timer } from '@ymesh/protocol'
import { ReplayWindow } from '../../src/signaling/replay-window.js'
import { FallbackTimer } from '../../src/signaling/fallback-timer.js'
import { SignalOrderBuffer } from '../../src/signaling/order-buffer.js'
import { SignalingLoadBalancer } from '../../src/signaling/load-balancer.js'
import { RoomView } from '../../src/signaling/room-view.js'
import { reannounceAfter, type AnnounceState } from '../../src/signaling/hybrid.js'
import {
  CAPSULE_DOMAIN, capsuleHeader, decodeCapsule, decodeCapsuleBody, decodeRelayMessage, encodeCapsule, encodeCapsuleBody, encodeRelayMessage, type Capsule
} from '../../src/signaling/relay-wire.js'

/** A manual clock: timers fire only when the test advances time. */
const manualClock = (): Clock & { advance: (ms: number) => void } => {
  let now = 0
  const timers = new Map<number, { at: number, fn: () => void }>()
  let next = 1
  return {
    now: () => now,
    setTimeout: (fn, ms) => { timers.set(next, { at: now + ms, fn }); return next++ as unknown as Timer },
    clearTimeout: (t) => { timers.delete(t as unknown as number) },
    setInterval: () => 0 as unknown as Timer,
    clearInterval: () => {},
    settle: async (w) => await w,
    advance (ms: number) {
      now += ms
      for (const [id, t] of [...timers].sort((a, b) => a[1].at - b[1].at)) if (t.at <= now) { timers.delete(id); t.fn() }
    }
  }
}
const seeded = (n: number): Uint8Array => new Uint8Array(32).fill(n)

describe('relayed-signal capsules', () => {
  it('round-trip every message kind and a capsule body', async () => {
    const a = await generateIdentity({ seed: seeded(1) })
    for (const m of [
      { kind: 'forward', target: a.peerId, capsule: new Uint8Array([1, 2]) },
      { kind: 'decline', target: a.peerId, seq: 7, reason: 'overloaded' },
      { kind: 'ack', seq: 9 },
      { kind: 'roster', topic: 'room', entries: [[a.peerId, 1200]] }
    ] as const) expect(decodeRelayMessage(encodeRelayMessage(m))).toEqual(m)
    const body = { topic: 't', session: 's', signals: [{ index: 0, signal: { type: 'offer', sdp: 'v=0' } as const }], acks: [3, 4], reach: [a.peerId] }
    expect(decodeCapsuleBody(encodeCapsuleBody(body))).toEqual(body)
    // The author may say whether it is parked; an unknown flag value is a typed error.
    for (const parked of [true, false]) expect(decodeCapsuleBody(encodeCapsuleBody({ ...body, parked }))).toEqual({ ...body, parked })
    const flagged = encodeCapsuleBody({ ...body, parked: true })
    flagged[flagged.length - 1] = 2
    expect(() => decodeCapsuleBody(flagged)).toThrow(InvalidMessageError)
    expect(() => decodeRelayMessage(new Uint8Array([9]))).toThrow()
  })

  it('rosters may say which entries are parked; a bad parked list is a typed error', async () => {
    const [a, b, c] = await Promise.all([1, 2, 3].map(async (n) => (await generateIdentity({ seed: seeded(n) })).peerId))
    const entries = [[a!, 0], [b!, 40], [c!, 900]] as const
    const parked = new Set([a!, c!])
    expect(decodeRelayMessage(encodeRelayMessage({ kind: 'roster', topic: 'room', entries, parked }))).toEqual({ kind: 'roster', topic: 'room', entries, parked })
    // None parked is said (an empty list), which is not the same as not said (no list).
    expect(decodeRelayMessage(encodeRelayMessage({ kind: 'roster', topic: 'room', entries, parked: new Set() }))).toEqual({ kind: 'roster', topic: 'room', entries, parked: new Set() })
    const plain = encodeRelayMessage({ kind: 'roster', topic: 'room', entries })
    expect(decodeRelayMessage(plain)).not.toHaveProperty('parked')
    const withList = (list: number[]): Uint8Array => new Uint8Array([...plain, ...list])
    expect(() => decodeRelayMessage(withList([4, 0, 1, 2, 0]))).toThrow(InvalidMessageError) // more parked than entries
    expect(() => decodeRelayMessage(withList([2, 1, 1]))).toThrow(InvalidMessageError) // not increasing
    expect(() => decodeRelayMessage(withList([1, 3]))).toThrow(InvalidMessageError) // no entry 3
    expect(() => decodeRelayMessage(withList([2, 0]))).toThrow(InvalidMessageError) // truncated
  })

  it('rosters may carry the sender\'s relay round trip after their parked list; out of range is a typed error', async () => {
    const [a, b] = await Promise.all([1, 2].map(async (n) => (await generateIdentity({ seed: seeded(n) })).peerId))
    const entries = [[a!, 0], [b!, 40]] as const
    const parked = new Set([b!])
    expect(decodeRelayMessage(encodeRelayMessage({ kind: 'roster', topic: 'room', entries, parked, relayRttMs: 1_537.6 })))
      .toEqual({ kind: 'roster', topic: 'room', entries, parked, relayRttMs: 1_538 })
    expect(decodeRelayMessage(encodeRelayMessage({ kind: 'roster', topic: 'room', entries, parked }))).not.toHaveProperty('relayRttMs')
    expect(() => encodeRelayMessage({ kind: 'roster', topic: 'room', entries, relayRttMs: 100 })).toThrow(InvalidMessageError)
    const listed = encodeRelayMessage({ kind: 'roster', topic: 'room', entries, parked })
    const withRtt = (...bytes: number[]): Uint8Array => new Uint8Array([...listed, ...bytes])
    expect(() => decodeRelayMessage(withRtt(0))).toThrow(InvalidMessageError) // below 1 ms
    expect(() => decodeRelayMessage(withRtt(0xe1, 0xd4, 0x03))).toThrow(InvalidMessageError) // 60,001 ms
    expect(() => decodeRelayMessage(withRtt(5, 5))).toThrow(InvalidMessageError) // trailing bytes
  })

  it('a curious relay cannot read a capsule, and a malicious one cannot alter, renumber, re-address or forge it', async () => {
    const [s, t, relay] = await Promise.all([1, 2, 3].map(async (n) => await generateIdentity({ seed: seeded(n) })))
    const [sk, tk, rk] = [new PairKeys({ identity: s! }), new PairKeys({ identity: t! }), new PairKeys({ identity: relay! })]
    const body = encodeCapsuleBody({ topic: 'room', session: 'x', signals: [{ index: 0, signal: { type: 'offer', sdp: 'secret-sdp' } }], acks: [] })
    const d = `${CAPSULE_DOMAIN}|${s!.peerId}`
    const header = { from: s!.peerId, to: t!.peerId, seq: 5 }
    const sealed = await sk.seal(t!.peerId, d, body, new Uint8Array(12).fill(7), capsuleHeader(header))
    const capsule = decodeCapsule(encodeCapsule({ ...header, sealed }))
    expect(new TextDecoder().decode(capsule.sealed)).not.toContain('secret-sdp')
    const opens = async (keys: PairKeys, c: Capsule, author = c.from): Promise<boolean> =>
      await keys.open(author, `${CAPSULE_DOMAIN}|${author}`, c.sealed, capsuleHeader(c)).then(() => true, () => false)
    expect(await opens(tk, capsule)).toBe(true)
    // The relay holds neither private key: not as the target, nor by claiming to be the author.
    expect(await opens(rk, capsule)).toBe(false)
    await expect(openSealed(relay!, d, capsule.sealed)).rejects.toThrow()
    // The header is authenticated with the body: any change to either fails to open.
    expect(await opens(tk, { ...capsule, sealed: capsule.sealed.map((b, i) => (i === 20 ? b ^ 1 : b)) })).toBe(false)
    expect(await opens(tk, { ...capsule, seq: 6 })).toBe(false)
    expect(await opens(tk, { ...capsule, from: relay!.peerId })).toBe(false)
    expect(await opens(rk, { ...capsule, to: relay!.peerId })).toBe(false) // re-addressed to the relay itself
    // A relay sealing its own capsule can only sign as itself: the key names the author.
    const forged = await rk.seal(t!.peerId, d, body, new Uint8Array(12).fill(9), capsuleHeader(header))
    expect(await opens(tk, { ...header, sealed: forged })).toBe(false)
    // Nor can a capsule sealed from t to s be passed off as one from s to t (the key binds the direction).
    const back = await tk.seal(s!.peerId, d, body, new Uint8Array(12).fill(8), capsuleHeader(header))
    expect(await opens(tk, { ...header, sealed: back })).toBe(false)
    expect(decodeCapsuleBody(await tk.open(s!.peerId, d, capsule.sealed, capsuleHeader(capsule))).signals[0]?.signal).toEqual({ type: 'offer', sdp: 'secret-sdp' })
    expect(decodeCapsuleBody(await sk.open(t!.peerId, d, back, capsuleHeader(header))).signals[0]?.signal).toEqual({ type: 'offer', sdp: 'secret-sdp' })
  })

  it('derives a capsule key once per remote peer and direction, within a bounded cache', async () => {
    const [s, t, u] = await Promise.all([1, 2, 4].map(async (n) => await generateIdentity({ seed: seeded(n) })))
    const sk = new PairKeys({ identity: s!, maxKeys: 2 })
    const tk = new PairKeys({ identity: t! })
    const d = `${CAPSULE_DOMAIN}|${s!.peerId}`
    for (let i = 0; i < 5; i++) {
      const sealed = await sk.seal(t!.peerId, d, new Uint8Array([i]), new Uint8Array(12).fill(i))
      expect(await tk.open(s!.peerId, d, sealed)).toEqual(new Uint8Array([i]))
    }
    expect(sk.derivations).toBe(1)
    expect(tk.derivations).toBe(1)
    await sk.seal(u!.peerId, d, new Uint8Array([1]), new Uint8Array(12))
    await sk.seal(t!.peerId, `${d}|other`, new Uint8Array([1]), new Uint8Array(12))
    expect(sk.size).toBe(2)
    expect(sk.derivations).toBe(3)
    await expect(sk.seal(t!.peerId, d, new Uint8Array([1]), new Uint8Array(3))).rejects.toThrow(RangeError)
    await expect(sk.open(t!.peerId, d, new Uint8Array(40))).rejects.toThrow()
    sk.clear()
    expect(sk.size).toBe(0)
  })
})

describe('replay window', () => {
  it('accepts each sequence number once, and refuses numbers older than the window', () => {
    const w = new ReplayWindow(4)
    const a = 'a' as PeerId
    expect(w.accept(a, 10)).toBe(true)
    expect(w.accept(a, 10)).toBe(false)
    expect(w.isDuplicate(a, 10)).toBe(true)
    expect(w.accept(a, 8)).toBe(true) // reordered across paths, still inside the window
    expect(w.accept(a, 20)).toBe(true)
    expect(w.accept(a, 15)).toBe(false) // a replay of something older than the window
    expect(w.isDuplicate(a, 15)).toBe(false)
  })
})

describe('fallback timer', () => {
  it('starts at the initial timeout, then follows ~3× the measured relay round trip within floor and ceiling', () => {
    const t = new FallbackTimer({ initialMs: 1000, floorMs: 150, ceilingMs: 4000 })
    expect(t.timeoutMs()).toBe(1000)
    for (let i = 0; i < 20; i++) t.observe(100)
    expect(t.timeoutMs()).toBeGreaterThanOrEqual(300)
    expect(t.timeoutMs()).toBeLessThan(400)
    for (let i = 0; i < 30; i++) t.observe(10)
    expect(t.timeoutMs()).toBe(150)
    for (let i = 0; i < 30; i++) t.observe(5000)
    expect(t.timeoutMs()).toBe(4000)
    t.observe(Number.NaN)
    expect(t.smoothedRttMs).toBeGreaterThan(4000)
  })

  it('takes a neighbour\'s estimate before its own first round trip, and drops it for that sample', () => {
    const t = new FallbackTimer({ initialMs: 1000, floorMs: 150, ceilingMs: 4000 })
    t.seed(1_200)
    expect(t.timeoutMs()).toBe(3_600)
    expect(t.smoothedRttMs).toBeNull() // not ours to pass on
    t.seed(100) // only the first estimate counts
    expect(t.timeoutMs()).toBe(3_600)
    t.observe(100)
    expect(t.smoothedRttMs).toBe(100)
    expect(t.timeoutMs()).toBe(300)
    t.seed(5_000) // our own samples win
    expect(t.timeoutMs()).toBe(300)
    const u = new FallbackTimer({ initialMs: 1000 })
    for (const bad of [0, -1, Number.NaN, Infinity]) u.seed(bad)
    expect(u.timeoutMs()).toBe(1000)
  })

  it('backs off after a timeout until a round trip is measured again', () => {
    const t = new FallbackTimer({ initialMs: 1000, floorMs: 150, ceilingMs: 4000 })
    for (let i = 0; i < 20; i++) t.observe(100)
    const base = t.timeoutMs()
    t.timedOut()
    expect(t.timeoutMs()).toBe(2 * base)
    t.timedOut()
    expect(t.timeoutMs()).toBe(4 * base)
    for (let i = 0; i < 5; i++) t.timedOut()
    expect(t.timeoutMs()).toBe(8 * base)
    t.observe(100)
    expect(t.timeoutMs()).toBeLessThan(2 * base)
  })
})

describe('signal order buffer', () => {
  it('releases a session\'s signals in order, drops copies, and skips a gap that never fills', () => {
    const clock = manualClock()
    const out: number[] = []
    const b = new SignalOrderBuffer<number>(clock, (n) => { out.push(n) }, 100)
    expect(b.push('s', 1, 1)).toBe(true)
    expect(out).toEqual([])
    b.push('s', 0, 0)
    expect(out).toEqual([0, 1])
    expect(b.push('s', 1, 1)).toBe(false)
    b.push('s', 3, 3)
    clock.advance(100)
    expect(out).toEqual([0, 1, 3])
    b.clear()
  })
})

describe('signaling load balancer', () => {
  it('prefers spare capacity, never asks a peer without the relay role, and avoids one that declined', () => {
    let now = 0
    const caps: Record<string, { relay: boolean, load: number, freeSlots: number }> = {
      busy: { relay: true, load: 900, freeSlots: 1 }, idle: { relay: true, load: 100, freeSlots: 20 }, leaf: { relay: false, load: 0, freeSlots: 50 }
    }
    const lb = new SignalingLoadBalancer({ rng: { float: () => 0.5, bytes: (n: number) => new Uint8Array(n), fork: () => { throw new Error('unused') } } as never, now: () => now, capacityOf: (p) => caps[p] })
    const peers = ['busy', 'idle', 'leaf', 'unknown'] as PeerId[]
    expect(lb.pick(peers, 3)).toEqual(['idle', 'unknown', 'busy'])
    for (let i = 0; i < 6; i++) lb.started('idle' as PeerId) // signals in flight through it count against it
    expect(lb.pick(peers, 1)).toEqual(['unknown'])
    lb.declined('unknown' as PeerId)
    expect(lb.willRelay('unknown' as PeerId)).toBe(false)
    now = 31_000
    expect(lb.willRelay('unknown' as PeerId)).toBe(true)
    lb.finished('idle' as PeerId)
    lb.forget('idle' as PeerId)
    expect(lb.pick(peers, 1)).toEqual(['idle'])
  })

  it('avoids a neighbour gone silent while relaying until it is heard from again or the cooldown ends', () => {
    let now = 0
    const heard: Record<string, number> = { a: 0, b: 0 }
    const lb = new SignalingLoadBalancer({
      rng: { float: () => 0.5 } as never, now: () => now, capacityOf: () => undefined, lastHeardAt: (p) => heard[p]
    })
    const peers = ['a', 'b'] as PeerId[]
    now = 1_000
    lb.silent('a' as PeerId)
    expect(lb.isSilent('a' as PeerId)).toBe(true)
    expect(lb.pick(peers, 2)).toEqual(['b'])
    heard.a = 1_500 // a ping, gossip, anything: it is alive after all
    now = 2_000
    expect(lb.isSilent('a' as PeerId)).toBe(false)
    lb.silent('b' as PeerId)
    now = 6_999
    expect(lb.willRelay('b' as PeerId)).toBe(false)
    now = 7_000 // default cooldown 5 s
    expect(lb.willRelay('b' as PeerId)).toBe(true)
  })
})

describe('room view and rendezvous rule', () => {
  it('ages travel with entries so departed members expire, and the lowest ranks are the rendezvous points', () => {
    const ids = Array.from({ length: 6 }, (_, i) => `peer-${i}` as PeerId)
    const views = ids.map((id) => new RoomView('room', id, 1000))
    for (const v of views) for (const id of ids) v.saw(id, 0)
    expect(views.filter((v) => v.isRendezvous(2))).toHaveLength(2)
    // Every view elects the same members for others as those elect for themselves.
    const elected = ids.filter((_, i) => views[i]?.isRendezvous(2))
    for (const view of views) expect(view.rendezvousPoints(2)).toEqual(new Set(elected))
    expect(views[0]?.rendezvousPoints(0).size).toBe(0)
    const v = views[0] as RoomView
    expect(v.saw(ids[1] as PeerId, 500, 2000)).toBe(false) // too old to count
    expect(v.roster(0, 3)[0]).toEqual([ids[0], 0])
    v.saw(ids[2] as PeerId, 400, 100)
    expect(v.ageOf(ids[2] as PeerId, 500)).toBe(200) // the freshest first-hand sighting, aged
    expect(v.ageOf(ids[3] as PeerId, 500)).toBe(500)
    expect(v.ageOf('nobody' as PeerId, 500)).toBeUndefined()
    expect(v.expire(1500).length).toBe(5)
    expect(v.size).toBe(0)
    expect(v.isRendezvous(2)).toBe(true) // alone in its view: it stays subscribed
  })

  it('a buried member leaves the view, the sightings rosters still carry of it do not bring it back, later ones do', () => {
    const [self, dead, other] = ['peer-a', 'peer-b', 'peer-c'] as PeerId[] as [PeerId, PeerId, PeerId]
    const v = new RoomView('room', self, 45_000)
    v.saw(dead, 0)
    v.saw(other, 0)
    const elected = v.rendezvousPoints(3)
    expect(elected.has(dead)).toBe(true)
    v.bury(dead, 10_000) // our link to it timed out at 10 s
    expect(v.has(dead)).toBe(false)
    expect(v.rendezvousPoints(3).has(dead)).toBe(false)
    expect(v.saw(dead, 12_000, 11_000)).toBe(false) // a roster's sighting from 1 s
    expect(v.saw(dead, 12_000, 2_000)).toBe(false) // from 10 s: still before the link timed out
    expect(v.has(dead)).toBe(false)
    expect(v.saw(dead, 12_000, 1_000)).toBe(true) // from 11 s: it is alive after all
    expect(v.ageOf(dead, 12_000)).toBe(1_000)
    // The tombstone holds for maxAgeMs (after that no sighting it could hide is young enough to count).
    v.bury(other, 20_000)
    expect(v.isBuried(other)).toBe(true)
    v.expire(64_000)
    expect(v.saw(other, 64_000, 44_500)).toBe(false)
    expect(v.isBuried(other)).toBe(true)
    v.expire(65_001)
    expect(v.isBuried(other)).toBe(false)
    expect(v.isBuried(dead)).toBe(false) // seen again after it was buried
  })
})

describe('announcing again', () => {
  const o = { reannounceMs: 3_000, stallMs: 10_000 }
  const at = (s: Partial<AnnounceState>): number | null =>
    reannounceAfter({ parked: false, neighbours: 0, gained: false, known: 0, wants: true, announces: 0, ...s }, o)

  it('a member with no room neighbour announces again after reannounceMs, doubling up to 30 s', () => {
    expect([0, 1, 2, 3, 4, 20].map((announces) => at({ announces }))).toEqual([3_000, 6_000, 12_000, 24_000, 30_000, 30_000])
    expect(at({ known: 5 })).toBe(3_000)
  })

  it('one stuck below the neighbours it wants, with members it is not connected to, announces again after stallMs, doubling', () => {
    expect(at({ neighbours: 1, known: 12 })).toBe(10_000)
    expect(at({ neighbours: 2, known: 12, announces: 1 })).toBe(20_000)
    expect(at({ neighbours: 2, known: 12, announces: 2 })).toBe(30_000)
  })

  it('does not while it gains neighbours, has enough, or knows nobody else; parked, only when stuck', () => {
    expect(at({ neighbours: 1, known: 12, gained: true })).toBeNull()
    expect(at({ neighbours: 3, known: 12, wants: false })).toBeNull()
    // A small room: everyone it knows of is a neighbour already; nothing to announce for.
    expect(at({ neighbours: 2, known: 2 })).toBeNull()
    // Parked with no neighbour left: the rendezvous rule unparks it anyway.
    expect(at({ parked: true })).toBeNull()
    expect(at({ parked: true, neighbours: 2, known: 12, wants: false })).toBeNull()
    // Parked, one neighbour, members it cannot reach: it unparks to announce.
    expect(at({ parked: true, neighbours: 1, known: 12 })).toBe(10_000)
  })
})
