// Pair keys on node:crypto, synchronously (see pair-key.ts for why). Selected through
// package.json "imports" (#pair-key-backend, condition "node").
import { KeyObject, createCipheriv, createDecipheriv, createPublicKey, createSecretKey, diffieHellman, hkdfSync } from 'node:crypto'
import type { PairKeyBackend } from './pair-key.js'

const TAG = 16
/** The agreement key as a KeyObject, made once per CryptoKey. */
const privateKeys = new WeakMap<CryptoKey, KeyObject>()

export const deriveBackendPairKey = async (agreementKey: CryptoKey, remoteX25519: Uint8Array, info: Uint8Array): Promise<PairKeyBackend> => {
  let privateKey = privateKeys.get(agreementKey)
  if (privateKey === undefined) {
    privateKey = KeyObject.from(agreementKey)
    privateKeys.set(agreementKey, privateKey)
  }
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(remoteX25519).toString('base64url') }, format: 'jwk' })
  const shared = diffieHellman({ privateKey, publicKey })
  // RFC 7748 §6.1: an all-zero secret means a small-order public key.
  if (shared.every((b) => b === 0)) throw new Error('all-zero X25519 shared secret')
  const keyBytes = Buffer.from(hkdfSync('sha256', shared, new Uint8Array(0), info, 32))
  shared.fill(0)
  const key = createSecretKey(keyBytes)
  keyBytes.fill(0)
  return {
    seal: (iv, plaintext, aad) => {
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(aad)
      const head = cipher.update(plaintext)
      const tail = cipher.final()
      const out = new Uint8Array(head.length + tail.length + TAG)
      out.set(head, 0)
      out.set(tail, head.length)
      out.set(cipher.getAuthTag(), head.length + tail.length)
      return out
    },
    open: (iv, sealed, aad) => {
      const decipher = createDecipheriv('aes-256-gcm', key, iv)
      decipher.setAAD(aad)
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG))
      const head = decipher.update(sealed.subarray(0, sealed.length - TAG))
      const tail = decipher.final() // throws unless the tag verifies
      const out = new Uint8Array(head.length + tail.length)
      out.set(head, 0)
      out.set(tail, head.length)
      return out
    }
  }
}
