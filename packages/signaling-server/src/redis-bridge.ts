import { Redis } from 'ioredis'
import type { Logger } from './logger.js'
import type { RedisLinkState } from './metrics.js'

/**
 * Version of the server-to-server envelope. It is part of the channel name, so servers of
 * different versions simply do not hear each other instead of misreading each other.
 */
export const REDIS_PROTOCOL_VERSION = 1

/** What one server publishes on a topic's channel for the others. */
export interface RedisEnvelope {
  v: typeof REDIS_PROTOCOL_VERSION
  /** Origin server id: a server ignores its own envelopes (it delivered locally already). */
  o: string
  topic: string
  data: unknown
  to?: string
  /** A broadcast that skips quiet subscribers (Hub.deliver's skipQuiet); absent: false. */
  q?: true
}

export interface RedisBridgeOptions {
  url: string
  prefix: string
  serverId: string
  logger: Logger
  onPublish: (envelope: RedisEnvelope) => void
  onMalformed: () => void
  onState: (state: RedisLinkState) => void
}

export const parseEnvelope = (text: string): RedisEnvelope | undefined => {
  try {
    const e = JSON.parse(text) as Partial<RedisEnvelope> | null
    if (e === null || typeof e !== 'object' || e.v !== REDIS_PROTOCOL_VERSION || typeof e.o !== 'string' ||
      typeof e.topic !== 'string' || (e.to !== undefined && typeof e.to !== 'string') || (e.q !== undefined && e.q !== true)) return undefined
    return e as RedisEnvelope
  } catch {
    return undefined
  }
}

/**
 * Shares publishes with other server processes through Redis pub/sub: one channel per topic,
 * subscribed while the topic has local subscribers. While Redis is away, publishes are
 * dropped for other servers (never queued: memory stays bounded) and local delivery goes on;
 * on reconnect every active topic is subscribed again.
 */
export class RedisBridge {
  private pub: Redis | undefined
  private sub: Redis | undefined
  private readonly wanted = new Set<string>()
  private state: RedisLinkState = 'connecting'

  constructor (private readonly o: RedisBridgeOptions) {}

  get linkState (): RedisLinkState {
    return this.state
  }

  private channel (topic: string): string {
    return `${this.o.prefix}:v${REDIS_PROTOCOL_VERSION}:${topic}`
  }

  start (): void {
    const common = {
      lazyConnect: false,
      enableOfflineQueue: false,
      autoResubscribe: false,
      maxRetriesPerRequest: 0,
      // Reconnect forever, quickly at first, at most every 2 s.
      retryStrategy: (times: number) => Math.min(100 * times, 2000)
    }
    const pub = new Redis(this.o.url, { ...common, connectionName: `ymesh-signal-pub-${this.o.serverId}` })
    const sub = new Redis(this.o.url, { ...common, connectionName: `ymesh-signal-sub-${this.o.serverId}` })
    this.pub = pub
    this.sub = sub
    const prefix = `${this.o.prefix}:v${REDIS_PROTOCOL_VERSION}:`
    const update = (): void => {
      const next: RedisLinkState = pub.status === 'ready' && sub.status === 'ready' ? 'connected' : 'disconnected'
      if (next !== this.state) {
        this.state = next
        this.o.logger.info(`redis ${next}`, { url: this.o.url })
        this.o.onState(next)
      }
    }
    for (const c of [pub, sub]) {
      c.on('error', (err: Error) => this.o.logger.debug('redis error', { message: err.message }))
      c.on('close', update)
    }
    pub.on('ready', update)
    sub.on('ready', () => {
      const topics = [...this.wanted].map((t) => this.channel(t))
      for (let i = 0; i < topics.length; i += 1000) {
        sub.subscribe(...topics.slice(i, i + 1000)).catch(() => { /* the next 'ready' subscribes again */ })
      }
      update()
    })
    sub.on('message', (channel: string, message: string) => {
      if (!channel.startsWith(prefix)) return
      const e = parseEnvelope(message)
      if (e === undefined || this.channel(e.topic) !== channel) {
        this.o.onMalformed()
        return
      }
      if (e.o === this.o.serverId) return
      this.o.onPublish(e)
    })
  }

  /** Follows a topic's first local subscriber. */
  subscribe (topic: string): void {
    this.wanted.add(topic)
    if (this.sub?.status === 'ready') this.sub.subscribe(this.channel(topic)).catch(() => {})
  }

  /** Follows a topic's last local subscriber leaving. */
  unsubscribe (topic: string): void {
    this.wanted.delete(topic)
    if (this.sub?.status === 'ready') this.sub.unsubscribe(this.channel(topic)).catch(() => {})
  }

  /** Sends a publish to the other servers; false when Redis is not connected (it is dropped). */
  publish (topic: string, data: unknown, to: string | undefined, skipQuiet = false): boolean {
    if (this.pub?.status !== 'ready') return false
    const e: RedisEnvelope = { v: REDIS_PROTOCOL_VERSION, o: this.o.serverId, topic, data, ...(to === undefined ? {} : { to }), ...(skipQuiet ? { q: true as const } : {}) }
    this.pub.publish(this.channel(topic), JSON.stringify(e)).catch(() => {})
    return true
  }

  async stop (): Promise<void> {
    const clients = [this.pub, this.sub].filter((c): c is Redis => c !== undefined)
    this.pub = undefined
    this.sub = undefined
    this.wanted.clear()
    // disconnect() rather than quit(): quit waits for a reply that never comes while Redis is down.
    for (const c of clients) {
      c.removeAllListeners('close')
      c.disconnect()
    }
    this.state = 'disconnected'
  }
}
