/**
 * Every error @ymesh/crypto throws or rejects with. Match on `err.name` (stable across
 * bundles and realms) rather than `instanceof`. WebCrypto's DOMExceptions and TypeErrors
 * never escape: they are wrapped in one of these, with the original as `cause`.
 */

/** Base class: anything this package throws is a CryptoError. */
export class CryptoError extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CryptoError'
  }
}

/** An argument has the wrong type or shape (not a Uint8Array, an empty domain, ...). */
export class InvalidArgumentError extends CryptoError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'InvalidArgumentError'
  }
}

/** A key (public, private, room key, seed) is malformed: wrong length, not a curve point. */
export class InvalidKeyError extends CryptoError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'InvalidKeyError'
  }
}

/**
 * A signature is malformed (wrong length or type). A well-formed signature that does not
 * verify is not an error: verify() returns false for it.
 */
export class InvalidSignatureError extends CryptoError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'InvalidSignatureError'
  }
}

/** A string is not a ymesh peer id (43 base64url characters encoding an Ed25519 public key). */
export class InvalidPeerIdError extends CryptoError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'InvalidPeerIdError'
  }
}

/**
 * A ciphertext could not be opened: wrong key or recipient, wrong domain, truncated,
 * tampered with, or not a ciphertext at all. Deliberately says nothing about which.
 */
export class DecryptionError extends CryptoError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DecryptionError'
  }
}

/**
 * A room ciphertext names a different room key than the one given: the room key was
 * rotated (or the message belongs to another room). `keyId` is the id it names.
 */
export class RoomKeyMismatchError extends DecryptionError {
  readonly keyId: string
  readonly expectedKeyId: string
  constructor (keyId: string, expectedKeyId: string) {
    super(`This message was sealed with room key ${keyId}, not with the given key ${expectedKeyId}: fetch the current room key (it was probably rotated) and retry.`)
    this.name = 'RoomKeyMismatchError'
    this.keyId = keyId
    this.expectedKeyId = expectedKeyId
  }
}

/** An exported identity (plain or encrypted backup) is malformed or inconsistent. */
export class InvalidIdentityError extends CryptoError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'InvalidIdentityError'
  }
}

/** A room secret (from an invite link) is malformed. */
export class InvalidRoomSecretError extends CryptoError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'InvalidRoomSecretError'
  }
}

/** The host has no usable WebCrypto, or it lacks an algorithm this package needs. */
export class UnsupportedError extends CryptoError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'UnsupportedError'
  }
}
