// Pair keys on WebCrypto (browsers, and any host without node:crypto). Selected through
// package.json "imports" (#pair-key-backend, every condition but "node").
import type { PairKeyBackend } from './pair-key.js'
import { subtle } from './webcrypto.js'

const copy = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes)

export const deriveBackendPairKey = async (agreementKey: CryptoKey, remoteX25519: Uint8Array, info: Uint8Array): Promise<PairKeyBackend> => {
  const s = subtle()
  const remote = await s.importKey('raw', copy(remoteX25519), { name: 'X25519' }, false, [])
  const shared = new Uint8Array(await s.deriveBits({ name: 'X25519', public: remote }, agreementKey, 256))
  // RFC 7748 §6.1: an all-zero secret means a small-order public key.
  if (shared.every((b) => b === 0)) throw new Error('all-zero X25519 shared secret')
  const material = await s.importKey('raw', shared, 'HKDF', false, ['deriveBits'])
  shared.fill(0)
  const bytes = new Uint8Array(await s.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: copy(info) }, material, 256))
  const key = await s.importKey('raw', bytes, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt'])
  bytes.fill(0)
  return {
    seal: async (iv, plaintext, aad) => new Uint8Array(await s.encrypt({ name: 'AES-GCM', iv: copy(iv), additionalData: copy(aad) }, key, copy(plaintext))),
    open: async (iv, sealed, aad) => new Uint8Array(await s.decrypt({ name: 'AES-GCM', iv: copy(iv), additionalData: copy(aad) }, key, copy(sealed)))
  }
}
