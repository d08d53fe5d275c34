/**
 * Why an inbound update or awareness entry was not applied. Every drop is counted in
 * stats.drops and emitted as a 'drop' event; none throws past receive().
 */
export type DropReason =
  /** Bytes that do not follow the grammar, or a payload Yjs cannot decode. */
  | 'malformed'
  /** For another document than this one. */
  | 'wrong-document'
  /** The signature is not the named author's. */
  | 'bad-signature'
  /** The clientID is not the one the author's key and index give, or the payload writes under another. */
  | 'clientid-not-bound'
  /** The clientID already belongs to another author (or to unauthenticated content). */
  | 'clientid-bound-to-other'
  /** The header's clock range does not match what the payload inserts. */
  | 'header-mismatch'
  /** The sender's pending queue (missing dependencies) is full. */
  | 'pending-overflow'
  /** Held for missing dependencies longer than the age cap. */
  | 'pending-expired'
  /** Unsigned content in a room that requires authentication. */
  | 'unauthenticated-not-allowed'
  /** Sealed payload and no room key, or a key that does not open it. */
  | 'decrypt-failed'
  /** A range that straddles entries the author already signed differently (equivocation). */
  | 'misaligned'
  /** A local transaction that writes under a clientID other than this session's. */
  | 'foreign-local-update'

export const DROP_REASONS: readonly DropReason[] = Object.freeze([
  'malformed', 'wrong-document', 'bad-signature', 'clientid-not-bound', 'clientid-bound-to-other', 'header-mismatch',
  'pending-overflow', 'pending-expired', 'unauthenticated-not-allowed', 'decrypt-failed', 'misaligned', 'foreign-local-update'
])
