/**
 * Access to the host's WebCrypto, the one code path for Node (>= 20) and browsers, and the
 * injectable randomness that lets the simulator replay runs exactly.
 */
import { CryptoError, InvalidArgumentError, UnsupportedError } from './errors.js'

/**
 * A source of `n` random bytes. Defaults to crypto.getRandomValues; the simulator passes
 * its seeded Rng's `bytes` so ephemeral keys and nonces replay with the seed. Anything
 * else must be a CSPRNG.
 */
export type RandomSource = (n: number) => Uint8Array

export const subtle = (): SubtleCrypto => {
  const s = globalThis.crypto?.subtle
  if (s === undefined) {
    throw new UnsupportedError('WebCrypto (globalThis.crypto.subtle) is unavailable: use Node >= 20 or a browser page served over https or localhost.')
  }
  return s
}

/** `n` bytes from `random` (default: the CSPRNG), checked, so a faulty injected source fails loudly. */
export const randomBytes = (n: number, random?: RandomSource): Uint8Array<ArrayBuffer> => {
  if (random === undefined) return globalThis.crypto.getRandomValues(new Uint8Array(n))
  const bytes = random(n)
  if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
    throw new InvalidArgumentError(`The random source returned ${bytes instanceof Uint8Array ? bytes.length : typeof bytes} instead of ${n} bytes; it must return a Uint8Array of exactly the length asked for.`)
  }
  const out = new Uint8Array(n)
  out.set(bytes)
  return out
}

/**
 * Runs a WebCrypto operation and turns whatever it throws (DOMException, TypeError) into a
 * named error of this package; our own errors pass through unchanged.
 */
export const guard = async <T>(work: () => Promise<T>, wrap: (cause: unknown) => CryptoError): Promise<T> => {
  try {
    return await work()
  } catch (err) {
    if (err instanceof CryptoError) throw err
    throw wrap(err)
  }
}

export const sha256 = async (data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> =>
  new Uint8Array(await guard(() => subtle().digest('SHA-256', data), (cause) => new CryptoError('SHA-256 failed in WebCrypto.', { cause })))

export const sha512 = async (data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> =>
  new Uint8Array(await guard(() => subtle().digest('SHA-512', data), (cause) => new CryptoError('SHA-512 failed in WebCrypto.', { cause })))
