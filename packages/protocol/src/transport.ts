/**
 * The interfaces both transports share: the simulator's in-memory transport (@ymesh/sim)
 * and the WebRTC transport (@ymesh/core). Everything above the transport is written against
 * these, so the same peer code runs on hundreds of simulated peers and on real WebRTC.
 *
 * Semantics follow a WebRTC data channel: a Link is reliable and ordered while it is open;
 * a lossy path shows up as added delay, a dead path as a Link that closes (whatever was in
 * flight on it is lost). The simulator additionally offers an explicit unreliable mode for
 * testing layers that must recover from loss on their own.
 */

/** A peer's id. In ymesh it is derived from the peer's public key (see @ymesh/crypto). */
export type PeerId = string & { readonly __brand: 'PeerId' }

/** Opaque handle of a scheduled callback. */
export type Timer = { readonly __brand: 'Timer' }

/**
 * Time, injected. On a real peer this is wall-clock time and the host's timers; on the
 * simulator it is virtual time, and a run is a pure function of its seed.
 */
export interface Clock {
  /** Milliseconds since an arbitrary epoch. Never goes backwards. */
  now(): number
  setTimeout(callback: () => void, delayMs: number): Timer
  clearTimeout(timer: Timer): void
  setInterval(callback: () => void, intervalMs: number): Timer
  clearInterval(timer: Timer): void
  /**
   * Await asynchronous work (WebCrypto, storage) as an event of this clock. A real clock
   * returns `work` unchanged. The simulator resumes the awaiting code as a sequenced
   * event, in the order `settle` was called rather than the order the work completed, so
   * that async completions cannot make two runs of one seed differ.
   */
  settle<T>(work: Promise<T>): Promise<T>
}

/**
 * Randomness for protocol decisions (jitter, neighbour choice, backoff). Seeded on the
 * simulator. Key material and nonces that must be unpredictable come from a CSPRNG; on
 * the simulator those too are drawn from the seeded source so runs replay exactly.
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  float(): number
  /** Uniform integer in [0, bound), for 0 < bound <= 2^32. */
  int(bound: number): number
  /** `length` uniformly random bytes. */
  bytes(length: number): Uint8Array
}

/**
 * A signal as simple-peer (and therefore y-webrtc) shapes it, so ymesh peers and stock
 * y-webrtc peers exchange the same objects through the signaling server.
 */
export type SignalData =
  | { readonly type: 'offer' | 'answer'; readonly sdp: string }
  | { readonly type: 'candidate'; readonly candidate: IceCandidate }

export interface IceCandidate {
  readonly candidate: string
  readonly sdpMid?: string | null
  readonly sdpMLineIndex?: number | null
}

export type LinkState = 'connecting' | 'open' | 'closed'

export interface LinkCloseEvent {
  /** Short machine-readable reason, e.g. 'local', 'remote', 'timeout', 'ice-failed'. */
  readonly reason: string
  readonly error?: Error
}

export interface LinkEvents {
  open: () => void
  message: (data: Uint8Array) => void
  close: (event: LinkCloseEvent) => void
  /** bufferedAmount fell to or below bufferedAmountLowThreshold. */
  'buffered-amount-low': () => void
}

/** The event surface of lib0's ObservableV2, which Y.Doc and Awareness also use. */
export interface Observable<Events extends { [K in keyof Events]: (...args: never[]) => void }> {
  on<N extends keyof Events & string>(name: N, listener: Events[N]): Events[N]
  once<N extends keyof Events & string>(name: N, listener: Events[N]): void
  off<N extends keyof Events & string>(name: N, listener: Events[N]): void
}

/**
 * One connection to one remote peer: a data channel, or its simulated equivalent.
 *
 * Created by {@link Transport.createLink}; signals produced by the local side go out
 * through the `onSignal` callback given there, signals from the remote side come in
 * through {@link Link.signal}. After 'close' a Link never reopens.
 */
export interface Link extends Observable<LinkEvents> {
  /** Unique within the process; for logs and metrics. */
  readonly id: string
  /** The peer the signaling layer says is on the other side. Unauthenticated until a handshake says otherwise. */
  readonly remotePeer: PeerId
  readonly initiator: boolean
  readonly state: LinkState
  /** Largest payload one send() accepts, in bytes. */
  readonly maxMessageSize: number
  /** Bytes queued locally and not yet handed to the network. */
  readonly bufferedAmount: number
  bufferedAmountLowThreshold: number
  /**
   * DTLS certificate fingerprints as announced in the local and remote session
   * descriptions (e.g. 'sha-256 AB:CD:...'), once known; null before. The authenticated
   * handshake signs both, so a signaling path that swaps descriptions is detected.
   */
  readonly localFingerprint: string | null
  readonly remoteFingerprint: string | null
  /** Feed a signal produced by the remote side. Malformed signals close the link with a reason. */
  signal(data: SignalData): void
  /**
   * Queue one message. Throws LinkClosedError unless open, MessageTooLargeError above maxMessageSize.
   * The bytes belong to the link from here on: do not write into `data` after send(), and treat
   * received messages as read-only (the simulator hands the sender's bytes to the receiver
   * without a copy; WebRTC copies, but code must not rely on it).
   */
  send(data: Uint8Array): void
  close(): void
}

export interface CreateLinkOptions {
  readonly remotePeer: PeerId
  /** The initiator makes the offer; the other side waits for it. */
  readonly initiator: boolean
  /** Called with every signal the remote side must receive, in order. */
  readonly onSignal: (signal: SignalData) => void
}

/** Makes Links for one local peer. */
export interface Transport {
  /** e.g. 'webrtc' or 'sim'. */
  readonly name: string
  readonly localPeer: PeerId
  createLink(options: CreateLinkOptions): Link
  /** Close every link this transport made and release its resources. */
  close(): void
}
