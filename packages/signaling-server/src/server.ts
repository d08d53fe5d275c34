import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import type { WebSocket } from 'ws'
import { CloseCode } from './close-codes.js'
import { Connection } from './connection.js'
import { ServerStateError } from './errors.js'
import { Hub } from './hub.js'
import { IpLimiter } from './ip-limiter.js'
import type { RejectReason } from './messages.js'
import { Metrics } from './metrics.js'
import type { RedisLinkState } from './metrics.js'
import type { AuthResult, ResolvedOptions, SignalingServerOptions } from './options.js'
import { resolveOptions } from './options.js'
import { Outbox } from './outbox.js'
import { RedisBridge } from './redis-bridge.js'

/** What /health answers. */
export interface HealthReport {
  status: 'ok' | 'degraded' | 'stopping'
  uptime: number
  connections: number
  topics: number
  redis: RedisLinkState
  serverId: string
}

export interface SignalingServer {
  /** Binds and starts serving; resolves with the bound address. */
  start: () => Promise<{ host: string, port: number, url: string }>
  /** Closes every client with GOING_AWAY (1001), then the listener and Redis. */
  stop: () => Promise<void>
  /** The bound port (after start()). */
  readonly port: number
  /** ws://host:port (after start()). */
  readonly url: string
  health: () => HealthReport
  /** Prometheus text, as served on /metrics. */
  metricsText: () => string
  /** The counters themselves, for tests and embedding. */
  readonly metrics: Metrics
}

const HOUSEKEEPING_MS = 10_000
/** How long stop() waits for clients to answer the close handshake before cutting them off. */
const CLOSE_GRACE_MS = 2_000

const refuseUpgrade = (socket: Duplex, status: number, text: string): void => {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`)
}

/**
 * A y-webrtc compatible signaling server with limits, optional authentication, metrics and
 * Redis scale-out. Nothing happens until start().
 */
export const createSignalingServer = (options: SignalingServerOptions = {}): SignalingServer => {
  const o: ResolvedOptions = resolveOptions(options)
  const { limits, logger } = o
  const metrics = new Metrics()
  const outbox = new Outbox(limits.maxBufferedBytes)
  const ipLimiter = new IpLimiter(limits)
  const connections = new Set<Connection>()
  let redis: RedisBridge | undefined
  const hub = new Hub(outbox, metrics, limits.maxTopics, (topic, active) => {
    if (active) redis?.subscribe(topic)
    else redis?.unsubscribe(topic)
  })
  let httpServer: ReturnType<typeof createServer> | undefined
  let wss: WebSocketServer | undefined
  let pingTimer: NodeJS.Timeout | undefined
  let houseTimer: NodeJS.Timeout | undefined
  let startedAt = 0
  let state: 'idle' | 'running' | 'stopping' = 'idle'
  let bound = { host: o.host, port: o.port, url: '' }

  const reject = (reason: RejectReason): void => metrics.reject(reason)

  const clientIp = (req: IncomingMessage): string => {
    const forwarded = o.trustProxy ? req.headers['x-forwarded-for'] : undefined
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim()
    return first !== undefined && first !== '' ? first : (req.socket.remoteAddress ?? 'unknown')
  }

  const health = (): HealthReport => {
    const redisState = redis?.linkState ?? 'disabled'
    return {
      status: state === 'stopping' ? 'stopping' : redis !== undefined && redisState !== 'connected' ? 'degraded' : 'ok',
      uptime: startedAt === 0 ? 0 : (o.now() - startedAt) / 1000,
      connections: connections.size,
      topics: hub.topicCount,
      redis: redisState,
      serverId: o.serverId
    }
  }

  const metricsText = (): string => {
    const h = health()
    return metrics.render({ connections: h.connections, topics: h.topics, uptimeSeconds: h.uptime, redis: h.redis })
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end()
    } else if (path === '/health') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(health()))
    } else if (path === '/metrics') {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' }).end(metricsText())
    } else if (path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ymesh signaling server: connect with WebSocket; see /health and /metrics\n')
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n')
    }
  }

  const accept = (req: IncomingMessage, socket: Duplex, head: Buffer, ip: string, auth: AuthResult | undefined): void => {
    const w = wss
    if (w === undefined || state !== 'running') {
      ipLimiter.release(ip)
      return refuseUpgrade(socket, 503, 'Service Unavailable')
    }
    w.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      metrics.connectionsAccepted++
      if (connections.size >= limits.maxConnections) {
        reject('server-full')
        ipLimiter.release(ip)
        ws.close(CloseCode.SERVER_FULL, 'server full; try another server or later')
        return
      }
      const conn = new Connection(ws, socket, ip, {
        hub, metrics, limits, logger, authenticate: o.authenticate, authTimeoutMs: o.authTimeoutMs, now: o.now,
        forward: (topic, data, to, skipQuiet) => {
          if (redis === undefined) return false
          if (redis.publish(topic, data, to, skipQuiet)) metrics.countRedis('out')
          else reject('redis-unavailable')
          return true
        }
      }, auth?.ok === true ? { rooms: auth.rooms } : undefined)
      connections.add(conn)
      ws.on('error', (err: Error & { code?: string }) => {
        // ws closes the connection itself (1009 for maxPayload); we only count why.
        reject(err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'too-big' : 'invalid-field')
        logger.debug('websocket error', { ip, message: err.message })
      })
      ws.on('close', () => {
        connections.delete(conn)
        ipLimiter.release(ip)
        conn.dispose()
      })
    })
  }

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy())
    const ip = clientIp(req)
    const admitted = ipLimiter.admit(ip, o.now())
    if (!admitted.ok) {
      reject(admitted.reason)
      return refuseUpgrade(socket, 429, 'Too Many Requests')
    }
    const hook = o.authenticate
    const token = hook === undefined ? null : new URL(req.url ?? '/', 'http://localhost').searchParams.get('token')
    if (hook === undefined || token === null) return accept(req, socket, head, ip, undefined)
    Promise.resolve()
      .then(() => hook({ token, request: req, ip }))
      .catch((err: unknown): AuthResult => {
        logger.debug('authenticate hook threw', { message: (err as Error).message })
        return { ok: false }
      })
      .then((result) => {
        if (!result.ok) {
          reject('unauthorized')
          ipLimiter.release(ip)
          return refuseUpgrade(socket, 401, 'Unauthorized')
        }
        if (socket.destroyed) return ipLimiter.release(ip)
        accept(req, socket, head, ip, result)
      }, () => { ipLimiter.release(ip) })
  }

  const onTcpConnection = (socket: Socket): void => {
    // A banned address is cut before any HTTP parsing, so a reconnect flood stays cheap.
    if (!o.trustProxy && socket.remoteAddress !== undefined && ipLimiter.isBanned(socket.remoteAddress, o.now())) {
      reject('ip-banned')
      socket.destroy()
    }
  }

  const pingAll = (): void => {
    for (const c of connections) {
      if (!c.alive) {
        c.ws.terminate()
        continue
      }
      c.alive = false
      c.ws.ping()
    }
  }

  return {
    metrics,
    health,
    metricsText,
    get port () { return bound.port },
    get url () { return bound.url },
    async start () {
      if (state !== 'idle') throw new ServerStateError('start() was called twice; create a new server or stop() this one first.')
      state = 'running'
      startedAt = o.now()
      wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes, perMessageDeflate: false, clientTracking: false })
      const server = createServer(onRequest)
      httpServer = server
      server.on('upgrade', onUpgrade)
      server.on('connection', onTcpConnection)
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject)
          server.listen(o.port, o.host, () => {
            server.off('error', reject)
            resolve()
          })
        })
      } catch (err) {
        state = 'idle'
        httpServer = undefined
        throw err
      }
      server.on('error', (err) => logger.error('http server error', { message: err.message }))
      const addr = server.address() as AddressInfo
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
      bound = { host: addr.address, port: addr.port, url: `ws://${host}:${addr.port}` }
      pingTimer = setInterval(pingAll, o.pingIntervalMs)
      houseTimer = setInterval(() => ipLimiter.sweep(o.now()), HOUSEKEEPING_MS)
      pingTimer.unref()
      houseTimer.unref()
      if (o.redisUrl !== undefined) {
        redis = new RedisBridge({
          url: o.redisUrl,
          prefix: o.redisPrefix,
          serverId: o.serverId,
          logger,
          onPublish: (e) => {
            metrics.countRedis('in')
            hub.deliver(e.topic, e.data, e.to, undefined, e.q === true)
          },
          onMalformed: () => reject('redis-malformed'),
          onState: () => {}
        })
        redis.start()
      }
      logger.info('listening', { url: bound.url, redis: o.redisUrl ?? 'none', serverId: o.serverId })
      return { ...bound }
    },
    async stop () {
      if (state !== 'running') return
      state = 'stopping'
      clearInterval(pingTimer)
      clearInterval(houseTimer)
      const server = httpServer as NonNullable<typeof httpServer>
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      outbox.flush()
      const open = [...connections]
      await Promise.all(open.map((c) => new Promise<void>((resolve) => {
        if (c.ws.readyState === 3) return resolve()
        const cut = setTimeout(() => c.ws.terminate(), CLOSE_GRACE_MS)
        c.ws.once('close', () => {
          clearTimeout(cut)
          resolve()
        })
        c.close(CloseCode.GOING_AWAY, 'server stopping')
      })))
      outbox.dispose()
      server.closeAllConnections()
      await closed
      await redis?.stop()
      redis = undefined
      wss?.close()
      wss = undefined
      httpServer = undefined
      state = 'idle'
      logger.info('stopped', { serverId: o.serverId })
    }
  }
}
