/**
 * Yjs clientIDs bound to identities: the clientID a peer may write under is a hash of its
 * public key, so replicas can check authorship (Y.parseUpdateMeta(update).from) and two
 * peers never share a clientID (which would make replicas diverge for good). All 53 bits a
 * JS number holds exactly are used: at 32 bits a collision with a victim's id can be ground
 * in ~2^31 hashes; at 53 it takes ~2^53.
 */
import * as encoding from 'lib0/encoding'
import { InvalidArgumentError, InvalidKeyError } from './errors.js'
import { describe, utf8 } from './bytes.js'
import { PUBLIC_KEY_LENGTH } from './peer-id.js'
import { sha256 } from './webcrypto.js'

const DOMAIN = utf8('ymesh/yjs-client-id/v1')
const MAX_CLIENT_ID = 2 ** 53 - 1

/**
 * clientID number `index` of the identity with Ed25519 public key `publicKey`: an integer in
 * [1, 2^53 − 1]. `index` lets one identity hold several (one per document, or a fresh one
 * after losing local state, which Yjs requires).
 */
export const clientIdFromPublicKey = async (publicKey: Uint8Array, index = 0): Promise<number> => {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new InvalidKeyError(`An Ed25519 public key is ${PUBLIC_KEY_LENGTH} bytes, got ${describe(publicKey)}.`)
  }
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new InvalidArgumentError(`A clientID index is a non-negative safe integer, got ${String(index)}.`)
  }
  const encoder = encoding.createEncoder()
  encoding.writeUint8Array(encoder, DOMAIN)
  encoding.writeUint8Array(encoder, publicKey)
  encoding.writeVarUint(encoder, index)
  const digest = await sha256(encoding.toUint8Array(encoder) as Uint8Array<ArrayBuffer>)
  let n = 0n
  for (let i = 0; i < 8; i++) n = (n << 8n) | BigInt(digest[i]!)
  // Modulo bias is ~2^-11 of one value's probability mass: irrelevant for grinding cost.
  return Number(n % BigInt(MAX_CLIENT_ID)) + 1
}
