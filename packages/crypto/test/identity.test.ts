import { describe, expect, it } from 'vitest'
import {
  exportIdentity,
  generateIdentity,
  importIdentity,
  isYmeshPeerId,
  peerIdFromPublicKey,
  publicKeyFromPeerId,
  sign,
  verify,
  toBase64Url,
  fromBase64Url,
  InvalidIdentityError,
  InvalidKeyError,
  InvalidPeerIdError,
  InvalidArgumentError
} from '@ymesh/crypto'
import { fromHex, rejection, seededRandom, toHex } from './helpers.js'

describe('identity', () => {
  it('derives the same peer id from the same seed, and a different one from another seed', async () => {
    const seed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
    const a = await generateIdentity({ seed })
    const b = await generateIdentity({ seed: seed.slice() })
    const c = await generateIdentity({ seed: new Uint8Array(32).fill(9) })
    expect(a.peerId).toBe(b.peerId)
    expect(a.peerId).not.toBe(c.peerId)
    // RFC 8032 test 1: the peer id is the base64url of the well-known public key.
    expect(toHex(publicKeyFromPeerId(a.peerId))).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
    expect(a.peerId).toHaveLength(43)
  })

  it('draws its seed from an injected random source, so seeded runs replay', async () => {
    const a = await generateIdentity({ random: seededRandom(42) })
    const b = await generateIdentity({ random: seededRandom(42) })
    expect(a.peerId).toBe(b.peerId)
    const fresh = await generateIdentity()
    expect(fresh.peerId).not.toBe(a.peerId)
    expect(isYmeshPeerId(fresh.peerId)).toBe(true)
  })

  it('signs like RFC 8032 Ed25519 (test 1, empty message, through the raw key)', async () => {
    const identity = await generateIdentity({ seed: fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60') })
    const sig = new Uint8Array(await crypto.subtle.sign('Ed25519', identity.signingKey, new Uint8Array(0)))
    expect(toHex(sig)).toBe('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b')
  })

  it('rejects seeds of the wrong length or type', async () => {
    expect(await rejection(generateIdentity({ seed: new Uint8Array(31) }))).toBeInstanceOf(InvalidKeyError)
    expect((await rejection(generateIdentity({ seed: 'x' as unknown as Uint8Array }))).name).toBe('InvalidKeyError')
    expect((await rejection(generateIdentity({ random: () => new Uint8Array(3) }))).name).toBe('InvalidArgumentError')
  })

  it('does not keep a reference to the caller\'s seed buffer', async () => {
    const seed = new Uint8Array(32).fill(5)
    const a = await generateIdentity({ seed })
    expect(seed.every((b) => b === 5)).toBe(true)
    seed.fill(6)
    const again = await exportIdentity(a)
    expect(again.seed).toBe(toBase64Url(new Uint8Array(32).fill(5)))
  })
})

describe('peer ids', () => {
  it('round-trip through the public key', async () => {
    const { publicKey, peerId } = await generateIdentity()
    expect(peerIdFromPublicKey(publicKey)).toBe(peerId)
    expect(toHex(publicKeyFromPeerId(peerId))).toBe(toHex(publicKey))
  })

  it('reject malformed ids with InvalidPeerIdError', async () => {
    const { peerId } = await generateIdentity({ seed: new Uint8Array(32) })
    const bad = [
      '', peerId.slice(1), peerId + 'A', peerId.slice(0, 42) + '=', peerId.slice(0, 42) + '+',
      '5ba0f0b1-3f4c-4fb6-9a6e-0ad1ddf1e7a2', // a stock y-webrtc UUID
      'x'.repeat(1000)
    ]
    for (const id of bad) {
      expect(() => publicKeyFromPeerId(id), id).toThrow(InvalidPeerIdError)
      expect(isYmeshPeerId(id), id).toBe(false)
    }
    expect(() => publicKeyFromPeerId(42 as unknown as string)).toThrow(InvalidPeerIdError)
    expect(isYmeshPeerId(undefined)).toBe(false)
  })

  it('have exactly one spelling: non-canonical trailing bits are rejected', async () => {
    const { peerId } = await generateIdentity({ seed: new Uint8Array(32).fill(3) })
    // The 43rd character carries 4 bits of key and 2 unused bits that must be zero.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const last = alphabet.indexOf(peerId[42]!)
    const twin = peerId.slice(0, 42) + alphabet[last ^ 1]!
    expect(() => publicKeyFromPeerId(twin)).toThrow(InvalidPeerIdError)
  })

  it('peerIdFromPublicKey rejects keys that are not 32 bytes', () => {
    expect(() => peerIdFromPublicKey(new Uint8Array(33))).toThrow(InvalidKeyError)
  })

  it('base64url helpers round-trip every length and refuse padding and foreign characters', () => {
    const random = seededRandom(3)
    for (let n = 0; n < 40; n++) {
      const bytes = random(n)
      const text = toBase64Url(bytes)
      expect(text).toBe(Buffer.from(bytes).toString('base64url'))
      expect(toHex(fromBase64Url(text)!)).toBe(toHex(bytes))
    }
    expect(fromBase64Url('AA==')).toBeNull()
    expect(fromBase64Url('A')).toBeNull()
    expect(fromBase64Url('AB')).toBeNull() // trailing bits set
    expect(fromBase64Url('a b')).toBeNull()
  })
})

describe('exportIdentity / importIdentity', () => {
  it('round-trips to a JSON-safe object that signs as the same peer', async () => {
    const identity = await generateIdentity()
    const exported = await exportIdentity(identity)
    const restored = await importIdentity(JSON.parse(JSON.stringify(exported)))
    expect(restored.peerId).toBe(identity.peerId)
    expect(exported).toMatchObject({ format: 'ymesh-identity', version: 1, peerId: identity.peerId })
    const sig = await sign(restored, 'test', new Uint8Array([1]))
    expect(await verify(identity.peerId, 'test', new Uint8Array([1]), sig)).toBe(true)
  })

  it('rejects an export whose peer id does not match its seed', async () => {
    const exported = await exportIdentity(await generateIdentity())
    const other = await generateIdentity()
    const err = await rejection(importIdentity({ ...exported, peerId: other.peerId }))
    expect(err).toBeInstanceOf(InvalidIdentityError)
    expect(err.message).toMatch(/does not match its seed/)
  })

  it('rejects malformed exports with InvalidIdentityError', async () => {
    const exported = await exportIdentity(await generateIdentity())
    const bad: unknown[] = [
      null, 'text', {},
      { ...exported, format: 'other' },
      { ...exported, version: 2 },
      { ...exported, seed: exported.seed.slice(2) },
      { ...exported, seed: 42 }
    ]
    for (const value of bad) {
      expect((await rejection(importIdentity(value))).name, JSON.stringify(value)).toBe('InvalidIdentityError')
    }
  })

  it('refuses to export a non-extractable identity', async () => {
    const locked = await generateIdentity({ extractable: false })
    expect(locked.signingKey.extractable).toBe(false)
    const err = await rejection(exportIdentity(locked))
    expect(err).toBeInstanceOf(InvalidIdentityError)
    expect(err.message).toMatch(/extractable: false/)
    expect((await rejection(exportIdentity({} as never))).name).toBe('InvalidIdentityError')
  })

  it('non-extractable identities still sign and can be imported as such', async () => {
    const exported = await exportIdentity(await generateIdentity())
    const locked = await importIdentity(exported, { extractable: false })
    expect(locked.signingKey.extractable).toBe(false)
    const sig = await sign(locked, 'd', new Uint8Array(0))
    expect(await verify(locked.peerId, 'd', new Uint8Array(0), sig)).toBe(true)
  })

  it('InvalidArgumentError is a CryptoError with its own name', () => {
    const err = new InvalidArgumentError('x')
    expect(err.name).toBe('InvalidArgumentError')
    expect(err).toBeInstanceOf(Error)
  })
})
