// Test-only helpers; not shipped.
import type { RandomSource } from '@ymesh/crypto'

export const fromHex = (text: string): Uint8Array<ArrayBuffer> => Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16))
export const toHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

/** A deterministic byte source (xorshift32), standing in for the simulator's seeded Rng. */
export const seededRandom = (seed: number): RandomSource => {
  let x = seed >>> 0 || 1
  return (n) => {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      x ^= x << 13; x >>>= 0
      x ^= x >>> 17
      x ^= x << 5; x >>>= 0
      out[i] = x & 0xff
    }
    return out
  }
}

export const flipBit = (bytes: Uint8Array, index: number, bit = 0): Uint8Array => {
  const out = bytes.slice()
  out[index] = out[index]! ^ (1 << bit)
  return out
}

/** Resolves to the rejection's error; fails the test if the promise resolves. */
export const rejection = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a rejection, but the promise resolved')
}
