import { describe, expect, it } from 'vitest'
import { SimRng } from '../src/sim-rng.js'

function take (rng: SimRng, n: number): number[] {
  return Array.from({ length: n }, () => rng.next32())
}

describe('SimRng', () => {
  it('replays the same stream for the same seed and differs for another', () => {
    expect(take(new SimRng(42), 20)).toEqual(take(new SimRng(42), 20))
    expect(take(new SimRng(42), 20)).not.toEqual(take(new SimRng(43), 20))
    expect(take(new SimRng('abc'), 5)).toEqual(take(new SimRng('abc'), 5))
    expect(take(new SimRng(-5), 5)).not.toEqual(take(new SimRng(5), 5))
    expect(take(new SimRng(2 ** 40), 5)).not.toEqual(take(new SimRng(0), 5))
  })

  it('forks by label, independent of how many other forks were made or draws taken', () => {
    const a = new SimRng(9)
    const before = take(a.fork('peer:x'), 10)
    const b = new SimRng(9)
    b.fork('peer:y')
    take(b, 100)
    expect(take(b.fork('peer:x'), 10)).toEqual(before)
    expect(take(b.fork('peer:y'), 10)).not.toEqual(before)
    expect(take(new SimRng(10).fork('peer:x'), 10)).not.toEqual(before)
  })

  it('draws floats in [0, 1) and ints in [0, bound) with roughly uniform frequency', () => {
    const rng = new SimRng(1)
    const counts = new Array<number>(10).fill(0)
    let lo = 1
    let hi = 0
    for (let i = 0; i < 20_000; i++) {
      const f = rng.float()
      lo = Math.min(lo, f)
      hi = Math.max(hi, f)
      counts[rng.int(10)]!++
    }
    expect(lo).toBeGreaterThanOrEqual(0)
    expect(hi).toBeLessThan(1)
    for (const c of counts) expect(c).toBeGreaterThan(1700)
    expect(rng.int(1)).toBe(0)
    expect(rng.int(2 ** 32)).toBeLessThan(2 ** 32)
  })

  it('rejects bounds outside (0, 2^32] and unsafe seeds', () => {
    const rng = new SimRng(1)
    expect(() => rng.int(0)).toThrow(RangeError)
    expect(() => rng.int(2 ** 32 + 1)).toThrow(RangeError)
    expect(() => rng.int(1.5)).toThrow(RangeError)
    expect(() => new SimRng(2 ** 60)).toThrow(RangeError)
  })

  it('makes byte strings of any length', () => {
    const rng = new SimRng(3)
    for (const n of [0, 1, 3, 4, 5, 33]) expect(rng.bytes(n)).toHaveLength(n)
    expect(new SimRng(3).bytes(7)).toEqual(new SimRng(3).bytes(7))
  })
})
