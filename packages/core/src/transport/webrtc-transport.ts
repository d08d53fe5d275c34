import { loadPlatformRtc } from '#webrtc'
import type { Clock, CreateLinkOptions, IceCandidate, Link, PeerId, Transport } from '@ymesh/protocol'
import { InvalidTransportOptionsError, TransportClosedError, WebRtcUnavailableError } from '../errors.js'
import {
  DEFAULT_BUFFER_POLL_INTERVAL_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  WEBRTC_MAX_BUFFERED_AMOUNT,
  WEBRTC_MAX_MESSAGE_SIZE
} from './limits.js'
import type { RtcImplementation } from './rtc-implementation.js'
import { createSystemClock } from './system-clock.js'
import { WebRtcLink } from './webrtc-link.js'

export interface WebRtcTransportOptions {
  readonly localPeer: PeerId
  /** STUN/TURN servers, with credentials for TURN. Default none: nothing talks to a public server unless the app says so. */
  readonly iceServers?: readonly RTCIceServer[]
  /**
   * Only relay (TURN) candidates, so other members never learn this peer's IP addresses
   * (iceTransportPolicy 'relay'). Needs a TURN server in iceServers.
   */
  readonly relayOnly?: boolean
  /** The WebRTC implementation. Default: the browser's, or @roamhq/wrtc in Node. */
  readonly rtc?: RtcImplementation
  /** A link still connecting after this long closes with reason 'timeout'. Default 15 s. */
  readonly connectTimeoutMs?: number
  /** Label of the data channels this side creates. Default: random, as simple-peer does. */
  readonly channelLabel?: string
  readonly clock?: Clock
  /** Lowers the per-message limit below the WebRTC maximum (256 KiB); never raises it. */
  readonly maxMessageSize?: number
  /** How often bufferedAmount is polled while above the threshold. Default 5 ms. */
  readonly bufferPollIntervalMs?: number
  /**
   * Local candidates this returns false for are never signaled (nor left in the SDP).
   * E.g. tests that must keep traffic on loopback.
   */
  readonly candidateFilter?: (candidate: IceCandidate) => boolean
  /** Where errors thrown by event listeners and onSignal go. Default console.error. */
  readonly onListenerError?: (error: unknown) => void
}

/** The Transport over real WebRTC: one RTCPeerConnection and one data channel per Link. */
export class WebRtcTransport implements Transport {
  readonly name = 'webrtc'
  readonly localPeer: PeerId
  private readonly links = new Set<WebRtcLink>()
  private readonly clock: Clock
  private readonly configuration: RTCConfiguration
  private rtc: RtcImplementation | undefined
  private nextLinkNumber = 0
  private closed = false

  constructor (private readonly options: WebRtcTransportOptions) {
    this.localPeer = options.localPeer
    this.clock = options.clock ?? createSystemClock()
    this.rtc = options.rtc
    const iceServers = (options.iceServers ?? []).map((server) => ({ ...server }))
    if (options.relayOnly === true && !iceServers.some((server) => urls(server).some((url) => /^turns?:/i.test(url)))) {
      throw new InvalidTransportOptionsError('relayOnly needs a TURN server (turn: or turns: URL, with credentials) in iceServers')
    }
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
    if (!(connectTimeoutMs > 0)) throw new InvalidTransportOptionsError(`connectTimeoutMs must be positive, not ${connectTimeoutMs}`)
    const maxMessageSize = options.maxMessageSize ?? WEBRTC_MAX_MESSAGE_SIZE
    if (!(maxMessageSize > 0)) throw new InvalidTransportOptionsError(`maxMessageSize must be positive, not ${maxMessageSize}`)
    this.configuration = { iceServers, iceTransportPolicy: options.relayOnly === true ? 'relay' : 'all' }
  }

  /** Number of links not yet closed. */
  get linkCount (): number {
    return this.links.size
  }

  createLink (options: CreateLinkOptions): Link {
    if (this.closed) throw new TransportClosedError(this.name)
    const link = new WebRtcLink({
      id: `${this.localPeer}>${options.remotePeer}#${++this.nextLinkNumber}`,
      remotePeer: options.remotePeer,
      initiator: options.initiator,
      onSignal: options.onSignal,
      rtc: this.implementation(),
      configuration: this.configuration,
      connectTimeoutMs: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      channelLabel: this.options.channelLabel ?? randomLabel(),
      clock: this.clock,
      pollIntervalMs: this.options.bufferPollIntervalMs ?? DEFAULT_BUFFER_POLL_INTERVAL_MS,
      maxMessageSizeCap: Math.min(this.options.maxMessageSize ?? WEBRTC_MAX_MESSAGE_SIZE, WEBRTC_MAX_MESSAGE_SIZE),
      maxBufferedAmount: WEBRTC_MAX_BUFFERED_AMOUNT,
      candidateFilter: this.options.candidateFilter,
      onListenerError: this.options.onListenerError ?? ((error) => console.error('ymesh webrtc link listener failed:', error)),
      onClosed: (closed) => this.links.delete(closed)
    })
    this.links.add(link)
    try {
      link.start()
    } catch (err) {
      link.close()
      throw err
    }
    return link
  }

  close (): void {
    this.closed = true
    for (const link of Array.from(this.links)) link.close()
  }

  private implementation (): RtcImplementation {
    if (this.rtc === undefined) {
      const found = loadPlatformRtc()
      if (typeof found === 'string') throw new WebRtcUnavailableError(found)
      this.rtc = found
    }
    return this.rtc
  }
}

function urls (server: RTCIceServer): string[] {
  return typeof server.urls === 'string' ? [server.urls] : [...server.urls]
}

/** 20 random bytes in hex, like simple-peer's channel names. */
function randomLabel (): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
