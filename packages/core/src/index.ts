export { WebRtcTransport } from './transport/webrtc-transport.js'
export type { WebRtcTransportOptions } from './transport/webrtc-transport.js'
export { WebRtcLink } from './transport/webrtc-link.js'
export type { WebRtcCloseReason } from './transport/webrtc-link.js'
export type { RtcImplementation } from './transport/rtc-implementation.js'
export { createSystemClock } from './transport/system-clock.js'
export {
  WEBRTC_MAX_MESSAGE_SIZE,
  WEBRTC_MAX_BUFFERED_AMOUNT,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_BUFFER_POLL_INTERVAL_MS
} from './transport/limits.js'
export { parseFingerprint, parseMaxMessageSize } from './transport/sdp.js'

export {
  CoreError,
  WebRtcUnavailableError,
  InvalidTransportOptionsError,
  TransportClosedError,
  InvalidSignalError,
  ConnectTimeoutError,
  IceFailedError,
  SendQueueFullError,
  CORE_ERROR_NAMES
} from './errors.js'
