/**
 * Named errors of the wire format. Match on `err.name` (not `instanceof`): two copies of this
 * package in one bundle must still agree. Every message says what is wrong and what to do.
 */

/** Base class of every error this package throws. */
export class ProtocolError extends Error {
  override readonly name: string = 'ProtocolError'
}

/**
 * Bytes from the network that do not follow the grammar in PROTOCOL.md (truncated, malformed,
 * out of range), or a value that cannot be encoded. Drop the message; a peer that keeps
 * sending them is broken or hostile.
 */
export class InvalidMessageError extends ProtocolError {
  override readonly name: string = 'InvalidMessageError'
}

/** A message in a protocol version this peer does not speak. */
export class UnsupportedVersionError extends ProtocolError {
  override readonly name: string = 'UnsupportedVersionError'
  readonly version: number
  readonly supported: readonly number[]
  constructor (version: number, supported: readonly number[]) {
    super(`protocol version ${version} is not supported (this peer speaks ${supported.join(', ')}); ` +
      'upgrade the older peer, or drop the message')
    this.version = version
    this.supported = supported
  }
}

/** A frame, message or buffer over one of the limits in limits.ts. */
export class MessageTooLargeError extends ProtocolError {
  override readonly name: string = 'MessageTooLargeError'
  readonly size: number
  readonly limit: number
  constructor (what: string, size: number, limit: number, advice = 'split it with a Chunker, or send less at once') {
    super(`${what} is ${size} bytes, over the limit of ${limit} bytes; ${advice}`)
    this.size = size
    this.limit = limit
  }
}

/** A tag this peer does not know, where only known tags are acceptable. */
export class UnknownTagError extends ProtocolError {
  override readonly name: string = 'UnknownTagError'
  readonly tag: number
  constructor (tag: number, where: string) {
    super(`unknown message tag ${tag} in ${where}; the sender may run a newer ymesh: ignore the message, or upgrade this peer`)
    this.tag = tag
  }
}

/** Link.send on a link that is not open. Both transports throw this one. */
export class LinkClosedError extends ProtocolError {
  override readonly name: string = 'LinkClosedError'
  constructor (linkId: string, state: string) {
    super(`link ${linkId} is ${state}, not open: wait for its 'open' event before sending, and stop sending after 'close'`)
  }
}

/** The names of every error above, for code that must tell expected failures from bugs. */
export const PROTOCOL_ERROR_NAMES: readonly string[] = Object.freeze([
  'ProtocolError',
  'InvalidMessageError',
  'UnsupportedVersionError',
  'MessageTooLargeError',
  'UnknownTagError',
  'LinkClosedError'
])

/** True when `err` is one of this package's named errors (by name, so it works across copies). */
export const isProtocolError = (err: unknown): err is ProtocolError =>
  err instanceof Error && PROTOCOL_ERROR_NAMES.includes(err.name)
