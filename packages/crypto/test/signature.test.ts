import { describe, expect, it } from 'vitest'
import {
  generateIdentity,
  sign,
  verify,
  signedMessage,
  InvalidSignatureError,
  InvalidKeyError,
  InvalidPeerIdError,
  SIGNATURE_LENGTH
} from '@ymesh/crypto'
import { flipBit, fromHex, rejection, toHex } from './helpers.js'

const bytes = new TextEncoder().encode('hello mesh')

describe('sign / verify', () => {
  it('verifies a signature against the peer id alone and against the raw key', async () => {
    const identity = await generateIdentity()
    const sig = await sign(identity, 'ymesh/test', bytes)
    expect(sig).toHaveLength(SIGNATURE_LENGTH)
    expect(await verify(identity.peerId, 'ymesh/test', bytes, sig)).toBe(true)
    expect(await verify(identity.publicKey, 'ymesh/test', bytes, sig)).toBe(true)
  })

  it('never accepts a signature made for one domain in another', async () => {
    const identity = await generateIdentity()
    const sig = await sign(identity, 'ymesh/awareness', bytes)
    expect(await verify(identity.peerId, 'ymesh/capability', bytes, sig)).toBe(false)
    expect(await verify(identity.peerId, 'ymesh/awarenes', bytes, sig)).toBe(false)
  })

  it('length-prefixes the domain, so shifting bytes between domain and message does not verify', async () => {
    const identity = await generateIdentity()
    const sig = await sign(identity, 'ab', new TextEncoder().encode('c'))
    expect(await verify(identity.peerId, 'a', new TextEncoder().encode('bc'), sig)).toBe(false)
    expect(toHex(signedMessage('ab', new Uint8Array([0x63])))).toBe(toHex(new TextEncoder().encode('ymesh-sig/v1\x02abc')))
  })

  it('does not sign the raw bytes (a plain Ed25519 signature of them does not verify)', async () => {
    const identity = await generateIdentity()
    const raw = new Uint8Array(await crypto.subtle.sign('Ed25519', identity.signingKey, bytes))
    expect(await verify(identity.peerId, 'any', bytes, raw)).toBe(false)
  })

  it('returns false for another signer, altered bytes, or any flipped signature bit', async () => {
    const alice = await generateIdentity()
    const bob = await generateIdentity()
    const sig = await sign(alice, 'd', bytes)
    expect(await verify(bob.peerId, 'd', bytes, sig)).toBe(false)
    expect(await verify(alice.peerId, 'd', flipBit(bytes, 3), sig)).toBe(false)
    for (const i of [0, 17, 31, 32, 50, 63]) {
      expect(await verify(alice.peerId, 'd', bytes, flipBit(sig, i, i % 8)), `byte ${i}`).toBe(false)
    }
    expect(await verify(alice.peerId, 'd', bytes, new Uint8Array(64))).toBe(false)
  })

  it('returns false, not an error, for a 32-byte key that is not a curve point', async () => {
    const sig = await sign(await generateIdentity(), 'd', bytes)
    expect(await verify(fromHex('0200000000000000000000000000000000000000000000000000000000000000'), 'd', bytes, sig)).toBe(false)
  })

  it('throws named errors for malformed signatures, keys, ids, domains', async () => {
    const identity = await generateIdentity()
    const sig = await sign(identity, 'd', bytes)
    const truncated = await rejection(verify(identity.peerId, 'd', bytes, sig.subarray(0, 63)))
    expect(truncated).toBeInstanceOf(InvalidSignatureError)
    expect(truncated.message).toMatch(/64 bytes/)
    expect((await rejection(verify(identity.peerId, 'd', bytes, 'sig' as unknown as Uint8Array))).name).toBe('InvalidSignatureError')
    expect(await rejection(verify(identity.publicKey.subarray(0, 31), 'd', bytes, sig))).toBeInstanceOf(InvalidKeyError)
    expect(await rejection(verify('not-a-peer-id' as never, 'd', bytes, sig))).toBeInstanceOf(InvalidPeerIdError)
    expect((await rejection(verify(identity.peerId, '', bytes, sig))).name).toBe('InvalidArgumentError')
    expect((await rejection(verify(identity.peerId, 'x'.repeat(128), bytes, sig))).name).toBe('InvalidArgumentError')
    expect((await rejection(sign(identity, 'd', 'text' as unknown as Uint8Array))).name).toBe('InvalidArgumentError')
    expect((await rejection(sign({} as never, 'd', bytes))).name).toBe('InvalidIdentityError')
  })

  it('wraps a WebCrypto failure (a key that cannot sign) in CryptoError', async () => {
    const identity = await generateIdentity()
    const err = await rejection(sign({ ...identity, signingKey: identity.agreementKey }, 'd', bytes))
    expect(err.name).toBe('CryptoError')
    expect(err.cause).toBeDefined()
  })
})

describe('imported public keys are reused', () => {
  it('imports a signer\'s key once for many verifications; a key that is not a curve point never verifies', async () => {
    const { cachedPublicKeys } = await import('../src/public-key-cache.js')
    const identity = await generateIdentity()
    const sig = await sign(identity, 'ymesh/test', bytes)
    const subtle = globalThis.crypto.subtle
    const importKey = subtle.importKey.bind(subtle)
    let imports = 0
    subtle.importKey = (async (...args: Parameters<typeof importKey>) => { imports++; return await importKey(...args) }) as typeof subtle.importKey
    try {
      for (let i = 0; i < 5; i++) expect(await verify(identity.peerId, 'ymesh/test', bytes, sig)).toBe(true)
      expect(imports).toBe(1)
      expect(await verify(identity.peerId, 'ymesh/test', flipBit(bytes, 3), sig)).toBe(false) // the cached key still refuses a forgery
      expect(imports).toBe(1)
    } finally {
      subtle.importKey = importKey
    }
    expect(cachedPublicKeys()).toBeGreaterThan(0)
    // 32 bytes that may not even be a curve point (engines differ on refusing it at import):
    // verification is false either way, whether or not the import failed and was dropped.
    const notAPoint = new Uint8Array(32)
    notAPoint[0] = 2
    notAPoint[31] = 0x80
    expect(await verify(notAPoint, 'ymesh/test', bytes, sig)).toBe(false)
    expect(await verify(notAPoint, 'ymesh/test', bytes, sig)).toBe(false)
  })
})
