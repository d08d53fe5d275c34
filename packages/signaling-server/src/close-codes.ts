/**
 * WebSocket close codes the signaling server uses. Stock y-webrtc clients treat every close
 * alike (they reconnect with backoff); ymesh clients read the code to decide whether a
 * reconnect can help (e.g. not after UNAUTHORIZED).
 */
export const CloseCode = {
  /** The server is stopping; reconnect (to it after a restart, or to another server). */
  GOING_AWAY: 1001,
  /** A frame was larger than the server's maxMessageBytes (RFC 6455's own code). */
  MESSAGE_TOO_BIG: 1009,
  /** The client broke the protocol in a way that cannot be answered with a dropped message. */
  POLICY_VIOLATION: 4000,
  /** No token, or a token the server's authenticate hook refused. */
  UNAUTHORIZED: 4001,
  /** The connection asked for more topics than maxTopicsPerConnection. */
  TOO_MANY_TOPICS: 4002,
  /** The client did not authenticate within authTimeoutMs. */
  AUTH_TIMEOUT: 4008,
  /** The client did not read its messages: more than maxBufferedBytes were waiting. */
  SLOW_CONSUMER: 4009,
  /** The server is at maxConnections. */
  SERVER_FULL: 4013,
  /** Too many messages from this connection (token bucket), or too many connections per IP. */
  RATE_LIMITED: 4029
} as const

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

/** The name of a close code, for logs and metrics ('UNAUTHORIZED'), or undefined. */
export const closeCodeName = (code: number): keyof typeof CloseCode | undefined =>
  (Object.keys(CloseCode) as Array<keyof typeof CloseCode>).find((k) => CloseCode[k] === code)
