// What @ymesh/signaling-server's /metrics says it moved: messages and bytes, both directions,
// summed over message types (ymesh_signal_{messages,bytes}_{in,out}_total).
import type { SignalingServer } from '@ymesh/signaling-server'

export interface ServerCounters {
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
  /** Per metric and type, e.g. 'messages_in:publish'. */
  byType: Record<string, number>
}

const METRIC = /^ymesh_signal_(messages|bytes)_(in|out)_total\{type="([^"]*)"\} (\d+(?:\.\d+)?)$/

/** Parses the Prometheus text the server serves on /metrics. */
export const parseServerCounters = (text: string): ServerCounters => {
  const c: ServerCounters = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, byType: {} }
  for (const line of text.split('\n')) {
    const m = METRIC.exec(line)
    if (m === null) continue
    const [, what, dir, type, value] = m as unknown as [string, 'messages' | 'bytes', 'in' | 'out', string, string]
    const v = Number(value)
    c.byType[`${what}_${dir}:${type}`] = v
    if (what === 'messages') c[dir === 'in' ? 'messagesIn' : 'messagesOut'] += v
    else c[dir === 'in' ? 'bytesIn' : 'bytesOut'] += v
  }
  return c
}

export const readServerCounters = (server: SignalingServer): ServerCounters => parseServerCounters(server.metricsText())

/** after − before, per field. */
export const counterDelta = (before: ServerCounters, after: ServerCounters): ServerCounters => {
  const byType: Record<string, number> = {}
  for (const [k, v] of Object.entries(after.byType)) {
    const d = v - (before.byType[k] ?? 0)
    if (d !== 0) byType[k] = d
  }
  return {
    messagesIn: after.messagesIn - before.messagesIn,
    messagesOut: after.messagesOut - before.messagesOut,
    bytesIn: after.bytesIn - before.bytesIn,
    bytesOut: after.bytesOut - before.bytesOut,
    byType
  }
}
