/**
 * Where peers find each other and exchange WebRTC signals. A SignalingSource is pluggable:
 * today a WebSocket server speaking y-webrtc's protocol (ServerSignaling) and an in-memory hub
 * for the simulator (MemorySignalingHub); later, signaling relayed through connected peers.
 */
import type { Observable, PeerId, SignalData } from '@ymesh/protocol'

/** Marker ymesh peers put in every announce and signal (stock y-webrtc peers never do). */
export const YMESH_SIGNALING_VERSION = 1

export interface SignalingAnnounce {
  readonly topic: string
  readonly from: PeerId
  /** The sender marked itself as a ymesh peer (unauthenticated: the handshake proves it). */
  readonly ymesh: boolean
  /** Set on a reply to someone's announce (ymesh only); undefined for a broadcast announce. */
  readonly to?: PeerId
  /** A repeated broadcast announce: how many times its sender announced before (ymesh only). */
  readonly again?: number
}

export interface SignalingSignal {
  readonly topic: string
  readonly from: PeerId
  readonly to: PeerId
  readonly ymesh: boolean
  /** y-webrtc's glare token (higher wins), when the sender sent one. */
  readonly token?: number
  /** ymesh: the link attempt this signal belongs to, chosen by the initiator. */
  readonly session?: string
  /** ymesh: the signal's place in its session (0, 1, ...), when the sender numbered it. */
  readonly index?: number
  readonly signal: SignalData
  /**
   * How the signal reached us: through the signaling server, or relayed through the mesh
   * (hybrid signaling). Undefined means the server (every source but HybridSignaling).
   */
  readonly via?: SignalPath
  /**
   * Mesh signals: how many relaying neighbours the author named in its capsule (sealed and
   * signed by it, at most REACH_NAMED). Fewer means the author is still joining.
   */
  readonly authorReach?: number
}

/** Relaying neighbours an author names in each capsule (the capsule's `reach` field). */
export const REACH_NAMED = 3

/** The path a signal travelled: the signaling server or peers of the mesh. */
export type SignalPath = 'mesh' | 'server'

export interface SignalingStatus {
  readonly connected: boolean
}

/**
 * Our signals to `to` in `topic` found no way to it: the signaling server had no subscriber with
 * that id to hand an addressed publish to (it left the topic, or crashed), or, with hybrid
 * signaling, every relay asked declined for want of a route (the signals then went to the server
 * as well, or were withheld since it would drop them). Not a relay timeout: under load most
 * late capsules still arrive. A peer short of neighbours dials others
 * now instead of waiting on that attempt.
 */
export interface SignalingUnreachable {
  readonly topic: string
  readonly to: PeerId
  /** The link attempt, when known; undefined (the server's word) covers any attempt to `to`. */
  readonly session?: string
}

export interface SignalingEvents {
  announce: (event: SignalingAnnounce) => void
  signal: (event: SignalingSignal) => void
  status: (event: SignalingStatus) => void
  /** Only servers with the ymesh extension (and hybrid signaling) emit it. */
  unreachable: (event: SignalingUnreachable) => void
}

export interface JoinOptions {
  /** y-webrtc password room: publishes are encrypted exactly as y-webrtc does (PBKDF2 → AES-GCM). */
  readonly password?: string
}

export interface AnnounceOptions {
  /**
   * This broadcast announce repeats ours for the n-th time (nobody answered, or the way in
   * failed). It reaches quiet subscribers too (see SignalingSource.quiet), and says it is a
   * repeat, so members that missed the earlier ones answer it as one.
   */
  readonly repeat?: number
}

export interface SendSignalOptions {
  readonly token?: number
  readonly session?: string
  /** The signal's place in its session (hybrid signaling numbers them). */
  readonly index?: number
  /**
   * Deliver to `to` alone where the server supports it (ymesh extension). Only for ymesh
   * remotes: stock peers never tell the server their id, so they must get a broadcast.
   */
  readonly addressed: boolean
}

export interface SignalingSource extends Observable<SignalingEvents> {
  readonly localPeer: PeerId
  readonly connected: boolean
  /** Connect (and keep reconnecting until stop()). */
  start(): void
  /** Disconnect and release every timer and socket. */
  stop(): void
  /** Subscribe to `topic` and announce ourselves there (now, and after every reconnect). */
  join(topic: string, options?: JoinOptions): void
  leave(topic: string): void
  /** Announce ourselves in `topic`; with `to`, as a reply to that peer's announce. */
  announce(topic: string, to?: PeerId, options?: AnnounceOptions): void
  sendSignal(topic: string, to: PeerId, signal: SignalData, options: SendSignalOptions): void
  /** Optional: unsubscribe at the server but keep publishing to `topic` (hybrid signaling's rendezvous rule). */
  park?(topic: string): void
  /** Optional: undo park(): subscribe and announce again. */
  unpark?(topic: string): void
  /**
   * Optional: stay subscribed to `topic` and addressable, but hear only stock clients'
   * broadcasts and ymesh broadcasts marked `all` (true); hear everything again (false).
   * A server without the extension ignores it. Hybrid signaling's members between their
   * first room neighbour and parking: only rendezvous points answer announces.
   */
  quiet?(topic: string, quiet: boolean): void
}
