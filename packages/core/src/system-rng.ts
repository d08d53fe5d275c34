import type { Rng } from '@ymesh/protocol'

/** The platform CSPRNG (crypto.getRandomValues) as an Rng: the randomness of a real peer. */
export function createSystemRng (): Rng {
  const word = new Uint32Array(2)
  return {
    float: () => {
      crypto.getRandomValues(word)
      return ((word[0] as number) * 2 ** 21 + ((word[1] as number) >>> 11)) / 2 ** 53
    },
    int: (bound) => {
      if (!(bound > 0 && bound <= 0x100000000) || !Number.isInteger(bound)) {
        throw new RangeError(`Rng.int(bound) needs an integer bound in (0, 2^32], got ${bound}`)
      }
      const limit = 0x100000000 - (0x100000000 % bound)
      for (;;) {
        crypto.getRandomValues(word)
        const x = word[0] as number
        if (x < limit) return x % bound
      }
    },
    bytes: (length) => crypto.getRandomValues(new Uint8Array(length))
  }
}
