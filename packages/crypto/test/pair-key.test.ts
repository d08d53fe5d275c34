import { describe, expect, it } from 'vitest'
import { DecryptionError, InvalidArgumentError, InvalidKeyError, derivePairKey, generateIdentity, type Identity } from '@ymesh/crypto'
import { deriveBackendPairKey as nodeBackend } from '../src/pair-key-node.js'
import { deriveBackendPairKey as webBackend } from '../src/pair-key-web.js'
import { fromHex, toHex } from './helpers.js'

const iv = new Uint8Array(12).fill(1)
const info = new Uint8Array([7, 7])
const aad = new Uint8Array([9])
const plaintext = new TextEncoder().encode('an offer, an answer, a few candidates')

describe('derivePairKey', () => {
  const pair = async (): Promise<[Identity, Identity]> => [
    await generateIdentity({ seed: new Uint8Array(32).fill(1) }),
    await generateIdentity({ seed: new Uint8Array(32).fill(2) })
  ]

  it('gives both ends the same key: what one seals the other opens', async () => {
    const [a, b] = await pair()
    const ab = await derivePairKey(a.agreementKey, b.agreementPublicKey, info)
    const ba = await derivePairKey(b.agreementKey, a.agreementPublicKey, info)
    expect(await ba.open(iv, await ab.seal(iv, plaintext, aad), aad)).toEqual(plaintext)
  })

  it('node:crypto and WebCrypto backends produce the same bytes and open each other\'s', async () => {
    const [a, b] = await pair()
    const viaNode = await nodeBackend(a.agreementKey, b.agreementPublicKey, info)
    const viaWeb = await webBackend(b.agreementKey, a.agreementPublicKey, info)
    const sealedNode = await viaNode.seal(iv, plaintext, aad)
    const sealedWeb = await viaWeb.seal(iv, plaintext, aad)
    expect(toHex(sealedNode)).toBe(toHex(sealedWeb))
    expect(sealedNode.length).toBe(plaintext.length + 16)
    expect(await viaWeb.open(iv, sealedNode, aad)).toEqual(plaintext)
    expect(await viaNode.open(iv, sealedWeb, aad)).toEqual(plaintext)
  })

  it('binds the key to info: another purpose or direction cannot open it', async () => {
    const [a, b] = await pair()
    const sealed = await (await derivePairKey(a.agreementKey, b.agreementPublicKey, info)).seal(iv, plaintext, aad)
    const other = await derivePairKey(b.agreementKey, a.agreementPublicKey, new Uint8Array([7, 8]))
    await expect(other.open(iv, sealed, aad)).rejects.toBeInstanceOf(DecryptionError)
  })

  it('refuses altered ciphertext, tag, IV or associated data with DecryptionError', async () => {
    const [a, b] = await pair()
    const ab = await derivePairKey(a.agreementKey, b.agreementPublicKey, info)
    const ba = await derivePairKey(b.agreementKey, a.agreementPublicKey, info)
    const sealed = await ab.seal(iv, plaintext, aad)
    const flip = (bytes: Uint8Array, at: number): Uint8Array => { const c = bytes.slice(); c[at] = (c[at] ?? 0) ^ 1; return c }
    await expect(ba.open(iv, flip(sealed, 0), aad)).rejects.toBeInstanceOf(DecryptionError)
    await expect(ba.open(iv, flip(sealed, sealed.length - 1), aad)).rejects.toBeInstanceOf(DecryptionError)
    await expect(ba.open(flip(iv, 3), sealed, aad)).rejects.toBeInstanceOf(DecryptionError)
    await expect(ba.open(iv, sealed, new Uint8Array([8]))).rejects.toBeInstanceOf(DecryptionError)
    await expect(ba.open(iv, sealed.subarray(0, 15), aad)).rejects.toBeInstanceOf(DecryptionError)
  })

  it('refuses a small-order public key (all-zero secret) and bad arguments with named errors', async () => {
    const [a] = await pair()
    // u = 0 and u = 1 are points of small order: X25519 with them gives an all-zero secret.
    await expect(derivePairKey(a.agreementKey, new Uint8Array(32), info)).rejects.toBeInstanceOf(InvalidKeyError)
    await expect(derivePairKey(a.agreementKey, fromHex('01'.padEnd(64, '0')), info)).rejects.toBeInstanceOf(InvalidKeyError)
    await expect(derivePairKey(a.agreementKey, new Uint8Array(31), info)).rejects.toBeInstanceOf(InvalidArgumentError)
    const key = await derivePairKey(a.agreementKey, (await generateIdentity()).agreementPublicKey, info)
    await expect(key.seal(new Uint8Array(8), plaintext, aad)).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})
