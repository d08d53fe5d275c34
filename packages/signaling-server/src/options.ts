import type { IncomingMessage } from 'node:http'
import { InvalidOptionsError } from './errors.js'
import type { Logger } from './logger.js'
import { createConsoleLogger } from './logger.js'

/** Limits that keep one client (or one address) from taking the server's memory or CPU. */
export interface Limits {
  /** Largest accepted frame, in bytes; a larger one closes the connection with 1009. */
  maxMessageBytes: number
  /** Topics one connection may be subscribed to; more closes it with TOO_MANY_TOPICS. */
  maxTopicsPerConnection: number
  /** Topics on this server; a subscribe beyond it is refused with an error reply. */
  maxTopics: number
  /** Open connections on this server; more are closed with SERVER_FULL. */
  maxConnections: number
  /** Open connections from one IP address; more are refused with HTTP 429. */
  maxConnectionsPerIp: number
  /** New connections per second from one IP address (token bucket rate)... */
  connectionsPerSecondPerIp: number
  /** ...and how many may come at once (bucket size). */
  connectionBurstPerIp: number
  /** How long an address that exceeded its connection rate is refused, in ms. */
  banMs: number
  /** Messages per second from one connection (token bucket rate); beyond it, reading pauses. */
  messagesPerSecond: number
  /** Messages one connection may send at once (bucket size). */
  messageBurst: number
  /** Bytes queued for one slow receiver before it is closed with SLOW_CONSUMER. */
  maxBufferedBytes: number
}

/** The shipped defaults: generous for honest y-webrtc rooms (a join in a 30-peer room sends ~300 messages). */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxMessageBytes: 64 * 1024,
  maxTopicsPerConnection: 100,
  maxTopics: 50_000,
  maxConnections: 10_000,
  maxConnectionsPerIp: 64,
  connectionsPerSecondPerIp: 5,
  connectionBurstPerIp: 30,
  banMs: 60_000,
  messagesPerSecond: 200,
  messageBurst: 1_000,
  maxBufferedBytes: 4 * 1024 * 1024
})

export interface AuthRequest {
  token: string
  /** The HTTP upgrade request (headers, URL); undefined for a token sent in the first message. */
  request: IncomingMessage | undefined
  ip: string
}

/** What an authenticate hook answers. `rooms` limits the topics the client may use; absent = all. */
export type AuthResult = { ok: true, subject?: string, rooms?: readonly string[] } | { ok: false, reason?: string }

/** Checks a client's token. May throw; a throw counts as a refusal. */
export type Authenticate = (req: AuthRequest) => Promise<AuthResult> | AuthResult

export interface SignalingServerOptions {
  /** TCP port; 0 picks a free one (see server.port after start()). Default 4444. */
  port?: number
  /** Interface to bind. Default 127.0.0.1. */
  host?: string
  /** redis://host:port to share topics with other server processes; none = standalone. */
  redisUrl?: string
  /** Prefix of the Redis channels; servers sharing topics must use the same one. */
  redisPrefix?: string
  /** Overrides of DEFAULT_LIMITS. */
  limits?: Partial<Limits>
  /** When set, every connection must present a token (query `?token=` or first message). */
  authenticate?: Authenticate
  /** How long a connection may wait before sending its auth message, in ms. Default 5000. */
  authTimeoutMs?: number
  /** Interval of WebSocket pings; a client that misses one is closed. Default 30000 (y-webrtc's). */
  pingIntervalMs?: number
  /** Where logs go. Default: console at 'info'. */
  logger?: Logger
  /** Trust X-Forwarded-For for the client IP (only behind your own proxy). Default false. */
  trustProxy?: boolean
  /** Identifies this process on Redis; default random. */
  serverId?: string
  /** Clock in ms; tests may inject one. Default Date.now. */
  now?: () => number
}

export interface ResolvedOptions {
  port: number
  host: string
  redisUrl: string | undefined
  redisPrefix: string
  limits: Limits
  authenticate: Authenticate | undefined
  authTimeoutMs: number
  pingIntervalMs: number
  logger: Logger
  trustProxy: boolean
  serverId: string
  now: () => number
}

const positive = (name: string, v: number, allowZero = false): number => {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new InvalidOptionsError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(v)}.`)
  }
  return v
}

export const resolveOptions = (o: SignalingServerOptions): ResolvedOptions => {
  const limits: Limits = { ...DEFAULT_LIMITS, ...o.limits }
  for (const [k, v] of Object.entries(limits)) positive(`limits.${k}`, v)
  const port = o.port ?? 4444
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidOptionsError(`port must be an integer from 0 to 65535, got ${String(port)}.`)
  }
  if (o.redisUrl !== undefined && !/^rediss?:\/\//.test(o.redisUrl)) {
    throw new InvalidOptionsError(`redisUrl must look like redis://host:port, got ${o.redisUrl}.`)
  }
  return {
    port,
    host: o.host ?? '127.0.0.1',
    redisUrl: o.redisUrl,
    redisPrefix: o.redisPrefix ?? 'ymesh:signal',
    limits,
    authenticate: o.authenticate,
    authTimeoutMs: positive('authTimeoutMs', o.authTimeoutMs ?? 5000),
    pingIntervalMs: positive('pingIntervalMs', o.pingIntervalMs ?? 30_000),
    logger: o.logger ?? createConsoleLogger('info'),
    trustProxy: o.trustProxy ?? false,
    serverId: o.serverId ?? globalThis.crypto.randomUUID(),
    now: o.now ?? Date.now
  }
}
