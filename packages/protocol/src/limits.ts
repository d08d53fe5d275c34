/**
 * Every protocol constant, in one place (ARCHITECTURE.md: one source of truth per constant).
 * PROTOCOL.md documents each of them in its limits table; a unit test keeps the two in step.
 *
 * Sizes are bytes on the wire; string limits are UTF-8 bytes, because that is what a decoder
 * can check before it allocates anything.
 */

/** The envelope/handshake protocol version this implementation speaks. */
export const PROTOCOL_VERSION = 1

/** Every version this implementation can decode, in order of preference (newest first). */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = Object.freeze([1])

/**
 * Largest frame (tag + payload) sent or accepted on a ymesh link. 16 KiB is the size every
 * WebRTC stack delivers without fragmentation trouble; bigger messages are chunked.
 */
export const MAX_FRAME_SIZE = 16 * 1024

/**
 * Largest single data-channel message accepted from a stock y-webrtc peer, which sends whole
 * y-protocols messages unchunked. 256 KiB is the largest message @roamhq/wrtc and Chromium
 * deliver at all (FACTS.md).
 */
export const LEGACY_MAX_FRAME_SIZE = 256 * 1024

/** Largest message (tag + payload) after reassembly from chunks. */
export const MAX_MESSAGE_SIZE = 8 * 1024 * 1024

/**
 * Per-connection cap on memory held by partially reassembled messages, chunk bookkeeping
 * included. Above one message's size so a large transfer and small interleaved messages
 * can be in flight together, and bounded so a hostile peer cannot grow it.
 */
export const MAX_REASSEMBLY_BYTES = 12 * 1024 * 1024

/** Per-connection cap on messages being reassembled at the same time. */
export const MAX_PARTIAL_MESSAGES = 8

/** Most chunks one message may be split into. 8 MiB in ~16 KiB chunks needs 513. */
export const MAX_CHUNK_COUNT = 1024

/**
 * Bytes charged against MAX_REASSEMBLY_BYTES for each stored chunk on top of its data, so a
 * stream of one-byte chunks cannot hold much more memory than the cap says.
 */
export const CHUNK_OVERHEAD_BYTES = 64

/** Largest chunk and ping sequence number; sequence numbers wrap to 0 after it. */
export const MAX_SEQUENCE = 0xffff_ffff

/** Largest message tag accepted in a frame or as an envelope payload type. */
export const MAX_TAG = 0xffff

/** Largest string field that has no tighter limit of its own (UTF-8 bytes). */
export const MAX_STRING_BYTES = 4096

/** Longest peer id: [A-Za-z0-9_-]{1,64} (43 for an Ed25519 key in base64url, 36 for a uuid). */
export const MAX_PEER_ID_LENGTH = 64

/** Longest topic (room or gossip topic) in UTF-8 bytes. */
export const MAX_TOPIC_LENGTH = 256

/** Size of an envelope's message id: 128 random bits. */
export const MESSAGE_ID_SIZE = 16

/** Largest signature field (Ed25519 uses 64; the field stays length-prefixed for later schemes). */
export const MAX_SIGNATURE_SIZE = 128

/** Size of the handshake nonce. */
export const HELLO_NONCE_SIZE = 32

/** Most protocol versions one hello may list. */
export const MAX_VERSION_COUNT = 16

/** Largest envelope TTL: the most hops a message may travel. */
export const MAX_TTL = 32

/** TTL given to an envelope when the sender does not choose one. */
export const DEFAULT_TTL = 8

/** Longest varUint accepted on the wire: 8 bytes carry 56 bits, enough for any safe integer. */
export const MAX_VARUINT_BYTES = 8

/** Domain prefix of an envelope's signing input, so its signatures never validate as anything else. */
export const ENVELOPE_SIGNING_DOMAIN = 'ymesh/envelope/v1'
