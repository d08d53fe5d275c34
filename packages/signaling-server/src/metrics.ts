import type { RejectReason } from './messages.js'

export type RedisLinkState = 'disabled' | 'connecting' | 'connected' | 'disconnected'

/** Outbound message types: y-webrtc's publish and pong, and ymesh's error, auth-ok and undelivered replies. */
export type OutType = 'publish' | 'pong' | 'error' | 'auth-ok' | 'undelivered'

const inc = <K extends string>(m: Map<K, number>, k: K, by = 1): void => {
  m.set(k, (m.get(k) ?? 0) + by)
}

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

/** Counters of one server; rendered as Prometheus text for /metrics. */
export class Metrics {
  readonly messagesIn = new Map<string, number>()
  readonly bytesIn = new Map<string, number>()
  readonly messagesOut = new Map<OutType, number>()
  readonly bytesOut = new Map<OutType, number>()
  readonly rejections = new Map<RejectReason, number>()
  readonly redisMessages = new Map<'in' | 'out', number>()
  connectionsAccepted = 0

  countIn (type: string, bytes: number): void {
    inc(this.messagesIn, type)
    inc(this.bytesIn, type, bytes)
  }

  countOut (type: OutType, bytes: number, receivers = 1): void {
    inc(this.messagesOut, type, receivers)
    inc(this.bytesOut, type, bytes * receivers)
  }

  reject (reason: RejectReason): void {
    inc(this.rejections, reason)
  }

  countRedis (direction: 'in' | 'out'): void {
    inc(this.redisMessages, direction)
  }

  render (g: { connections: number, topics: number, uptimeSeconds: number, redis: RedisLinkState }): string {
    const lines: string[] = []
    const gauge = (name: string, help: string, value: number): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`)
    }
    const counter = (name: string, help: string, label: string, values: Map<string, number>): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`)
      for (const [k, v] of [...values].sort(([a], [b]) => a.localeCompare(b))) {
        lines.push(`${name}{${label}="${escapeLabel(k)}"} ${v}`)
      }
    }
    gauge('ymesh_signal_connections', 'Open WebSocket connections.', g.connections)
    gauge('ymesh_signal_topics', 'Topics with at least one local subscriber.', g.topics)
    gauge('ymesh_signal_uptime_seconds', 'Seconds since start().', g.uptimeSeconds)
    lines.push('# HELP ymesh_signal_connections_accepted_total Connections accepted since start().',
      '# TYPE ymesh_signal_connections_accepted_total counter', `ymesh_signal_connections_accepted_total ${this.connectionsAccepted}`)
    counter('ymesh_signal_messages_in_total', 'Messages received from clients, by type.', 'type', this.messagesIn)
    counter('ymesh_signal_bytes_in_total', 'Bytes received from clients, by message type.', 'type', this.bytesIn)
    counter('ymesh_signal_messages_out_total', 'Messages sent to clients (one per receiver), by type.', 'type', this.messagesOut)
    counter('ymesh_signal_bytes_out_total', 'Bytes sent to clients (per receiver), by message type.', 'type', this.bytesOut)
    counter('ymesh_signal_rejections_total', 'Frames, subscriptions and connections refused, by reason.', 'reason', this.rejections)
    counter('ymesh_signal_redis_messages_total', 'Messages exchanged with other servers through Redis.', 'direction', this.redisMessages)
    lines.push('# HELP ymesh_signal_redis_link Redis link state (1 for the current state).', '# TYPE ymesh_signal_redis_link gauge')
    for (const s of ['disabled', 'connecting', 'connected', 'disconnected'] as const) {
      lines.push(`ymesh_signal_redis_link{state="${s}"} ${s === g.redis ? 1 : 0}`)
    }
    gauge('ymesh_signal_redis_up', 'Whether the Redis link is connected (1) or not (0; also when disabled).', g.redis === 'connected' ? 1 : 0)
    return `${lines.join('\n')}\n`
  }
}
