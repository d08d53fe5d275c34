/**
 * Named errors of @ymesh/data. Match on `err.name`, not `instanceof`: two copies of the
 * package in one bundle must still agree. Entries that fail checks on arrival never throw:
 * they are counted and have no effect. These errors are for the local caller's mistakes.
 */

export class DataError extends Error {
  override readonly name: string = 'DataError'
}

/** An encoded entry that does not follow the grammar (truncated, oversized, trailing bytes). */
export class InvalidEntryError extends DataError {
  override readonly name: string = 'InvalidEntryError'
}

/** The local identity lacks the role an operation needs; nothing was written. */
export class NotAuthorizedError extends DataError {
  override readonly name: string = 'NotAuthorizedError'
}

/** A room, message, contact or segment that this replica does not hold. */
export class NotFoundError extends DataError {
  override readonly name: string = 'NotFoundError'
}

/** A key this replica needs to read or write (room key, conversation key) was not shared with it. */
export class MissingKeyError extends DataError {
  override readonly name: string = 'MissingKeyError'
}

/** An argument out of range or of the wrong shape. */
export class InvalidDataArgumentError extends DataError {
  override readonly name: string = 'InvalidDataArgumentError'
}

/** The model was used after close(). */
export class ClosedError extends DataError {
  override readonly name: string = 'ClosedError'
}
