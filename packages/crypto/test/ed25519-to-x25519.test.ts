import { describe, expect, it } from 'vitest'
import {
  ed25519PublicKeyToX25519,
  ed25519SeedToX25519PrivateKey,
  generateIdentity,
  InvalidKeyError
} from '@ymesh/crypto'
import { fromHex, seededRandom, toHex } from './helpers.js'

const subtle = globalThis.crypto.subtle
const X25519_PKCS8_PREFIX = fromHex('302e020100300506032b656e04220420')

/** X25519's own idea of the public key for a private scalar, via WebCrypto. */
const webCryptoX25519Public = async (scalar: Uint8Array): Promise<string> => {
  const pkcs8 = new Uint8Array(48)
  pkcs8.set(X25519_PKCS8_PREFIX)
  pkcs8.set(scalar, 16)
  const key = await subtle.importKey('pkcs8', pkcs8, { name: 'X25519' }, true, ['deriveBits'])
  const jwk = await subtle.exportKey('jwk', key)
  return toHex(Uint8Array.from(Buffer.from(jwk.x!, 'base64url')))
}

describe('Ed25519 → X25519 conversion', () => {
  it('matches libsodium\'s crypto_sign_ed25519_{pk,sk}_to_curve25519 known answers (test/default/ed25519_convert)', async () => {
    const seed = fromHex('421151a459faeade3d247115f94aedae42318124095afabe4d1451a559faedee')
    const identity = await generateIdentity({ seed })
    expect(toHex(ed25519PublicKeyToX25519(identity.publicKey))).toBe('f1814f0e8ff1043d8a44d25babff3cedcae6c22c3edaa48f857ae70de2baae50')
    expect(toHex(await ed25519SeedToX25519PrivateKey(seed))).toBe('8052030376d47112be7f73ed7a019293dd12ad910b654455798b4667d73de166')
  })

  it('gives for RFC 8032 test key 1 the X25519 public key that WebCrypto computes from the converted private key', async () => {
    const seed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
    const identity = await generateIdentity({ seed })
    expect(toHex(identity.publicKey)).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
    const scalar = await ed25519SeedToX25519PrivateKey(seed)
    expect(toHex(ed25519PublicKeyToX25519(identity.publicKey))).toBe(await webCryptoX25519Public(scalar))
  })

  it('converts public and private halves consistently for many random keys', async () => {
    const random = seededRandom(7)
    for (let i = 0; i < 20; i++) {
      const seed = random(32)
      const identity = await generateIdentity({ seed })
      const scalar = await ed25519SeedToX25519PrivateKey(seed)
      expect(toHex(identity.agreementPublicKey)).toBe(await webCryptoX25519Public(scalar))
    }
  })

  it('lets two converted identities agree on one shared secret, both ways', async () => {
    const alice = await generateIdentity({ seed: new Uint8Array(32).fill(1) })
    const bob = await generateIdentity({ seed: new Uint8Array(32).fill(2) })
    const pub = (bytes: Uint8Array<ArrayBuffer>) => subtle.importKey('raw', bytes, { name: 'X25519' }, false, [])
    const ab = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: await pub(ed25519PublicKeyToX25519(bob.publicKey)) }, alice.agreementKey, 256))
    const ba = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: await pub(ed25519PublicKeyToX25519(alice.publicKey)) }, bob.agreementKey, 256))
    expect(toHex(ab)).toBe(toHex(ba))
    expect(ab.some((b) => b !== 0)).toBe(true)
  })

  it('clamps the private scalar as RFC 7748 requires', async () => {
    const scalar = await ed25519SeedToX25519PrivateKey(new Uint8Array(32).fill(0xff))
    expect(scalar[0]! & 7).toBe(0)
    expect(scalar[31]! & 0x80).toBe(0)
    expect(scalar[31]! & 0x40).toBe(0x40)
  })

  it('rejects public keys that are not points, not canonical, or of small order', () => {
    const cases: Array<[string, RegExp]> = [
      ['0200000000000000000000000000000000000000000000000000000000000000', /not a point on the curve/],
      ['0100000000000000000000000000000000000000000000000000000000000080', /not a point on the curve/], // x = 0 with the sign bit set
      ['edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', /not canonically encoded/], // y = p
      ['0100000000000000000000000000000000000000000000000000000000000000', /neutral point/],
      ['ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', /small-order/], // order 2
      ['0000000000000000000000000000000000000000000000000000000000000000', /small-order/], // order 4
      ['26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', /small-order/], // order 8
      ['c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', /small-order/] // order 8
    ]
    for (const [key, message] of cases) {
      expect(() => ed25519PublicKeyToX25519(fromHex(key)), key).toThrow(InvalidKeyError)
      expect(() => ed25519PublicKeyToX25519(fromHex(key)), key).toThrow(message)
    }
    expect(() => ed25519PublicKeyToX25519(new Uint8Array(31))).toThrow(/32 bytes/)
  })
})
