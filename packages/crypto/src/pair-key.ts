/**
 * A key two peers agree on once, for many small messages between them: X25519 of their static
 * agreement keys, HKDF-SHA-256 (salt empty, `info` chosen by the caller to bind the key to a
 * purpose and a direction) to an AES-256-GCM key.
 *
 *   key    = HKDF-SHA-256(ikm = X25519(self, remote), salt = '', info)
 *   sealed = ciphertext ‖ tag (16)            (the caller frames the IV and the AAD)
 *
 * In Node the agreement and every seal and open run synchronously in node:crypto (tens of
 * microseconds for a capsule). WebCrypto in Node sends each operation through libuv's thread
 * pool, one queue with every verification the peer has in flight: in the 50-peer real-WebRTC
 * bench a relayed signal waited there for up to a second at each end (docs/hybrid-signaling.md).
 * Browsers use WebCrypto. The two produce the same bytes (test/pair-key.test.ts and the
 * Chromium smoke test).
 */
import { deriveBackendPairKey } from '#pair-key-backend'
import { DecryptionError, InvalidKeyError } from './errors.js'
import { describe, requireBytes } from './bytes.js'

export interface PairKey {
  /** AES-256-GCM: ciphertext ‖ tag. `iv`: 12 bytes, never reused with this key. */
  seal: (iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array) => Promise<Uint8Array>
  /** Rejects with DecryptionError unless `sealed` was sealed under this key with this IV and AAD. */
  open: (iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array) => Promise<Uint8Array>
}

/** What a backend (node:crypto or WebCrypto) provides. */
export interface PairKeyBackend {
  seal: (iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array) => Uint8Array | Promise<Uint8Array>
  open: (iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array) => Uint8Array | Promise<Uint8Array>
}

/**
 * Agree on a pair key with the holder of `remoteX25519` (32 bytes; an Ed25519 key converted
 * with ed25519PublicKeyToX25519), using this peer's `agreementKey` (Identity.agreementKey).
 * Rejects with InvalidKeyError for a public key that is no X25519 key or of small order.
 */
export const derivePairKey = async (agreementKey: CryptoKey, remoteX25519: Uint8Array, info: Uint8Array): Promise<PairKey> => {
  requireBytes(remoteX25519, 'remoteX25519', 32)
  requireBytes(info, 'info')
  let backend: PairKeyBackend
  try {
    backend = await deriveBackendPairKey(agreementKey, remoteX25519, info)
  } catch (cause) {
    throw new InvalidKeyError(`No pair key with this X25519 public key (${describe(remoteX25519)}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
  return {
    seal: async (iv, plaintext, aad) => await backend.seal(requireBytes(iv, 'iv', 12), requireBytes(plaintext, 'plaintext'), requireBytes(aad, 'aad')),
    open: async (iv, sealed, aad) => {
      requireBytes(iv, 'iv', 12)
      requireBytes(sealed, 'sealed')
      requireBytes(aad, 'aad')
      if (sealed.length < 16) throw new DecryptionError(`A pair-sealed message has at least its 16-byte tag; got ${sealed.length} bytes.`)
      try {
        return await backend.open(iv, sealed, aad)
      } catch (cause) {
        throw new DecryptionError('Could not open a pair-sealed message: wrong key, IV or associated data, or altered bytes.', { cause })
      }
    }
  }
}
