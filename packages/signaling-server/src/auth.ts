import { InvalidTokenError } from './errors.js'
import type { Authenticate, AuthResult } from './options.js'

/**
 * Signed signaling tokens: base64url(JSON claims) + '.' + base64url(Ed25519 signature over
 * the first part's ASCII bytes), signed by an issuer whose public key the server knows.
 */
export interface TokenClaims {
  /** Who the token was issued to (logged, not checked). */
  sub: string
  /** Topics (y-webrtc room names) the holder may subscribe and publish to; ['*'] = any. */
  rooms: readonly string[]
  /** Expiry, seconds since the epoch. */
  exp: number
  /** Issue time, seconds since the epoch. */
  iat: number
}

const subtle = (): SubtleCrypto => globalThis.crypto.subtle
const ED25519 = { name: 'Ed25519' } as const

const toBase64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url')
const fromBase64url = (text: string): Uint8Array<ArrayBuffer> | undefined =>
  /^[A-Za-z0-9_-]*$/.test(text) ? new Uint8Array(Buffer.from(text, 'base64url')) : undefined

/** A new issuer key pair; `publicKeyBase64url` is what `--auth-public-key` takes. */
export const generateIssuerKeys = async (): Promise<{ publicKey: CryptoKey, privateKey: CryptoKey, publicKeyBase64url: string }> => {
  const pair = await subtle().generateKey(ED25519, true, ['sign', 'verify']) as CryptoKeyPair
  const raw = new Uint8Array(await subtle().exportKey('raw', pair.publicKey))
  return { publicKey: pair.publicKey, privateKey: pair.privateKey, publicKeyBase64url: toBase64url(raw) }
}

/** Imports a raw 32-byte Ed25519 public key (bytes or base64url). */
export const importIssuerPublicKey = async (key: Uint8Array | string): Promise<CryptoKey> => {
  const raw = typeof key === 'string' ? fromBase64url(key) : new Uint8Array(key)
  if (raw?.length !== 32) throw new InvalidTokenError('An Ed25519 public key is 32 bytes (43 base64url characters); check the key you configured.')
  return await subtle().importKey('raw', raw, ED25519, true, ['verify'])
}

export interface CreateTokenOptions {
  privateKey: CryptoKey
  sub: string
  rooms: readonly string[]
  /** Lifetime in seconds. Default 3600. */
  ttlSeconds?: number
  /** Seconds since the epoch; default now. */
  now?: number
}

/** Issues a token (for operators and tests). */
export const createToken = async (o: CreateTokenOptions): Promise<string> => {
  const iat = o.now ?? Math.floor(Date.now() / 1000)
  const claims: TokenClaims = { sub: o.sub, rooms: [...o.rooms], iat, exp: iat + (o.ttlSeconds ?? 3600) }
  const body = toBase64url(new TextEncoder().encode(JSON.stringify(claims)))
  const sig = new Uint8Array(await subtle().sign(ED25519, o.privateKey, new TextEncoder().encode(body)))
  return `${body}.${toBase64url(sig)}`
}

const MAX_TOKEN_LENGTH = 8192

/** Verifies a token; throws InvalidTokenError saying what is wrong. */
export const verifyToken = async (token: string, publicKey: CryptoKey, nowSeconds: number, skewSeconds = 30): Promise<TokenClaims> => {
  if (token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError('Token too long.')
  const [body, sigText, extra] = token.split('.')
  const sig = sigText === undefined ? undefined : fromBase64url(sigText)
  if (body === undefined || sig === undefined || extra !== undefined || sig.length !== 64) {
    throw new InvalidTokenError('Malformed token: expected base64url(claims).base64url(signature).')
  }
  const good = await subtle().verify(ED25519, publicKey, sig, new TextEncoder().encode(body))
  if (!good) throw new InvalidTokenError('Bad token signature: was it issued with this server\'s issuer key?')
  let claims: Partial<TokenClaims>
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Partial<TokenClaims>
  } catch {
    throw new InvalidTokenError('Malformed token claims.')
  }
  if (typeof claims !== 'object' || claims === null || typeof claims.sub !== 'string' || typeof claims.exp !== 'number' ||
    typeof claims.iat !== 'number' || !Array.isArray(claims.rooms) || !claims.rooms.every((r) => typeof r === 'string')) {
    throw new InvalidTokenError('Token claims need sub, rooms, exp and iat.')
  }
  if (claims.exp + skewSeconds < nowSeconds) throw new InvalidTokenError('Token expired: get a new one.')
  if (claims.iat - skewSeconds > nowSeconds) throw new InvalidTokenError('Token issued in the future: check the clocks.')
  return claims as TokenClaims
}

export interface Ed25519VerifierOptions {
  /** The issuer's public key: a CryptoKey, raw 32 bytes, or base64url of them. */
  publicKey: CryptoKey | Uint8Array | string
  /** Clock skew tolerated, in seconds. Default 30. */
  skewSeconds?: number
  /** Seconds since the epoch; default now. */
  now?: () => number
}

/** An `authenticate` hook that accepts tokens from createToken, scoped to their rooms. */
export const createEd25519Verifier = (o: Ed25519VerifierOptions): Authenticate => {
  let key: Promise<CryptoKey> | undefined
  const now = o.now ?? (() => Date.now() / 1000)
  return async ({ token }): Promise<AuthResult> => {
    key ??= o.publicKey instanceof CryptoKey ? Promise.resolve(o.publicKey) : importIssuerPublicKey(o.publicKey)
    try {
      const claims = await verifyToken(token, await key, now(), o.skewSeconds)
      return claims.rooms.includes('*') ? { ok: true, subject: claims.sub } : { ok: true, subject: claims.sub, rooms: claims.rooms }
    } catch (err) {
      if ((err as Error).name === 'InvalidTokenError') return { ok: false, reason: (err as Error).message }
      throw err
    }
  }
}
