import { createCipheriv, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  generateIdentity,
  openSealed,
  sealTo,
  DecryptionError,
  InvalidKeyError,
  InvalidPeerIdError,
  SEAL_OVERHEAD,
  ed25519PublicKeyToX25519
} from '@ymesh/crypto'
import { flipBit, fromHex, rejection, seededRandom, toHex } from './helpers.js'

const plaintext = new TextEncoder().encode('an offer SDP, routed through two relays')

describe('sealTo / openSealed', () => {
  it('round-trips to the recipient named by its peer id or raw key, for empty and large plaintexts', async () => {
    const bob = await generateIdentity()
    for (const data of [plaintext, new Uint8Array(0), new Uint8Array(100_000).fill(7)]) {
      const sealed = await sealTo(bob.peerId, 'ymesh/signal', data)
      expect(sealed).toHaveLength(data.length + SEAL_OVERHEAD)
      expect(toHex(await openSealed(bob, 'ymesh/signal', sealed))).toBe(toHex(data))
    }
    const viaKey = await sealTo(bob.publicKey, 'ymesh/signal', plaintext)
    expect(toHex(await openSealed(bob, 'ymesh/signal', viaKey))).toBe(toHex(plaintext))
  })

  it('seals the plaintext as it was at the call, even if the caller reuses the buffer at once', async () => {
    const bob = await generateIdentity()
    const buffer = plaintext.slice()
    const sealing = sealTo(bob.peerId, 'd', buffer)
    buffer.fill(0)
    const sealed = await sealing
    const opening = openSealed(bob, 'd', sealed)
    sealed.fill(0)
    expect(toHex(await opening)).toBe(toHex(plaintext))
  })

  it('opens what an independent implementation of the documented construction seals (node:crypto)', async () => {
    const bob = await generateIdentity()
    const domain = new TextEncoder().encode('ymesh/signal')
    const recipient = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), ed25519PublicKeyToX25519(bob.publicKey)]), format: 'der', type: 'spki' })
    const ephemeral = generateKeyPairSync('x25519')
    const ephemeralPublic = ephemeral.publicKey.export({ format: 'der', type: 'spki' }).subarray(12)
    const info = Buffer.concat([new TextEncoder().encode('ymesh-seal/v1'), Uint8Array.of(domain.length), domain, ephemeralPublic, bob.publicKey])
    const key = Buffer.from(hkdfSync('sha256', diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient }), Buffer.alloc(0), info, 32))
    const iv = Buffer.alloc(12, 5)
    const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Uint8Array.of(1, domain.length, ...domain))
    const sealed = Buffer.concat([Uint8Array.of(1), ephemeralPublic, iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
    expect(toHex(await openSealed(bob, 'ymesh/signal', sealed))).toBe(toHex(plaintext))
  })

  it('uses a fresh ephemeral key and IV each time', async () => {
    const bob = await generateIdentity()
    const a = await sealTo(bob.peerId, 'd', plaintext)
    const b = await sealTo(bob.peerId, 'd', plaintext)
    expect(toHex(a.subarray(0, 45))).not.toBe(toHex(b.subarray(0, 45)))
  })

  it('is deterministic under injected randomness (the simulator replays it)', async () => {
    const bob = await generateIdentity({ seed: new Uint8Array(32).fill(1) })
    const a = await sealTo(bob.peerId, 'd', plaintext, { random: seededRandom(99) })
    const b = await sealTo(bob.peerId, 'd', plaintext, { random: seededRandom(99) })
    expect(toHex(a)).toBe(toHex(b))
    expect(toHex(await openSealed(bob, 'd', a))).toBe(toHex(plaintext))
  })

  it('cannot be opened by another identity', async () => {
    const bob = await generateIdentity()
    const eve = await generateIdentity()
    const sealed = await sealTo(bob.peerId, 'd', plaintext)
    const err = await rejection(openSealed(eve, 'd', sealed))
    expect(err).toBeInstanceOf(DecryptionError)
    expect(err.name).toBe('DecryptionError')
  })

  it('cannot be opened under another domain', async () => {
    const bob = await generateIdentity()
    const sealed = await sealTo(bob.peerId, 'ymesh/signal', plaintext)
    expect((await rejection(openSealed(bob, 'ymesh/route', sealed))).name).toBe('DecryptionError')
  })

  it('rejects truncated, extended or bit-flipped ciphertexts with DecryptionError', async () => {
    const bob = await generateIdentity()
    const sealed = await sealTo(bob.peerId, 'd', plaintext)
    const variants = [
      sealed.subarray(0, SEAL_OVERHEAD - 1),
      sealed.subarray(0, sealed.length - 1),
      new Uint8Array(0),
      Uint8Array.of(...sealed, 0),
      flipBit(sealed, 0), // version
      flipBit(sealed, 5), // ephemeral key
      flipBit(sealed, 40), // IV
      flipBit(sealed, 50), // ciphertext
      flipBit(sealed, sealed.length - 1) // tag
    ]
    for (const v of variants) {
      expect(await rejection(openSealed(bob, 'd', v))).toBeInstanceOf(DecryptionError)
    }
  })

  it('rejects an all-zero (small-order) ephemeral key with DecryptionError', async () => {
    const bob = await generateIdentity()
    const sealed = await sealTo(bob.peerId, 'd', plaintext)
    sealed.fill(0, 1, 33)
    expect((await rejection(openSealed(bob, 'd', sealed))).name).toBe('DecryptionError')
  })

  it('refuses to seal to malformed ids or keys that are not curve points', async () => {
    expect(await rejection(sealTo('bad' as never, 'd', plaintext))).toBeInstanceOf(InvalidPeerIdError)
    expect(await rejection(sealTo(new Uint8Array(31), 'd', plaintext))).toBeInstanceOf(InvalidKeyError)
    expect(await rejection(sealTo(fromHex('0200000000000000000000000000000000000000000000000000000000000000'), 'd', plaintext))).toBeInstanceOf(InvalidKeyError)
    const bob = await generateIdentity()
    expect((await rejection(sealTo(bob.peerId, '', plaintext))).name).toBe('InvalidArgumentError')
    expect((await rejection(sealTo(bob.peerId, 'd', [1, 2] as unknown as Uint8Array))).name).toBe('InvalidArgumentError')
    expect((await rejection(openSealed({} as never, 'd', new Uint8Array(100)))).name).toBe('InvalidIdentityError')
    expect((await rejection(openSealed(bob, 'd', 'x' as unknown as Uint8Array))).name).toBe('InvalidArgumentError')
  })
})
