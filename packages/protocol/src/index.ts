export type {
  PeerId,
  Timer,
  Clock,
  Rng,
  SignalData,
  IceCandidate,
  LinkState,
  LinkCloseEvent,
  LinkEvents,
  Observable,
  Link,
  CreateLinkOptions,
  Transport
} from './transport.js'

export { Tag, TAGS, tagInfo, isKnownTag, expectKnownTag, tagName } from './tags.js'
export type { TagInfo, TagStatus, TagScope } from './tags.js'

export {
  PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  MAX_FRAME_SIZE,
  LEGACY_MAX_FRAME_SIZE,
  MAX_MESSAGE_SIZE,
  MAX_REASSEMBLY_BYTES,
  MAX_PARTIAL_MESSAGES,
  MAX_CHUNK_COUNT,
  CHUNK_OVERHEAD_BYTES,
  MAX_SEQUENCE,
  MAX_TAG,
  MAX_STRING_BYTES,
  MAX_PEER_ID_LENGTH,
  MAX_TOPIC_LENGTH,
  MESSAGE_ID_SIZE,
  MAX_SIGNATURE_SIZE,
  HELLO_NONCE_SIZE,
  MAX_VERSION_COUNT,
  MAX_TTL,
  DEFAULT_TTL,
  MAX_VARUINT_BYTES,
  ENVELOPE_SIGNING_DOMAIN
} from './limits.js'

export {
  ProtocolError,
  InvalidMessageError,
  UnsupportedVersionError,
  MessageTooLargeError,
  UnknownTagError,
  LinkClosedError,
  PROTOCOL_ERROR_NAMES,
  isProtocolError
} from './errors.js'

export {
  readBoundedVarUint,
  readFixedUint8Array,
  readBoundedVarUint8Array,
  readBoundedVarString,
  expectEnd,
  decodeAll
} from './safe-decoding.js'

export { isValidPeerIdString, toPeerId, writePeerId, readPeerId } from './peer-id.js'

export { writeTag, encodeFrame, decodeFrame } from './frame.js'
export type { Frame, FrameSizeOptions } from './frame.js'

export {
  writeHello,
  readHello,
  encodeHello,
  decodeHello,
  writeHelloProof,
  readHelloProof,
  encodeHelloProof,
  decodeHelloProof,
  selectVersion
} from './handshake.js'
export type { Hello, HelloProof } from './handshake.js'

export { writePing, readPing, encodePing, decodePing, encodePong, decodePong } from './ping.js'
export type { Ping, Pong } from './ping.js'
export { writeClose, readClose, encodeClose, decodeClose } from './close.js'
export type { Close, CloseKind } from './close.js'

export {
  createEnvelope,
  nextHop,
  checkEnvelope,
  writeEnvelope,
  readEnvelope,
  encodeEnvelope,
  decodeEnvelope,
  envelopeSigningInput,
  withSignature
} from './envelope.js'
export type { Envelope, Destination, CreateEnvelopeOptions } from './envelope.js'

export { writeChunk, readChunk, encodeChunk, decodeChunk, Chunker, Reassembler } from './chunking.js'
export type { Chunk, ChunkerOptions, ReassemblerOptions } from './chunking.js'

export {
  ROUTE_METRIC_INFINITY,
  MAX_ROUTE_SEQNO,
  MAX_ROUTE_ADVERT_ITEMS,
  MAX_ROUTE_DICTIONARY_SIZE,
  MAX_ROUTE_HOPS,
  encodeRouteAdvert,
  decodeRouteAdvert,
  encodeRoutedBody,
  decodeRoutedBody,
  encodeRouteAck,
  decodeRouteAck,
  routedSealDomain
} from './routing.js'
export type { RouteRef, RouteAdvertItem, RoutedBody } from './routing.js'

export { packSignal, unpackSignal, PACKED_SIGNAL_FORMAT, MAX_SDP_LENGTH, MAX_CANDIDATE_LENGTH } from './signal-pack.js'
export type { PackedSignal } from './signal-pack.js'
