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

/** Why a connection did not come up authenticated (HandshakeError.reason, and the metric label). */
export type HandshakeFailureReason =
  | 'timeout' | 'link-closed' | 'aborted' | 'bad-hello' | 'invalid-peer-id' | 'peer-mismatch' | 'reflected'
  | 'version-mismatch' | 'bad-signature' | 'downgrade-refused' | 'unexpected-frame'

const HANDSHAKE_ADVICE: Record<HandshakeFailureReason, string> = {
  timeout: 'the remote peer did not complete the handshake in time; it may be overloaded, or not a ymesh peer',
  'link-closed': 'the link closed before the handshake completed',
  aborted: 'the local side gave up on the connection (peer stopped or connection no longer wanted)',
  'bad-hello': 'the remote sent a malformed handshake message',
  'invalid-peer-id': 'the remote claimed an id that is not a ymesh peer id (an Ed25519 public key)',
  'peer-mismatch': 'the remote proved a different identity than signaling announced: someone is impersonating or relaying',
  reflected: 'the remote echoed our own hello back: a reflection attack or a misrouted link',
  'version-mismatch': 'the two peers share no protocol version; upgrade the older one',
  'bad-signature': 'the handshake signature does not verify: the session descriptions were altered in transit ' +
    '(a signaling server or relay swapped DTLS fingerprints), or the remote does not hold the key of the id it claims',
  'downgrade-refused': 'signaling said the remote is a ymesh peer but it did not start the handshake; refusing to fall back to the unauthenticated y-webrtc protocol',
  'unexpected-frame': 'the remote sent a frame out of order during the handshake'
}

/** A connection that did not come up authenticated; `reason` says why. The link has been closed. */
export class HandshakeError extends CoreError {
  override readonly name: string = 'HandshakeError'
  readonly reason: HandshakeFailureReason
  constructor (reason: HandshakeFailureReason, detail?: string) {
    super(`handshake failed (${reason}): ${HANDSHAKE_ADVICE[reason]}${detail === undefined ? '' : ` — ${detail}`}`)
    this.reason = reason
  }
}

/** An option of createPeer() or of a component that cannot work; the message says which and why. */
export class InvalidOptionsError extends CoreError {
  override readonly name: string = 'InvalidOptionsError'
}

/** An operation on a peer or component after stop(). */
export class StoppedError extends CoreError {
  override readonly name: string = 'StoppedError'
  constructor (what: string) {
    super(`${what} is stopped: call start() first (a stopped peer can be started again)`)
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
  'SendQueueFullError',
  'HandshakeError',
  'InvalidOptionsError',
  'StoppedError'
])
