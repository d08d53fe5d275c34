/** Options given to createSignalingServer (or the CLI) are invalid. */
export class InvalidOptionsError extends Error {
  override name = 'InvalidOptionsError'
}

/** A token could not be verified: malformed, badly signed, expired, or for other rooms. */
export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError'
}

/** start() was called on a server that is already running, or stop() raced start(). */
export class ServerStateError extends Error {
  override name = 'ServerStateError'
}
