import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { RawData, WebSocket } from 'ws'
import { CloseCode } from './close-codes.js'
import type { Hub, Subscriber } from './hub.js'
import type { ClientMessage, RejectReason } from './messages.js'
import { errorReply, parseClientMessage } from './messages.js'
import type { Metrics, OutType } from './metrics.js'
import type { Authenticate, Limits } from './options.js'
import type { Logger } from './logger.js'
import { TokenBucket } from './token-bucket.js'

/** What a connection needs from its server. */
export interface ConnectionContext {
  readonly hub: Hub
  readonly metrics: Metrics
  readonly limits: Limits
  readonly logger: Logger
  readonly authenticate: Authenticate | undefined
  readonly authTimeoutMs: number
  readonly now: () => number
  /**
   * Forwards a local publish to the other servers (Redis), if any; `skipQuiet` as Hub.deliver.
   * Returns whether another server may deliver it (false when this server runs alone).
   */
  readonly forward: (topic: string, data: unknown, to: string | undefined, skipQuiet: boolean) => boolean
}

/** One client's WebSocket: its state, limits and protocol handling. */
export class Connection implements Subscriber {
  readonly topics = new Map<string, string | undefined>()
  pending: Buffer[] = []
  pendingBytes = 0
  /** Answered the last server ping. */
  alive = true
  private readonly bucket: TokenBucket
  /** Rooms the token allows; undefined = all. */
  private rooms: ReadonlySet<string> | undefined
  private authState: 'none-needed' | 'awaiting' | 'checking' | 'done'
  private authTimer: NodeJS.Timeout | undefined
  private throttleTimer: NodeJS.Timeout | undefined
  private closed = false

  constructor (
    readonly ws: WebSocket,
    readonly socket: Duplex,
    readonly ip: string,
    private readonly ctx: ConnectionContext,
    /** The result of an authentication done at the upgrade (token in the URL). */
    preAuth: { rooms: readonly string[] | undefined } | undefined
  ) {
    this.bucket = new TokenBucket(ctx.limits.messagesPerSecond, ctx.limits.messageBurst, ctx.now())
    if (ctx.authenticate === undefined || preAuth !== undefined) {
      this.authState = 'none-needed'
      this.rooms = preAuth?.rooms === undefined ? undefined : new Set(preAuth.rooms)
    } else {
      this.authState = 'awaiting'
      this.authTimer = setTimeout(() => {
        ctx.metrics.reject('auth-timeout')
        this.close(CloseCode.AUTH_TIMEOUT, 'send {"type":"auth","token":...} first')
      }, ctx.authTimeoutMs)
    }
    ws.on('message', this.onMessage)
    ws.on('pong', () => { this.alive = true })
  }

  readonly onOverflow = (): void => {
    this.ctx.metrics.reject('slow-consumer')
    this.close(CloseCode.SLOW_CONSUMER, 'too many unread messages')
  }

  close (code: number, reason: string): void {
    if (this.closed) return
    this.closed = true
    this.ws.close(code, reason)
  }

  /** Releases the connection's subscriptions and timers; called on the socket's close. */
  dispose (): void {
    this.closed = true
    clearTimeout(this.authTimer)
    clearTimeout(this.throttleTimer)
    this.ctx.hub.removeSubscriber(this)
    this.pending = []
    this.pendingBytes = 0
  }

  private send (type: OutType, text: string): void {
    if (this.ws.readyState !== 1) return
    this.ws.send(text)
    this.ctx.metrics.countOut(type, Buffer.byteLength(text))
  }

  private reject (reason: RejectReason, bytes: number, reply?: { message: string, topic?: string }): void {
    this.ctx.metrics.reject(reason)
    this.ctx.metrics.countIn('invalid', bytes)
    if (reply !== undefined) this.send('error', errorReply(reason, reply.message, reply.topic))
  }

  private readonly onMessage = (data: RawData, isBinary: boolean): void => {
    if (this.closed) return
    const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength
    const now = this.ctx.now()
    // The bucket comes first, so a flood is dropped before any parsing; reading pauses until
    // tokens are back, so TCP pushes back on the flooder and the server's CPU stays free.
    if (!this.bucket.take(now)) {
      this.reject('rate-limited', bytes)
      if (this.throttleTimer === undefined) {
        this.send('error', errorReply('rate-limited', 'too many messages; slow down'))
        this.ws.pause()
        const wait = this.bucket.msUntil(Math.max(1, this.ctx.limits.messageBurst / 10), now)
        this.throttleTimer = setTimeout(() => {
          this.throttleTimer = undefined
          if (!this.closed) this.ws.resume()
        }, wait)
      }
      return
    }
    if (isBinary) return this.reject('binary-frame', bytes)
    const text = Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.isBuffer(data) ? data.toString() : Buffer.from(data).toString()
    const parsed = parseClientMessage(text)
    if (!parsed.ok) return this.reject(parsed.reason, bytes)
    const m = parsed.message
    this.ctx.metrics.countIn(m.type, bytes)
    if (this.authState === 'awaiting' || this.authState === 'checking') {
      if (m.type !== 'auth' || this.authState === 'checking') {
        this.ctx.metrics.reject('unauthorized')
        this.close(CloseCode.UNAUTHORIZED, 'authenticate first')
        return
      }
      void this.authenticate(m.token)
      return
    }
    this.handle(m)
  }

  private async authenticate (token: string): Promise<void> {
    this.authState = 'checking'
    const hook = this.ctx.authenticate as Authenticate
    let result
    try {
      result = await hook({ token, request: undefined as IncomingMessage | undefined, ip: this.ip })
    } catch (err) {
      this.ctx.logger.debug('authenticate hook threw', { message: (err as Error).message })
      result = { ok: false as const }
    }
    if (this.closed) return
    if (!result.ok) {
      this.ctx.metrics.reject('unauthorized')
      this.close(CloseCode.UNAUTHORIZED, 'token refused')
      return
    }
    clearTimeout(this.authTimer)
    this.authState = 'done'
    this.rooms = result.rooms === undefined ? undefined : new Set(result.rooms)
    this.send('auth-ok', JSON.stringify({ type: 'auth-ok' }))
  }

  private allowed (topic: string): boolean {
    return this.rooms === undefined || this.rooms.has(topic)
  }

  private handle (m: ClientMessage): void {
    const { hub, limits } = this.ctx
    switch (m.type) {
      case 'subscribe':
        for (const topic of m.topics) {
          if (!this.allowed(topic)) {
            this.ctx.metrics.reject('forbidden-topic')
            this.send('error', errorReply('forbidden-topic', 'your token does not allow this topic', topic))
            continue
          }
          if (!this.topics.has(topic) && this.topics.size >= limits.maxTopicsPerConnection) {
            this.ctx.metrics.reject('too-many-topics')
            this.close(CloseCode.TOO_MANY_TOPICS, `at most ${limits.maxTopicsPerConnection} topics per connection`)
            return
          }
          if (!hub.subscribe(this, topic, m.peerId, m.quiet)) {
            this.ctx.metrics.reject('topic-limit')
            this.send('error', errorReply('topic-limit', 'the server has too many topics; try later', topic))
          }
        }
        return
      case 'unsubscribe':
        for (const topic of m.topics) hub.unsubscribe(this, topic)
        return
      case 'publish': {
        if (!this.allowed(m.topic)) {
          this.ctx.metrics.reject('forbidden-topic')
          this.send('error', errorReply('forbidden-topic', 'your token does not allow this topic', m.topic))
          return
        }
        const skipQuiet = m.to === undefined && hub.skipsQuiet(this, m.topic, m.all)
        const delivered = hub.deliver(m.topic, m.data, m.to, this, skipQuiet)
        const elsewhere = this.ctx.forward(m.topic, m.data, m.to, skipQuiet)
        // ymesh extension: an addressed publish nobody took is answered, so its sender moves on
        // (the peer it addressed has left the topic or crashed) instead of waiting for a timeout.
        // Not when other servers may hold the peer (Redis): no server can tell then. Only to a
        // subscriber of the topic, which sees its members' announces anyway.
        if (m.to !== undefined && delivered === 0 && !elsewhere && this.topics.has(m.topic)) {
          this.send('undelivered', JSON.stringify({ type: 'undelivered', topic: m.topic, to: m.to }))
        }
        return
      }
      case 'ping':
        this.send('pong', '{"type":"pong"}')
        return
      case 'auth':
        // Already authenticated (or no auth configured): harmless, acknowledged.
        this.send('auth-ok', JSON.stringify({ type: 'auth-ok' }))
    }
  }
}
