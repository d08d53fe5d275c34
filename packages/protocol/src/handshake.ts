/**
 * Frame grammar of the handshake (tags 'hello' and 'hello-proof'). What is signed, and when a
 * handshake succeeds, is @ymesh/core's business; this module only says how the bytes look.
 */
import type * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { InvalidMessageError, UnsupportedVersionError } from './errors.js'
import { HELLO_NONCE_SIZE, MAX_SIGNATURE_SIZE, MAX_TAG, MAX_VERSION_COUNT, SUPPORTED_PROTOCOL_VERSIONS } from './limits.js'
import { readPeerId, writePeerId } from './peer-id.js'
import { decodeAll, readBoundedVarUint, readBoundedVarUint8Array, readFixedUint8Array } from './safe-decoding.js'
import type { PeerId } from './transport.js'

export interface Hello {
  /** Protocol versions the sender speaks, newest first; 1–MAX_VERSION_COUNT entries. */
  readonly versions: readonly number[]
  /** HELLO_NONCE_SIZE fresh random bytes, for the other side to sign. */
  readonly nonce: Uint8Array
  /** Who the sender claims to be; unproven until the signature checks out. */
  readonly peerId: PeerId
  /** Up to MAX_SIGNATURE_SIZE bytes; empty when the proof follows in a 'hello-proof'. */
  readonly signature: Uint8Array
}

export interface HelloProof {
  readonly signature: Uint8Array
}

const checkSignature = (signature: Uint8Array): void => {
  if (!(signature instanceof Uint8Array) || signature.length > MAX_SIGNATURE_SIZE) {
    throw new InvalidMessageError(`cannot encode signature: it must be a Uint8Array of at most ${MAX_SIGNATURE_SIZE} bytes`)
  }
}

const checkVersion = (version: number): void => {
  if (!Number.isInteger(version) || version < 1 || version > MAX_TAG) {
    throw new InvalidMessageError(`cannot encode protocol version ${version}: versions are integers from 1 to ${MAX_TAG}`)
  }
}

export const writeHello = (encoder: encoding.Encoder, hello: Hello): void => {
  if (hello.versions.length < 1 || hello.versions.length > MAX_VERSION_COUNT) {
    throw new InvalidMessageError(`cannot encode hello: list 1 to ${MAX_VERSION_COUNT} versions, not ${hello.versions.length}`)
  }
  hello.versions.forEach(checkVersion)
  if (!(hello.nonce instanceof Uint8Array) || hello.nonce.length !== HELLO_NONCE_SIZE) {
    throw new InvalidMessageError(`cannot encode hello: the nonce must be ${HELLO_NONCE_SIZE} bytes`)
  }
  checkSignature(hello.signature)
  encoding.writeVarUint(encoder, hello.versions.length)
  for (const version of hello.versions) encoding.writeVarUint(encoder, version)
  encoding.writeUint8Array(encoder, hello.nonce)
  writePeerId(encoder, hello.peerId)
  encoding.writeVarUint8Array(encoder, hello.signature)
}

export const readHello = (decoder: decoding.Decoder): Hello => {
  const count = readBoundedVarUint(decoder, MAX_VERSION_COUNT, 'hello version count')
  if (count < 1) throw new InvalidMessageError('hello lists no protocol version')
  const versions: number[] = []
  for (let i = 0; i < count; i++) {
    const version = readBoundedVarUint(decoder, MAX_TAG, 'hello version')
    if (version < 1) throw new InvalidMessageError('hello lists protocol version 0, which does not exist')
    versions.push(version)
  }
  const nonce = readFixedUint8Array(decoder, HELLO_NONCE_SIZE, 'hello nonce')
  const peerId = readPeerId(decoder, 'hello peer id')
  const signature = readBoundedVarUint8Array(decoder, MAX_SIGNATURE_SIZE, 'hello signature')
  return { versions, nonce, peerId, signature }
}

/** Payload of a 'hello' frame. */
export const encodeHello = (hello: Hello): Uint8Array => encoding.encode((encoder) => writeHello(encoder, hello))

/** Decode the payload of a 'hello' frame. Byte fields are views into `payload`. */
export const decodeHello = (payload: Uint8Array): Hello => decodeAll(payload, 'hello', readHello)

export const writeHelloProof = (encoder: encoding.Encoder, proof: HelloProof): void => {
  checkSignature(proof.signature)
  encoding.writeVarUint8Array(encoder, proof.signature)
}

export const readHelloProof = (decoder: decoding.Decoder): HelloProof =>
  ({ signature: readBoundedVarUint8Array(decoder, MAX_SIGNATURE_SIZE, 'hello-proof signature') })

export const encodeHelloProof = (proof: HelloProof): Uint8Array => encoding.encode((encoder) => writeHelloProof(encoder, proof))

export const decodeHelloProof = (payload: Uint8Array): HelloProof => decodeAll(payload, 'hello-proof', readHelloProof)

/**
 * The newest version both sides speak. Throws UnsupportedVersionError (naming their newest)
 * when there is none: the peers cannot talk, and the older one must upgrade.
 */
export const selectVersion = (theirs: readonly number[], ours: readonly number[] = SUPPORTED_PROTOCOL_VERSIONS): number => {
  let best = -1
  for (const version of theirs) {
    if (ours.includes(version) && version > best) best = version
  }
  if (best < 0) throw new UnsupportedVersionError(Math.max(0, ...theirs), ours)
  return best
}
