/** Errors of @ymesh/sim. Match on `err.name`. */

/** A run processed more events than its maxEvents budget: usually a timer loop that never ends. */
export class MaxEventsExceededError extends Error {
  override readonly name = 'MaxEventsExceededError'
  constructor (readonly maxEvents: number, readonly time: number) {
    super(`the simulation processed ${maxEvents} events without reaching its goal (virtual time ${time} ms); raise maxEvents if the scenario is that long, or look for a timer that reschedules forever`)
  }
}

/** Work handed to clock.settle() did not complete within settleTimeoutMs of real time. */
export class SettleTimeoutError extends Error {
  override readonly name = 'SettleTimeoutError'
  constructor (readonly timeoutMs: number) {
    super(`a promise passed to clock.settle() has not completed after ${timeoutMs} ms of real time; the simulator cannot advance virtual time past it. Make sure the work can finish without virtual time passing (do not settle() a promise that waits on a simulated timer)`)
  }
}

/** A peer id was used twice, or an operation named a peer the network does not know. */
export class UnknownPeerError extends Error {
  override readonly name = 'UnknownPeerError'
  constructor (readonly peer: string) {
    super(`no simulated node is called ${JSON.stringify(peer)}; create it with network.createTransport(peer) first`)
  }
}

/** An operation that needs a live node was called on a crashed one. */
export class NodeCrashedError extends Error {
  override readonly name = 'NodeCrashedError'
  constructor (readonly peer: string) {
    super(`node ${JSON.stringify(peer)} has crashed; call network.restart(peer) to get a fresh node under the same id`)
  }
}

/** A signal handed to link.signal() was malformed or arrived in the wrong state; carried by the link's 'close' event. */
export class InvalidSignalError extends Error {
  override readonly name = 'InvalidSignalError'
  constructor (detail: string) {
    super(`invalid signal: ${detail}; the signaling path delivered something the other side did not send, or out of order`)
  }
}

/** createLink() on a transport that was closed, or whose node crashed. */
export class TransportClosedError extends Error {
  override readonly name = 'TransportClosedError'
  constructor (readonly peer: string) {
    super(`the simulated transport of ${JSON.stringify(peer)} is closed; make a new one with network.createTransport() (or network.restart() after a crash)`)
  }
}

/** createTransport() for a peer id whose node is already running. */
export class DuplicatePeerError extends Error {
  override readonly name = 'DuplicatePeerError'
  constructor (readonly peer: string) {
    super(`a simulated node called ${JSON.stringify(peer)} is already running; use a new id, or crash() it and restart() it`)
  }
}

/**
 * A message's bytes changed between send() and delivery. Links pass the sender's bytes on
 * without a copy (see NetworkOptions.copyMessages), so neither side may write into them.
 */
export class MessageMutatedError extends Error {
  override readonly name = 'MessageMutatedError'
  constructor (readonly link: string) {
    super(`a message sent on simulated link ${link} changed between send() and delivery: the sender wrote into the buffer after send(), or a receiver wrote into a buffer it was given (the same bytes may go to several receivers). Send a fresh buffer (or a copy) and treat received messages as read-only, or create the SimNetwork with copyMessages: true`)
  }
}
