/**
 * Every constant of @ymesh/sync's wire grammar and its defaults, in one place. They move to
 * @ymesh/protocol once the signed-update grammar joins PROTOCOL.md; until then README.md
 * documents each of them.
 */

/** Version of the signed-update and signed-awareness grammars. */
export const SIGNED_UPDATE_VERSION = 1

/** Signature domain of a signed update (header + payload). */
export const SIGNED_UPDATE_DOMAIN = 'ymesh/sync-update/v1'

/** Signature domain of a signed awareness entry. */
export const SIGNED_AWARENESS_DOMAIN = 'ymesh/sync-awareness/v1'

/** Room-key sealing domain of an encrypted update payload. */
export const PAYLOAD_SEAL_DOMAIN = 'ymesh/sync-payload/v1'

/** Signature domain whose (deterministic Ed25519) signature derives a local store's MAC key. */
export const STORE_KEY_DOMAIN = 'ymesh/sync-store-key/v1'

/** Flag bit of a signed update: the payload is sealed with the room key. */
export const FLAG_SEALED = 1

/** Longest document id, UTF-8 bytes. */
export const MAX_DOC_ID_BYTES = 256

/** Largest payload of one signed update (a Yjs update, or its sealed form). */
export const MAX_UPDATE_BYTES = 8 * 1024 * 1024 - 1024

/** Largest awareness state (JSON, UTF-8 bytes). */
export const MAX_AWARENESS_STATE_BYTES = 64 * 1024

/** Most entries in a state vector or log vector on the wire. */
export const MAX_VECTOR_ENTRIES = 100_000

/** Most updates one sync-response carries; a larger answer is split across responses. */
export const MAX_UPDATES_PER_RESPONSE = 10_000

/** Largest safe integer: clientIDs, clocks and sequence numbers are at most this. */
export const MAX_SAFE = Number.MAX_SAFE_INTEGER

/** Message types of the sync grammar (the first varUint of every sync message). */
export const SyncMessageType = Object.freeze({
  SyncRequest: 0,
  SyncResponse: 1,
  Update: 2,
  Awareness: 3,
  UnsignedUpdate: 4
} as const)
export type SyncMessageType = (typeof SyncMessageType)[keyof typeof SyncMessageType]

/** Default window over which local transactions are merged and signed once. */
export const DEFAULT_BATCH_WINDOW_MS = 16
/** Records appended before the store is rewritten with a snapshot (AuthenticatedDoc's snapshotAfter). */
export const DEFAULT_SNAPSHOT_AFTER = 1000

/** Default caps on updates held for missing dependencies, per sender. */
export const DEFAULT_PENDING_MAX_COUNT = 256
export const DEFAULT_PENDING_MAX_BYTES = 4 * 1024 * 1024
export const DEFAULT_PENDING_MAX_AGE_MS = 30_000
