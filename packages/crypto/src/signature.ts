/**
 * Ed25519 signatures with domain separation: what is signed is
 * 'ymesh-sig/v1' ‖ varUint(len(domain)) ‖ domain ‖ bytes, so a signature made for one
 * purpose (say, an awareness update) can never be replayed as another (a capability).
 */
import * as encoding from 'lib0/encoding'
import type { PeerId } from '@ymesh/protocol'
import { CryptoError, InvalidIdentityError, InvalidKeyError, InvalidSignatureError } from './errors.js'
import { describe, requireBytes, requireDomain, utf8 } from './bytes.js'
import type { Identity } from './identity.js'
import { publicKeyFromPeerId, PUBLIC_KEY_LENGTH } from './peer-id.js'
import { importPublicKey } from './public-key-cache.js'
import { guard, subtle } from './webcrypto.js'

export const SIGNATURE_LENGTH = 64
const SIGNATURE_PREFIX = utf8('ymesh-sig/v1')

/** The exact bytes Ed25519 signs for `domain` and `bytes`. */
export const signedMessage = (domain: string, bytes: Uint8Array): Uint8Array<ArrayBuffer> => {
  const encoder = encoding.createEncoder()
  encoding.writeUint8Array(encoder, SIGNATURE_PREFIX)
  encoding.writeVarString(encoder, requireDomain(domain))
  encoding.writeUint8Array(encoder, requireBytes(bytes, 'The bytes to sign'))
  return encoding.toUint8Array(encoder) as Uint8Array<ArrayBuffer>
}

export const sign = async (identity: Identity, domain: string, bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> => {
  const message = signedMessage(domain, bytes)
  if (identity === null || typeof identity !== 'object' || !(identity.signingKey instanceof CryptoKey)) {
    throw new InvalidIdentityError(`sign() needs an Identity from generateIdentity(), got ${describe(identity)}.`)
  }
  return new Uint8Array(await guard(
    () => subtle().sign('Ed25519', identity.signingKey, message),
    (cause) => new CryptoError('WebCrypto could not make an Ed25519 signature.', { cause })
  ))
}

/**
 * True iff `signature` is `signer`'s signature of `bytes` for `domain`. A well-formed
 * signature that does not verify — wrong signer, domain, bytes, or a 32-byte key that is
 * not a curve point — gives false. Only malformed arguments throw: InvalidPeerIdError,
 * InvalidKeyError (not 32 bytes), InvalidSignatureError (not 64 bytes).
 */
export const verify = async (signer: PeerId | Uint8Array, domain: string, bytes: Uint8Array, signature: Uint8Array): Promise<boolean> => {
  let publicKey: Uint8Array<ArrayBuffer>
  if (typeof signer === 'string') {
    publicKey = publicKeyFromPeerId(signer)
  } else if (signer instanceof Uint8Array && signer.length === PUBLIC_KEY_LENGTH) {
    publicKey = new Uint8Array(signer)
  } else {
    throw new InvalidKeyError(`verify() needs a peer id or a ${PUBLIC_KEY_LENGTH}-byte Ed25519 public key, got ${describe(signer)}.`)
  }
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LENGTH) {
    throw new InvalidSignatureError(`An Ed25519 signature is ${SIGNATURE_LENGTH} bytes, got ${describe(signature)}.`)
  }
  const message = signedMessage(domain, bytes)
  const s = subtle()
  try {
    const key = await importPublicKey('Ed25519', publicKey)
    return await s.verify('Ed25519', key, new Uint8Array(signature), message)
  } catch {
    // Some engines refuse to import a 32-byte string that is not a curve point; no
    // signature can verify against it, so the answer is the same as for a forged one.
    return false
  }
}
