import type { Rng } from '@ymesh/protocol'

/**
 * A seeded generator (sfc32: small, fast, passes PractRand) implementing Rng.
 *
 * Streams are forked by label, not by order: `fork('peer:a')` gives the same stream however
 * many other forks were made before it, so adding a peer to a scenario does not shift the
 * randomness every other peer sees.
 */
export class SimRng implements Rng {
  private a: number
  private b: number
  private c: number
  private d: number
  /** The seed words this stream was made from, so forks are derived from them and nothing else. */
  private readonly root: readonly [number, number]

  constructor (seed: number | string) {
    const [hi, lo] = typeof seed === 'number' ? splitNumber(seed) : [hashString(seed, 0x9e3779b9), hashString(seed, 0x85ebca6b)]
    this.root = [hi, lo]
    // splitmix32 spreads the seed over the whole state so nearby seeds give unrelated streams.
    let s = (hi ^ 0x243f6a88) >>> 0
    s = splitmix32(s); this.a = s ^ lo
    s = splitmix32(s); this.b = s
    s = splitmix32(s); this.c = s ^ lo
    s = splitmix32(s); this.d = s
    for (let i = 0; i < 12; i++) this.next32()
  }

  /** An independent stream named `label`, derived only from this stream's seed and the label. */
  fork (label: string): SimRng {
    return new SimRng(`${this.root[0]}:${this.root[1]}/${label}`)
  }

  /** A uniformly random unsigned 32-bit integer. */
  next32 (): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  float (): number {
    // 53 random bits, so every double in [0, 1) on the 2^-53 grid is reachable.
    const hi = this.next32() >>> 5
    const lo = this.next32() >>> 6
    return (hi * 67108864 + lo) / 9007199254740992
  }

  int (bound: number): number {
    if (!(bound > 0 && bound <= 0x100000000) || !Number.isInteger(bound)) {
      throw new RangeError(`Rng.int(bound) needs an integer bound in (0, 2^32], got ${bound}`)
    }
    // Rejection sampling removes the modulo bias.
    const limit = 0x100000000 - (0x100000000 % bound)
    for (;;) {
      const x = this.next32()
      if (x < limit) return x % bound
    }
  }

  bytes (length: number): Uint8Array {
    const out = new Uint8Array(length)
    for (let i = 0; i < length; i += 4) {
      let x = this.next32()
      for (let j = i; j < i + 4 && j < length; j++) {
        out[j] = x & 0xff
        x >>>= 8
      }
    }
    return out
  }
}

function splitNumber (seed: number): [number, number] {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`a seed must be a safe integer or a string, got ${seed}`)
  const lo = seed >>> 0
  const hi = Math.floor(Math.abs(seed) / 0x100000000) >>> 0
  return [(hi ^ (seed < 0 ? 0x80000000 : 0)) >>> 0, lo]
}

function splitmix32 (x: number): number {
  x = (x + 0x9e3779b9) | 0
  let z = x
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

/** murmur3-style 32-bit string hash, seeded. */
function hashString (text: string, seed: number): number {
  let h = seed >>> 0
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x5bd1e995)
    h ^= h >>> 15
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}
