/**
 * Inbound messages: y-webrtc's signaling protocol plus ymesh's additive fields.
 * Every frame from a client passes through parseClientMessage; nothing else touches raw input.
 */

/** Why an inbound frame, connection or subscription was refused; a label of the rejections metric. */
export type RejectReason =
  | 'malformed-json' | 'binary-frame' | 'not-an-object' | 'unknown-type' | 'invalid-field'
  | 'too-big' | 'rate-limited' | 'too-many-topics' | 'topic-limit' | 'server-full'
  | 'ip-connections' | 'ip-rate' | 'ip-banned' | 'unauthorized' | 'auth-timeout' | 'forbidden-topic'
  | 'slow-consumer' | 'redis-unavailable' | 'redis-malformed' | 'too-deep'

export const REJECT_REASONS: readonly RejectReason[] = [
  'malformed-json', 'binary-frame', 'not-an-object', 'unknown-type', 'invalid-field',
  'too-big', 'rate-limited', 'too-many-topics', 'topic-limit', 'server-full',
  'ip-connections', 'ip-rate', 'ip-banned', 'unauthorized', 'auth-timeout', 'forbidden-topic',
  'slow-consumer', 'redis-unavailable', 'redis-malformed', 'too-deep'
]

export type ClientMessage =
  /**
   * `peerId` (ymesh extension) names the subscriber within these topics, for addressed publishes.
   * `quiet` (ymesh extension, with a peerId): the subscriber gets addressed publishes and stock
   * clients' broadcasts, not the broadcasts of other ymesh clients unless they are marked `all`.
   * Every subscribe sets it; a subscribe without it makes the subscriber hear everything again.
   */
  | { type: 'subscribe', topics: string[], peerId: string | undefined, quiet: boolean }
  | { type: 'unsubscribe', topics: string[] }
  /**
   * `to` (ymesh extension) delivers to the subscribers that announced that peerId only. `all`
   * (ymesh extension): a broadcast that quiet subscribers get too.
   */
  | { type: 'publish', topic: string, data: unknown, to: string | undefined, all: boolean }
  | { type: 'ping' }
  /** ymesh extension: the token, as the first message, when it is not in the URL. */
  | { type: 'auth', token: string }

export type MessageType = ClientMessage['type']
export const MESSAGE_TYPES: readonly MessageType[] = ['subscribe', 'unsubscribe', 'publish', 'ping', 'auth']

export type ParseResult = { ok: true, message: ClientMessage } | { ok: false, reason: RejectReason }

const MAX_ID_LENGTH = 256

/**
 * Deepest nesting of arrays/objects accepted in a publish's `data`. y-webrtc's own messages
 * are at most 4 deep; the server re-serializes `data` to forward it, and JSON.stringify of a
 * deeply nested value overflows the stack — a 10 KB frame of brackets would kill the process.
 */
export const MAX_DATA_DEPTH = 32

/** Whether `value` nests deeper than `max`, measured without recursion (so it cannot overflow itself). */
const nestsDeeperThan = (value: unknown, max: number): boolean => {
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (typeof v !== 'object' || v === null) continue
    if (depth >= max) return true
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1])
    }
  }
  return false
}

const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((t) => typeof t === 'string')

const optionalId = (v: unknown): v is string | undefined =>
  v === undefined || (typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH)

const optionalBoolean = (v: unknown): v is boolean | undefined => v === undefined || typeof v === 'boolean'

/** Parses one text frame. Never throws. */
export const parseClientMessage = (text: string): ParseResult => {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return { ok: false, reason: 'malformed-json' }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'not-an-object' }
  const m = raw as Record<string, unknown>
  switch (m.type) {
    case 'subscribe':
      // y-webrtc's server treats a missing list as empty; so do we.
      if (m.topics !== undefined && !isStringArray(m.topics)) return { ok: false, reason: 'invalid-field' }
      if (!optionalId(m.peerId) || !optionalBoolean(m.quiet)) return { ok: false, reason: 'invalid-field' }
      return { ok: true, message: { type: 'subscribe', topics: m.topics ?? [], peerId: m.peerId, quiet: m.quiet === true } }
    case 'unsubscribe':
      if (m.topics !== undefined && !isStringArray(m.topics)) return { ok: false, reason: 'invalid-field' }
      return { ok: true, message: { type: 'unsubscribe', topics: m.topics ?? [] } }
    case 'publish':
      if (typeof m.topic !== 'string' || m.topic === '') return { ok: false, reason: 'invalid-field' }
      if (!optionalId(m.to) || !optionalBoolean(m.all)) return { ok: false, reason: 'invalid-field' }
      if (nestsDeeperThan(m.data, MAX_DATA_DEPTH)) return { ok: false, reason: 'too-deep' }
      return { ok: true, message: { type: 'publish', topic: m.topic, data: m.data, to: m.to, all: m.all === true } }
    case 'ping':
      return { ok: true, message: { type: 'ping' } }
    case 'auth':
      if (typeof m.token !== 'string') return { ok: false, reason: 'invalid-field' }
      return { ok: true, message: { type: 'auth', token: m.token } }
    default:
      return { ok: false, reason: typeof m.type === 'string' ? 'unknown-type' : 'invalid-field' }
  }
}

/** The error reply (ymesh extension; stock clients ignore unknown types). */
export const errorReply = (code: RejectReason, message: string, topic?: string): string =>
  JSON.stringify(topic === undefined ? { type: 'error', code, message } : { type: 'error', code, message, topic })
