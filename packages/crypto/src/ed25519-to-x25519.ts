/**
 * Ed25519 → X25519 key conversion, so one identity key pair both signs (Ed25519) and
 * receives sealed messages (X25519), and a peer id alone is enough to seal to its owner.
 * WebCrypto has no such conversion, and it is small enough to do by hand with BigInt:
 * public u = (1 + y) / (1 − y) mod 2^255 − 19; private = SHA-512(seed)[0..32], clamped —
 * the same as libsodium's crypto_sign_ed25519_{pk,sk}_to_curve25519.
 */
import { InvalidKeyError } from './errors.js'
import { copyBytes, requireBytes } from './bytes.js'
import { sha512 } from './webcrypto.js'

const P = (1n << 255n) - 19n
// d = −121665 / 121666 mod p, the Edwards curve constant (RFC 8032 §5.1).
const D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n

// u-coordinates of the small-order points of Curve25519 (orders 1, 2, 4, 8): a key that
// maps onto one of them would make every shared secret with it predictable.
const SMALL_ORDER_U = new Set([
  0n,
  1n,
  P - 1n,
  325606250916557431795983626356110631294008115727848805560023387167927233504n,
  39382357235489614581723060781553021112529911719440698176882885853963445705823n
])

function mod (a: bigint): bigint {
  const r = a % P
  return r >= 0n ? r : r + P
}

const MASK = (1n << 255n) - 1n

// Reduction for a product of two reduced values, using 2^255 ≡ 19 (mod p): shifts and a
// small multiply instead of BigInt division.
function reduce (x: bigint): bigint {
  let r = (x & MASK) + 19n * (x >> 255n)
  r = (r & MASK) + 19n * (r >> 255n)
  return r >= P ? r - P : r
}

const square = (x: bigint, times: number): bigint => {
  let r = x
  for (let i = 0; i < times; i++) r = reduce(r * r)
  return r
}

// z^(2^250 − 1) and z^11 by ref10's addition chain (fe_invert): 254 squarings and 11
// multiplications, where square-and-multiply would spend ~250 multiplications on
// exponents that are nearly all one bits. Both exponentiations below start from it.
const chain = (z: bigint): { z11: bigint; z2p250m1: bigint } => {
  const z2 = reduce(z * z)
  const z9 = reduce(square(z2, 2) * z)
  const z11 = reduce(z9 * z2)
  const z2p5m1 = reduce(reduce(z11 * z11) * z9)
  const z2p10m1 = reduce(square(z2p5m1, 5) * z2p5m1)
  const z2p20m1 = reduce(square(z2p10m1, 10) * z2p10m1)
  const z2p40m1 = reduce(square(z2p20m1, 20) * z2p20m1)
  const z2p50m1 = reduce(square(z2p40m1, 10) * z2p10m1)
  const z2p100m1 = reduce(square(z2p50m1, 50) * z2p50m1)
  const z2p200m1 = reduce(square(z2p100m1, 100) * z2p100m1)
  const z2p250m1 = reduce(square(z2p200m1, 50) * z2p50m1)
  return { z11, z2p250m1 }
}

/** z^(p − 2) = z^(2^255 − 21): the inverse of z (Fermat). */
function invert (z: bigint): bigint {
  const { z11, z2p250m1 } = chain(mod(z))
  return reduce(square(z2p250m1, 5) * z11)
}

/** z^((p − 1)/2) = z^(2^254 − 10): 1 if z is a non-zero square, p − 1 if not (Euler). */
function legendre (z: bigint): bigint {
  const r = mod(z)
  const { z2p250m1 } = chain(r)
  const z2 = reduce(r * r)
  const z6 = reduce(reduce(z2 * z2) * z2)
  return reduce(square(z2p250m1, 4) * z6)
}

const readLittleEndian = (bytes: Uint8Array): bigint => {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!)
  return n
}

const writeLittleEndian = (n: bigint): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(32)
  let v = n
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

/**
 * The X25519 public key of the owner of Ed25519 public key `publicKey`. Throws
 * InvalidKeyError unless `publicKey` is the canonical encoding of a curve point of large
 * order — a key nobody could own a private key for is rejected rather than sealed to.
 */
export const ed25519PublicKeyToX25519 = (publicKey: Uint8Array): Uint8Array<ArrayBuffer> => {
  requireBytes(publicKey, 'An Ed25519 public key', 32)
  const sign = publicKey[31]! >> 7
  const y = readLittleEndian(publicKey) & ((1n << 255n) - 1n)
  if (y >= P) throw new InvalidKeyError('This Ed25519 public key is not canonically encoded (y >= 2^255 - 19); it cannot belong to any peer.')
  // On the curve iff x^2 = (y^2 - 1) / (d y^2 + 1) has a solution. u/v is a square iff
  // u·v is (Euler's criterion), which spares an inversion: this runs on every sealTo.
  const y2 = (y * y) % P
  const uv = mod((y2 - 1n) * mod(D * y2 + 1n))
  if (uv === 0n ? sign === 1 : legendre(uv) !== 1n) {
    throw new InvalidKeyError('These 32 bytes are not an Ed25519 public key (not a point on the curve); check that the peer id or key was copied intact.')
  }
  if (y === 1n) throw new InvalidKeyError('This Ed25519 public key is the neutral point; it cannot belong to any peer.')
  const u = mod((1n + y) * invert(1n - y))
  if (SMALL_ORDER_U.has(u)) throw new InvalidKeyError('This Ed25519 public key is a small-order point; it cannot belong to any peer.')
  return writeLittleEndian(u)
}

/** The clamped X25519 private scalar of the Ed25519 key pair with this 32-byte seed. */
export const ed25519SeedToX25519PrivateKey = async (seed: Uint8Array): Promise<Uint8Array<ArrayBuffer>> => {
  requireBytes(seed, 'An Ed25519 seed', 32)
  const scalar = (await sha512(copyBytes(seed))).slice(0, 32)
  scalar[0]! &= 248
  scalar[31]! &= 127
  scalar[31]! |= 64
  return scalar
}
