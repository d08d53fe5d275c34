/**
 * Identities: an Ed25519 key pair (signing) and the X25519 key pair converted from it
 * (receiving sealed messages). Always built from a 32-byte seed, so a seeded simulator gets
 * deterministic identities and a backup is just the seed.
 */
import type { PeerId } from '@ymesh/protocol'
import { CryptoError, InvalidIdentityError, InvalidKeyError } from './errors.js'
import { concatBytes, copyBytes, describe, fromBase64Url, toBase64Url } from './bytes.js'
import { ed25519PublicKeyToX25519, ed25519SeedToX25519PrivateKey } from './ed25519-to-x25519.js'
import { peerIdFromPublicKey } from './peer-id.js'
import { guard, randomBytes, subtle, type RandomSource } from './webcrypto.js'

export const SEED_LENGTH = 32

// PKCS#8 PrivateKeyInfo for a raw 32-byte key (RFC 8410): SEQUENCE { version 0,
// AlgorithmIdentifier { OID 1.3.101.112 (Ed25519) or 1.3.101.110 (X25519) },
// OCTET STRING { OCTET STRING (32 bytes) } }. Only the OID byte differs.
const pkcs8Prefix = (oid: 0x70 | 0x6e): Uint8Array =>
  Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, oid, 0x04, 0x22, 0x04, 0x20])
export const ed25519Pkcs8 = (seed: Uint8Array): Uint8Array<ArrayBuffer> => concatBytes(pkcs8Prefix(0x70), seed)
export const x25519Pkcs8 = (scalar: Uint8Array): Uint8Array<ArrayBuffer> => concatBytes(pkcs8Prefix(0x6e), scalar)

export interface Identity {
  readonly peerId: PeerId
  /** Raw Ed25519 public key, 32 bytes. Do not mutate. */
  readonly publicKey: Uint8Array<ArrayBuffer>
  /** Ed25519 private key; extractable unless created with `extractable: false`. */
  readonly signingKey: CryptoKey
  /** X25519 private key (never extractable), for openSealed(). */
  readonly agreementKey: CryptoKey
  /** X25519 public key, 32 bytes: what senders derive from the peer id. */
  readonly agreementPublicKey: Uint8Array<ArrayBuffer>
}

export interface GenerateIdentityOptions {
  /** 32 bytes. Same seed ⇒ same identity. Default: 32 bytes from `random`. */
  readonly seed?: Uint8Array
  /** Where a fresh seed comes from when none is given; default crypto.getRandomValues. */
  readonly random?: RandomSource
  /**
   * Whether the seed can be read back (exportIdentity and the encrypted backup need it).
   * Default true; false keeps the private key inside WebCrypto, and the identity cannot be
   * backed up.
   */
  readonly extractable?: boolean
}

export const generateIdentity = async (options: GenerateIdentityOptions = {}): Promise<Identity> => {
  const { extractable = true } = options
  let seed: Uint8Array<ArrayBuffer>
  if (options.seed !== undefined) {
    if (!(options.seed instanceof Uint8Array) || options.seed.length !== SEED_LENGTH) {
      throw new InvalidKeyError(`An identity seed is ${SEED_LENGTH} bytes, got ${describe(options.seed)}.`)
    }
    seed = copyBytes(options.seed)
  } else {
    seed = randomBytes(SEED_LENGTH, options.random)
  }
  const s = subtle()
  const wrap = (cause: unknown): CryptoError => new CryptoError('WebCrypto could not create an Ed25519/X25519 identity; Ed25519 and X25519 need Node >= 20 or a current browser.', { cause })
  // WebCrypto cannot derive a public key from a private one, but a JWK export carries it.
  const extractableKey = await guard(() => s.importKey('pkcs8', ed25519Pkcs8(seed), { name: 'Ed25519' }, true, ['sign']), wrap)
  const jwk = await guard(() => s.exportKey('jwk', extractableKey), wrap)
  const publicKey = fromBase64Url(jwk.x ?? '')
  if (publicKey === null || publicKey.length !== 32) throw wrap(new Error('JWK export lacks the public key'))
  const signingKey = extractable
    ? extractableKey
    : await guard(() => s.importKey('pkcs8', ed25519Pkcs8(seed), { name: 'Ed25519' }, false, ['sign']), wrap)
  const scalar = await ed25519SeedToX25519PrivateKey(seed)
  const agreementKey = await guard(() => s.importKey('pkcs8', x25519Pkcs8(scalar), { name: 'X25519' }, false, ['deriveBits']), wrap)
  scalar.fill(0)
  seed.fill(0)
  return Object.freeze({
    peerId: peerIdFromPublicKey(publicKey),
    publicKey,
    signingKey,
    agreementKey,
    agreementPublicKey: ed25519PublicKeyToX25519(publicKey)
  })
}

/** The identity's 32-byte seed. Throws InvalidIdentityError if it was made non-extractable. */
export const identitySeed = async (identity: Identity): Promise<Uint8Array<ArrayBuffer>> => {
  if (identity === null || typeof identity !== 'object' || !(identity.signingKey instanceof CryptoKey)) {
    throw new InvalidIdentityError(`Expected an Identity from generateIdentity(), got ${describe(identity)}.`)
  }
  if (!identity.signingKey.extractable) {
    throw new InvalidIdentityError('This identity was created with extractable: false, so its seed cannot be exported or backed up.')
  }
  const pkcs8 = new Uint8Array(await guard(() => subtle().exportKey('pkcs8', identity.signingKey), (cause) => new InvalidIdentityError('WebCrypto could not export this identity\'s private key.', { cause })))
  return pkcs8.slice(pkcs8.length - SEED_LENGTH)
}

/** JSON-safe form of an identity. It holds the private seed: store it like a password. */
export interface ExportedIdentity {
  readonly format: 'ymesh-identity'
  readonly version: 1
  readonly peerId: string
  /** base64url of the 32-byte Ed25519 seed. */
  readonly seed: string
}

export const exportIdentity = async (identity: Identity): Promise<ExportedIdentity> => ({
  format: 'ymesh-identity',
  version: 1,
  peerId: identity.peerId,
  seed: toBase64Url(await identitySeed(identity))
})

/**
 * Rebuilds an identity from exportIdentity()'s output, after checking every field and that
 * the peer id matches the seed (a mismatch means the export was edited or mixed up).
 */
export const importIdentity = async (exported: unknown, options: { readonly extractable?: boolean } = {}): Promise<Identity> => {
  if (exported === null || typeof exported !== 'object') {
    throw new InvalidIdentityError(`An exported identity is an object from exportIdentity(), got ${describe(exported)}.`)
  }
  const e = exported as Record<string, unknown>
  if (e.format !== 'ymesh-identity') throw new InvalidIdentityError(`Not an exported ymesh identity (format is ${JSON.stringify(e.format)}, expected "ymesh-identity").`)
  if (e.version !== 1) throw new InvalidIdentityError(`Unsupported exported identity version ${JSON.stringify(e.version)}; this version of @ymesh/crypto reads version 1. Upgrade it to read newer exports.`)
  const seed = typeof e.seed === 'string' ? fromBase64Url(e.seed) : null
  if (seed === null || seed.length !== SEED_LENGTH) throw new InvalidIdentityError('The exported identity\'s seed must be 43 base64url characters (32 bytes).')
  const identity = await generateIdentity({ seed, extractable: options.extractable })
  seed.fill(0)
  if (identity.peerId !== e.peerId) {
    throw new InvalidIdentityError(`The exported identity's peer id ${JSON.stringify(e.peerId)} does not match its seed (which gives ${identity.peerId}); the export was altered or mixed up.`)
  }
  return identity
}
