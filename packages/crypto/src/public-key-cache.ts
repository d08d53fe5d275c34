/**
 * Imported public keys, by algorithm and key bytes. verify() and sealTo() are called with the
 * same few hundred peers' keys over and over (every signed update, awareness renewal, routed
 * envelope and capsule), and re-importing the key each time was one more WebCrypto round trip
 * on the thread pool per call — about a third of all the WebCrypto calls a joining peer makes.
 *
 * This is the package's one piece of module state: a bounded memo of a pure function (the same
 * bytes always import to an equivalent non-extractable public key), so no result depends on
 * what is cached. The oldest entry goes first once `MAX_ENTRIES` keys are held.
 */
import { toBase64Url } from './bytes.js'
import { subtle } from './webcrypto.js'

const MAX_ENTRIES = 2048

/** Insertion order is use order: a hit is moved to the end. */
const cache = new Map<string, Promise<CryptoKey>>()

/** The public key `bytes` (32 bytes) imported for `algorithm`, from the cache when it was imported before. */
export const importPublicKey = async (algorithm: 'Ed25519' | 'X25519', bytes: Uint8Array<ArrayBuffer>): Promise<CryptoKey> => {
  const id = `${algorithm}:${toBase64Url(bytes)}`
  let key = cache.get(id)
  if (key !== undefined) {
    cache.delete(id)
    cache.set(id, key)
    return await key
  }
  const usages: KeyUsage[] = algorithm === 'Ed25519' ? ['verify'] : []
  key = subtle().importKey('raw', bytes, { name: algorithm }, false, usages)
  cache.set(id, key)
  // A key that does not import (not a curve point, on some engines) is not kept.
  key.catch(() => { if (cache.get(id) === key) cache.delete(id) })
  if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string)
  return await key
}

/** Keys held now (tests). */
export const cachedPublicKeys = (): number => cache.size
