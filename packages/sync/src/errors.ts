/**
 * Named errors of @ymesh/sync. Match on `err.name`. Malformed bytes from the network raise
 * @ymesh/protocol's InvalidMessageError; these cover what is specific to sync.
 */

/** Base class of this package's errors. */
export class SyncError extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'SyncError'
  }
}

/** A room policy change that would weaken it (requireAuth cannot be switched off). */
export class PolicyError extends SyncError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'PolicyError'
  }
}

/** A storage backend failed (quota, I/O); the in-memory document is unaffected. */
export class StorageError extends SyncError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StorageError'
  }
}

/** A stored record failed its integrity check (corrupted or tampered); it was skipped. */
export class StorageCorruptionError extends StorageError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StorageCorruptionError'
  }
}

/** An operation that needs start() first, or that runs after stop(). */
export class NotStartedError extends SyncError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'NotStartedError'
  }
}
