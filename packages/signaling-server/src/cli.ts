import { parseArgs } from 'node:util'
import { createEd25519Verifier } from './auth.js'
import { InvalidOptionsError } from './errors.js'
import type { LogLevel } from './logger.js'
import { createConsoleLogger } from './logger.js'
import type { Limits, SignalingServerOptions } from './options.js'
import { DEFAULT_LIMITS } from './options.js'

/** CLI flag -> limit it sets. */
const LIMIT_FLAGS: Record<string, keyof Limits> = {
  'max-message-bytes': 'maxMessageBytes',
  'max-topics-per-connection': 'maxTopicsPerConnection',
  'max-topics': 'maxTopics',
  'max-connections': 'maxConnections',
  'max-connections-per-ip': 'maxConnectionsPerIp',
  'connections-per-second-per-ip': 'connectionsPerSecondPerIp',
  'connection-burst-per-ip': 'connectionBurstPerIp',
  'ban-ms': 'banMs',
  'messages-per-second': 'messagesPerSecond',
  'message-burst': 'messageBurst',
  'max-buffered-bytes': 'maxBufferedBytes'
}

export const HELP = `Usage: ymesh-signal [options]

A y-webrtc compatible signaling server (WebSocket) with limits, optional token
authentication, /health and /metrics, and scale-out over Redis.

Options:
  --port <n>              port to listen on (default: $PORT or 4444; 0 = any free port)
  --host <addr>           interface to bind (default: 127.0.0.1; 0.0.0.0 for all)
  --redis <url>           share topics with other servers, e.g. redis://127.0.0.1:6379
  --redis-prefix <text>   Redis channel prefix (default: ymesh:signal)
  --auth-public-key <k>   require tokens signed by this Ed25519 issuer key (base64url, 32 bytes)
  --auth-timeout-ms <n>   time to send the auth message when the URL has no ?token= (default: 5000)
  --ping-interval-ms <n>  WebSocket ping interval; silent clients are dropped (default: 30000)
  --trust-proxy           take the client address from X-Forwarded-For (only behind your proxy)
  --log-level <level>     debug | info | warn | error | silent (default: info)
  --help                  show this help
Limits (defaults in brackets):
${Object.entries(LIMIT_FLAGS).map(([flag, key]) => `  --${flag.padEnd(30)} [${DEFAULT_LIMITS[key]}]`).join('\n')}

HTTP on the same port: GET /health (JSON) and GET /metrics (Prometheus text).
`

export type CliParse = { help: true } | { help: false, options: SignalingServerOptions }

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent']

const int = (flag: string, text: string): number => {
  const n = Number(text)
  if (!Number.isFinite(n) || !/^\d+$/.test(text)) throw new InvalidOptionsError(`--${flag} takes a whole number, got "${text}".`)
  return n
}

/** Parses ymesh-signal's argv (without node and the script); throws InvalidOptionsError. */
export const parseCliArgs = (argv: readonly string[], env: Record<string, string | undefined> = {}): CliParse => {
  const stringFlags = ['port', 'host', 'redis', 'redis-prefix', 'auth-public-key', 'auth-timeout-ms', 'ping-interval-ms', 'log-level', ...Object.keys(LIMIT_FLAGS)]
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(stringFlags.map((f) => [f, { type: 'string' as const }])),
        help: { type: 'boolean', short: 'h' },
        'trust-proxy': { type: 'boolean' }
      },
      strict: true,
      allowPositionals: false
    }).values
  } catch (err) {
    throw new InvalidOptionsError(`${(err as Error).message}. Run ymesh-signal --help for the options.`)
  }
  if (values.help === true) return { help: true }
  const s = (f: string): string | undefined => values[f] as string | undefined
  const level = (s('log-level') ?? 'info') as LogLevel
  if (!LOG_LEVELS.includes(level)) throw new InvalidOptionsError(`--log-level must be one of ${LOG_LEVELS.join(', ')}.`)
  const limits: Partial<Limits> = {}
  for (const [flag, key] of Object.entries(LIMIT_FLAGS)) {
    const v = s(flag)
    if (v !== undefined) limits[key] = int(flag, v)
  }
  const port = s('port') ?? env.PORT
  const key = s('auth-public-key')
  const options: SignalingServerOptions = {
    port: port === undefined ? 4444 : int('port', port),
    host: s('host') ?? env.HOST ?? '127.0.0.1',
    limits,
    logger: createConsoleLogger(level),
    trustProxy: values['trust-proxy'] === true
  }
  if (s('redis') !== undefined) options.redisUrl = s('redis')
  if (s('redis-prefix') !== undefined) options.redisPrefix = s('redis-prefix')
  if (s('auth-timeout-ms') !== undefined) options.authTimeoutMs = int('auth-timeout-ms', s('auth-timeout-ms') as string)
  if (s('ping-interval-ms') !== undefined) options.pingIntervalMs = int('ping-interval-ms', s('ping-interval-ms') as string)
  if (key !== undefined) options.authenticate = createEd25519Verifier({ publicKey: key })
  return { help: false, options }
}
