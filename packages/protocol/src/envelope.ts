/**
 * The envelope: whatever travels more than one hop or needs an author. It names its author
 * (source), where it goes (a peer or a topic), how far it may travel, and carries a signature
 * over everything except the hop count, which forwarders increment.
 *
 * This package does no randomness and no signing: the caller supplies the 16-byte id and the
 * signature (made by @ymesh/crypto over envelopeSigningInput).
 */
import type * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as string from 'lib0/string'
import { InvalidMessageError, UnsupportedVersionError } from './errors.js'
import { writeTag } from './frame.js'
import {
  DEFAULT_TTL, ENVELOPE_SIGNING_DOMAIN, MAX_MESSAGE_SIZE, MAX_SIGNATURE_SIZE, MAX_TAG, MAX_TOPIC_LENGTH, MAX_TTL,
  MESSAGE_ID_SIZE, PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS
} from './limits.js'
import { readPeerId, writePeerId } from './peer-id.js'
import {
  decodeAll, readBoundedVarString, readBoundedVarUint, readBoundedVarUint8Array, readFixedUint8Array
} from './safe-decoding.js'
import { tagInfo, tagName } from './tags.js'
import type { PeerId } from './transport.js'

/** Where an envelope goes: one peer, or every subscriber of a topic (a room, a gossip topic). */
export type Destination =
  | { readonly kind: 'peer'; readonly peer: PeerId }
  | { readonly kind: 'topic'; readonly topic: string }

const DESTINATION_PEER = 0
const DESTINATION_TOPIC = 1

export interface Envelope {
  readonly version: number
  /** MESSAGE_ID_SIZE random bytes chosen by the author; the key for duplicate suppression. */
  readonly id: Uint8Array
  /** The author. */
  readonly source: PeerId
  readonly destination: Destination
  /** Most links this message may cross, 1–MAX_TTL (1: the author's neighbours only). Signed. */
  readonly ttl: number
  /** Times forwarded so far, 0 to ttl − 1 (0 as the author sends it). Not signed: every forwarder increments it. */
  readonly hops: number
  /** The tag of the payload's grammar (tags.ts); link-scoped tags are not allowed. */
  readonly payloadType: number
  readonly payload: Uint8Array
  /** Up to MAX_SIGNATURE_SIZE bytes; empty before signing. */
  readonly signature: Uint8Array
}

export interface CreateEnvelopeOptions {
  readonly id: Uint8Array
  readonly source: PeerId
  readonly destination: Destination
  readonly payloadType: number
  readonly payload: Uint8Array
  readonly ttl?: number
}

/** A fresh, unsigned envelope at hop 0 in the current protocol version. */
export const createEnvelope = (options: CreateEnvelopeOptions): Envelope => {
  const envelope: Envelope = {
    version: PROTOCOL_VERSION,
    id: options.id,
    source: options.source,
    destination: options.destination,
    ttl: options.ttl ?? DEFAULT_TTL,
    hops: 0,
    payloadType: options.payloadType,
    payload: options.payload,
    signature: new Uint8Array(0)
  }
  checkEnvelope(envelope)
  return envelope
}

/**
 * The envelope as the next peer receives it (hop count + 1), or null when its TTL is spent
 * and it must not be forwarded. The signature stays valid: the hop count is not signed.
 */
export const nextHop = (envelope: Envelope): Envelope | null =>
  envelope.hops + 1 >= envelope.ttl ? null : { ...envelope, hops: envelope.hops + 1 }

const invalid = (what: string): never => {
  throw new InvalidMessageError(`cannot encode envelope: ${what}`)
}

const isIntIn = (value: number, min: number, max: number): boolean =>
  Number.isInteger(value) && value >= min && value <= max

const checkTopic = (topic: string): Uint8Array => {
  const bytes = string.encodeUtf8(topic)
  if (bytes.length < 1 || bytes.length > MAX_TOPIC_LENGTH) {
    invalid(`a topic is 1 to ${MAX_TOPIC_LENGTH} UTF-8 bytes, not ${bytes.length}`)
  }
  // A lone surrogate would be replaced while encoding, and the signature would cover another topic.
  if (string.decodeUtf8(bytes) !== topic) invalid('the topic is not well-formed Unicode')
  return bytes
}

const checkPayloadType = (payloadType: number): void => {
  if (!isIntIn(payloadType, 0, MAX_TAG)) invalid(`payload type ${payloadType} is not a tag from 0 to ${MAX_TAG}`)
  if (tagInfo(payloadType)?.scope === 'link') {
    invalid(`'${tagName(payloadType)}' is link-scoped and never travels in an envelope`)
  }
}

/** Throws InvalidMessageError (or UnsupportedVersionError) naming the first bad field. */
export const checkEnvelope = (envelope: Envelope): void => {
  if (!SUPPORTED_PROTOCOL_VERSIONS.includes(envelope.version)) {
    throw new UnsupportedVersionError(envelope.version, SUPPORTED_PROTOCOL_VERSIONS)
  }
  if (!(envelope.id instanceof Uint8Array) || envelope.id.length !== MESSAGE_ID_SIZE) {
    invalid(`the id must be ${MESSAGE_ID_SIZE} random bytes`)
  }
  if (!isIntIn(envelope.ttl, 1, MAX_TTL)) invalid(`ttl ${envelope.ttl} is not an integer from 1 to ${MAX_TTL}`)
  if (!isIntIn(envelope.hops, 0, envelope.ttl - 1)) invalid(`hops ${envelope.hops} is not an integer from 0 to ttl − 1 (${envelope.ttl - 1})`)
  checkPayloadType(envelope.payloadType)
  if (!(envelope.payload instanceof Uint8Array) || envelope.payload.length > MAX_MESSAGE_SIZE) {
    invalid(`the payload must be a Uint8Array of at most ${MAX_MESSAGE_SIZE} bytes`)
  }
  if (!(envelope.signature instanceof Uint8Array) || envelope.signature.length > MAX_SIGNATURE_SIZE) {
    invalid(`the signature must be a Uint8Array of at most ${MAX_SIGNATURE_SIZE} bytes`)
  }
  const destination = envelope.destination
  if (destination.kind === 'topic') checkTopic(destination.topic)
  else if (destination.kind !== 'peer') invalid('destination.kind must be \'peer\' or \'topic\'')
}

const writeDestination = (encoder: encoding.Encoder, destination: Destination): void => {
  if (destination.kind === 'peer') {
    encoding.writeVarUint(encoder, DESTINATION_PEER)
    writePeerId(encoder, destination.peer)
  } else {
    encoding.writeVarUint(encoder, DESTINATION_TOPIC)
    encoding.writeVarUint8Array(encoder, checkTopic(destination.topic))
  }
}

const readDestination = (decoder: decoding.Decoder): Destination => {
  const kind = readBoundedVarUint(decoder, DESTINATION_TOPIC, 'envelope destination kind')
  if (kind === DESTINATION_PEER) return { kind: 'peer', peer: readPeerId(decoder, 'envelope destination peer') }
  const topic = readBoundedVarString(decoder, MAX_TOPIC_LENGTH, 'envelope destination topic')
  if (topic.length === 0) throw new InvalidMessageError('envelope destination topic is empty')
  return { kind: 'topic', topic }
}

export const writeEnvelope = (encoder: encoding.Encoder, envelope: Envelope): void => {
  checkEnvelope(envelope)
  encoding.writeVarUint(encoder, envelope.version)
  encoding.writeUint8Array(encoder, envelope.id)
  writePeerId(encoder, envelope.source)
  writeDestination(encoder, envelope.destination)
  encoding.writeVarUint(encoder, envelope.ttl)
  encoding.writeVarUint(encoder, envelope.hops)
  writeTag(encoder, envelope.payloadType)
  encoding.writeVarUint8Array(encoder, envelope.payload)
  encoding.writeVarUint8Array(encoder, envelope.signature)
}

export const readEnvelope = (decoder: decoding.Decoder): Envelope => {
  // The version comes first so a peer can refuse a newer grammar before parsing it.
  const version = readBoundedVarUint(decoder, MAX_TAG, 'envelope version')
  if (!SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    throw new UnsupportedVersionError(version, SUPPORTED_PROTOCOL_VERSIONS)
  }
  const id = readFixedUint8Array(decoder, MESSAGE_ID_SIZE, 'envelope id')
  const source = readPeerId(decoder, 'envelope source')
  const destination = readDestination(decoder)
  const ttl = readBoundedVarUint(decoder, MAX_TTL, 'envelope ttl')
  if (ttl < 1) throw new InvalidMessageError('envelope ttl is 0; an envelope must be allowed at least one hop')
  const hops = readBoundedVarUint(decoder, ttl - 1, 'envelope hops (below its ttl)')
  const payloadType = readBoundedVarUint(decoder, MAX_TAG, 'envelope payload type')
  if (tagInfo(payloadType)?.scope === 'link') {
    throw new InvalidMessageError(`envelope carries '${tagName(payloadType)}', a link-scoped message that never travels in an envelope`)
  }
  const payload = readBoundedVarUint8Array(decoder, MAX_MESSAGE_SIZE, 'envelope payload')
  const signature = readBoundedVarUint8Array(decoder, MAX_SIGNATURE_SIZE, 'envelope signature')
  return { version, id, source, destination, ttl, hops, payloadType, payload, signature }
}

/** Payload of an 'envelope' frame. */
export const encodeEnvelope = (envelope: Envelope): Uint8Array => encoding.encode((encoder) => writeEnvelope(encoder, envelope))

/** Decode the payload of an 'envelope' frame. id, payload and signature are views into `payload`. */
export const decodeEnvelope = (payload: Uint8Array): Envelope => decodeAll(payload, 'envelope', readEnvelope)

/**
 * The exact bytes to sign and verify: the domain prefix, then every field except the hop
 * count and the signature, each length-prefixed or fixed-size so no two envelopes that differ
 * in version, payload type, destination, source, id, ttl or payload share a signing input.
 */
export const envelopeSigningInput = (envelope: Envelope): Uint8Array => {
  checkEnvelope(envelope)
  return encoding.encode((encoder) => {
    encoding.writeVarString(encoder, ENVELOPE_SIGNING_DOMAIN)
    encoding.writeVarUint(encoder, envelope.version)
    encoding.writeVarUint(encoder, envelope.payloadType)
    writeDestination(encoder, envelope.destination)
    writePeerId(encoder, envelope.source)
    encoding.writeUint8Array(encoder, envelope.id)
    encoding.writeVarUint(encoder, envelope.ttl)
    encoding.writeVarUint8Array(encoder, envelope.payload)
  })
}

/** The envelope with `signature` set (a copy; envelopes are immutable values). */
export const withSignature = (envelope: Envelope, signature: Uint8Array): Envelope => {
  const signed = { ...envelope, signature }
  checkEnvelope(signed)
  return signed
}
