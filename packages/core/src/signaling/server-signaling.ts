/**
 * Signaling through WebSocket servers that speak y-webrtc's protocol (@ymesh/signaling-server,
 * or y-webrtc's own). The URL list is the app's; nothing defaults to a public server. URLs
 * are used in turn: one connection at a time, moving to the next URL after a failure.
 */
import type { Clock, PeerId, Rng } from '@ymesh/protocol'
import { loadWebSocket } from '#websocket'
import { InvalidOptionsError } from '../errors.js'
import { consoleLogger, type Logger } from '../logger.js'
import { createCoreMetrics, type CoreMetrics } from '../metrics/core-metrics.js'
import { createSystemClock } from '../transport/system-clock.js'
import { createSystemRng } from '../system-rng.js'
import { SignalingClient, type ChannelHandlers, type SignalingChannel } from './client.js'
import { WS_OPEN, type WebSocketConstructor, type WebSocketLike } from './websocket.js'

export interface ServerSignalingOptions {
  readonly localPeer: PeerId
  /** ws:// or wss:// URLs of signaling servers, tried in turn. */
  readonly urls: readonly string[]
  readonly clock?: Clock
  readonly rng?: Rng
  readonly metrics?: CoreMetrics
  readonly logger?: Logger
  /** Default: the platform's (browsers, Node >= 22) or `ws` in Node. */
  readonly WebSocket?: WebSocketConstructor
  readonly reconnectMinMs?: number
  readonly reconnectMaxMs?: number
  readonly keepaliveMs?: number
}

/** Most bytes one inbound signaling frame may have (the server's own default limit). */
const MAX_FRAME_CHARS = 64 * 1024

export class ServerSignaling extends SignalingClient {
  constructor (options: ServerSignalingOptions) {
    if (options.urls.length === 0) {
      throw new InvalidOptionsError('ServerSignaling needs at least one signaling server URL (ws:// or wss://); no public server is used by default')
    }
    for (const url of options.urls) {
      if (!/^wss?:\/\//.test(url)) throw new InvalidOptionsError(`signaling URL ${JSON.stringify(url)} must start with ws:// or wss://`)
    }
    const metrics = options.metrics ?? createCoreMetrics()
    const logger = options.logger ?? consoleLogger
    let next = 0
    const connector = (handlers: ChannelHandlers): SignalingChannel => {
      const url = options.urls[next % options.urls.length] as string
      next++
      const Impl = options.WebSocket ?? loadWebSocket()
      if (typeof Impl === 'string') throw new InvalidOptionsError(`no WebSocket implementation: ${Impl}; pass one as the WebSocket option`)
      return connect(new Impl(url), handlers, metrics)
    }
    super({
      localPeer: options.localPeer,
      connector,
      clock: options.clock ?? createSystemClock(),
      rng: options.rng ?? createSystemRng(),
      metrics,
      logger,
      reconnectMinMs: options.reconnectMinMs,
      reconnectMaxMs: options.reconnectMaxMs,
      keepaliveMs: options.keepaliveMs
    })
  }
}

const ignoreError = (): void => {}

const connect = (socket: WebSocketLike, handlers: ChannelHandlers, metrics: CoreMetrics): SignalingChannel => {
  let done = false
  const closed = (): void => {
    if (done) return
    done = true
    socket.onopen = socket.onmessage = socket.onclose = null
    // Keep an error listener: closing a socket that is still connecting makes ws emit 'error',
    // and an EventEmitter 'error' with no listener would crash the process.
    socket.onerror = ignoreError
    handlers.closed()
  }
  socket.onopen = () => { handlers.open() }
  socket.onmessage = (event) => {
    const data = event.data
    if (typeof data !== 'string' || data.length > MAX_FRAME_CHARS) {
      metrics.signalingDrops.inc({ reason: 'malformed' })
      return
    }
    let message: unknown
    try {
      message = JSON.parse(data)
    } catch {
      metrics.signalingDrops.inc({ reason: 'malformed' })
      return
    }
    handlers.message(message)
  }
  socket.onclose = closed
  socket.onerror = closed
  return {
    send: (message) => {
      if (socket.readyState === WS_OPEN) socket.send(JSON.stringify(message))
    },
    close: () => {
      closed()
      try { socket.close() } catch { /* already closing */ }
    }
  }
}
