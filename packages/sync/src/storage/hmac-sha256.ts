/**
 * HMAC-SHA-256 (RFC 2104 over FIPS 180-4), synchronous, for DocStore's many small records.
 * WebCrypto's HMAC is one async job per call: for 100,000 records of a few hundred bytes
 * the per-call cost, not the hashing, dominated loading (about 50 µs a record here). This
 * keeps the key's inner and outer pad blocks pre-hashed, so a MAC over n bytes costs
 * ⌈(n + 9) / 64⌉ + 1 compressions and no allocation but the 32-byte result. The output is
 * the standard HMAC, byte for byte what WebCrypto computes (tested), so stores written
 * either way verify either way. Large inputs (snapshots) still go to WebCrypto.
 */

const K = Uint32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
])
const IV = Uint32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19])

/** One SHA-256 compression of bytes[offset, offset + 64) into state, using w as scratch. */
const compress = (state: Uint32Array, w: Uint32Array, bytes: Uint8Array, offset: number): void => {
  for (let i = 0; i < 16; i++) {
    const o = offset + i * 4
    w[i] = (bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!
  }
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15]!
    const b = w[i - 2]!
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3)
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10)
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0
  }
  let a = state[0]!
  let b = state[1]!
  let c = state[2]!
  let d = state[3]!
  let e = state[4]!
  let f = state[5]!
  let g = state[6]!
  let h = state[7]!
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0
    h = g
    g = f
    f = e
    e = (d + t1) | 0
    d = c
    c = b
    b = a
    a = (t1 + t2) | 0
  }
  state[0] = (state[0]! + a) | 0
  state[1] = (state[1]! + b) | 0
  state[2] = (state[2]! + c) | 0
  state[3] = (state[3]! + d) | 0
  state[4] = (state[4]! + e) | 0
  state[5] = (state[5]! + f) | 0
  state[6] = (state[6]! + g) | 0
  state[7] = (state[7]! + h) | 0
}

/** An HMAC-SHA-256 key with its pad blocks pre-hashed. Not safe to share across threads. */
export class HmacSha256 {
  private readonly inner = new Uint32Array(8)
  private readonly outer = new Uint32Array(8)
  private readonly state = new Uint32Array(8)
  private readonly w = new Uint32Array(64)
  private readonly block = new Uint8Array(64)

  constructor (key: Uint8Array) {
    const k = new Uint8Array(64)
    k.set(key.length > 64 ? this.hash([key], IV, 0) : key)
    for (const [state, pad] of [[this.inner, 0x36], [this.outer, 0x5c]] as const) {
      const block = k.map((x) => x ^ pad)
      state.set(IV)
      compress(state, this.w, block, 0)
    }
    k.fill(0)
  }

  /** HMAC over the concatenation of `parts`. */
  mac (parts: readonly Uint8Array[]): Uint8Array {
    const innerDigest = this.hash(parts, this.inner, 64)
    return this.hash([innerDigest], this.outer, 64)
  }

  /** True when `tag` is the HMAC of `parts` (compared without early exit). */
  verify (parts: readonly Uint8Array[], tag: Uint8Array): boolean {
    const expected = this.mac(parts)
    if (tag.length !== expected.length) return false
    let diff = 0
    for (let i = 0; i < expected.length; i++) diff |= expected[i]! ^ tag[i]!
    return diff === 0
  }

  /** SHA-256 continued from `start`, which has already absorbed `done` bytes. */
  private hash (parts: readonly Uint8Array[], start: Uint32Array, done: number): Uint8Array {
    const { state, w, block } = this
    state.set(start)
    let buffered = 0
    let total = done
    for (const part of parts) {
      total += part.length
      let pos = 0
      if (buffered > 0) {
        const take = Math.min(64 - buffered, part.length)
        block.set(part.subarray(0, take), buffered)
        buffered += take
        pos = take
        if (buffered < 64) continue
        compress(state, w, block, 0)
        buffered = 0
      }
      for (; pos + 64 <= part.length; pos += 64) compress(state, w, part, pos)
      if (pos < part.length) {
        block.set(part.subarray(pos), 0)
        buffered = part.length - pos
      }
    }
    block[buffered++] = 0x80
    if (buffered > 56) {
      block.fill(0, buffered)
      compress(state, w, block, 0)
      buffered = 0
    }
    block.fill(0, buffered, 56)
    // Bit length as a 64-bit big-endian integer (inputs stay far below 2^53 bits).
    const bits = total * 8
    const high = Math.floor(bits / 2 ** 32)
    for (let i = 0; i < 4; i++) {
      block[56 + i] = (high >>> (24 - 8 * i)) & 0xff
      block[60 + i] = (bits >>> (24 - 8 * i)) & 0xff
    }
    compress(state, w, block, 0)
    const out = new Uint8Array(32)
    for (let i = 0; i < 8; i++) {
      const v = state[i]!
      out[i * 4] = v >>> 24
      out[i * 4 + 1] = (v >>> 16) & 0xff
      out[i * 4 + 2] = (v >>> 8) & 0xff
      out[i * 4 + 3] = v & 0xff
    }
    return out
  }
}
