/**
 * Named errors of @ymesh/core. Match on `err.name` (not `instanceof`): two copies of this
 * package in one bundle must still agree. Errors shared by every transport (LinkClosedError,
 * MessageTooLargeError) come from @ymesh/protocol.
 */

/** Base class of every error this package throws. */
export class CoreError extends Error {
  override readonly name: string = 'CoreError'
}

/** No RTCPeerConnection implementation could be found in this environment. */
export class WebRtcUnavailableError extends CoreError {
  override readonly name: string = 'WebRtcUnavailableError'
  constructor (detail: string) {
    super(`no WebRTC implementation is available (${detail}); in Node install @roamhq/wrtc, ` +
      'elsewhere pass one as the `rtc` option of WebRtcTransport')
  }
}

/** A transport option that cannot work; the message says which and why. */
export class InvalidTransportOptionsError extends CoreError {
  override readonly name: string = 'InvalidTransportOptionsError'
}

/** createLink() on a transport after close(). */
export class TransportClosedError extends CoreError {
  override readonly name: string = 'TransportClosedError'
  constructor (name: string) {
    super(`the ${name} transport is closed: create a new transport to make links`)
  }
}

/** A signal from the remote side that is malformed or does not fit the link's state. */
export class InvalidSignalError extends CoreError {
  override readonly name: string = 'InvalidSignalError'
  constructor (detail: string) {
    super(`invalid signal: ${detail}; the link was closed, let the signaling layer create a new one`)
  }
}

/** The link did not open within connectTimeoutMs. */
export class ConnectTimeoutError extends CoreError {
  override readonly name: string = 'ConnectTimeoutError'
  constructor (timeoutMs: number) {
    super(`the link did not open within ${timeoutMs} ms; check that signals reach the other side ` +
      'and that the ICE servers (STUN/TURN) let the two peers reach each other')
  }
}

/** ICE could not find or keep a path to the remote peer. */
export class IceFailedError extends CoreError {
  override readonly name: string = 'IceFailedError'
  constructor () {
    super('ICE failed: no network path to the remote peer (it vanished, or a firewall blocks it); ' +
      'configure a TURN server in iceServers for peers behind restrictive networks')
  }
}

/**
 * send() would overflow the data channel's send queue, which WebRTC stacks answer by dropping
 * the message or closing the channel.
 */
export class SendQueueFullError extends CoreError {
  override readonly name: string = 'SendQueueFullError'
  readonly bufferedAmount: number
  readonly limit: number
  constructor (bufferedAmount: number, size: number, limit: number) {
    super(`cannot queue ${size} more bytes: ${bufferedAmount} bytes are already queued and the limit is ${limit}; ` +
      "wait for the link's 'buffered-amount-low' event before sending more")
    this.bufferedAmount = bufferedAmount
    this.limit = limit
  }
}

/** The names of every error above. */
export const CORE_ERROR_NAMES: readonly string[] = Object.freeze([
  'CoreError',
  'WebRtcUnavailableError',
  'InvalidTransportOptionsError',
  'TransportClosedError',
  'InvalidSignalError',
  'ConnectTimeoutError',
  'IceFailedError',
  'SendQueueFullError'
])
