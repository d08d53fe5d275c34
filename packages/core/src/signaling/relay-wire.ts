/**
 * The grammar of relayed signaling: the body of routed messages with payload type
 * 'relayed-signal' (17), and the capsule the signals travel in. See docs/hybrid-signaling.md.
 *
 *   relayed  = forward | decline | ack | roster
 *   forward  = 0 • target:PeerId • capsule:varUint8Array     "deliver, or relay towards target"
 *   decline  = 1 • target:PeerId • seq:varUint • reason:varUint   relay → author
 *   ack      = 2 • seq:varUint                                 target → author
 *   roster   = 3 • topic:varString • count:varUint • (peer:PeerId • ageMs:varUint)* •
 *              [parkedCount:varUint • parkedIndex:varUint* •  (optional: the entries known to be off
 *                                                             the server topic, by strictly increasing index; absent = not known)
 *               [relayRttMs:varUint]]                         (optional, after a parked list: the sender's smoothed relay round
 *                                                             trip, 1..MAX_RELAY_RTT_MS; a newcomer's first fallback timeout)
 *
 *   capsule  = from:PeerId • to:PeerId • seq:varUint • sealed:varUint8Array
 *   sealed   = PairKeys.seal(to, CAPSULE_DOMAIN + '|' + from, body, header = from • to • seq)
 *              (pair-keys.ts: AES-GCM under a key only `from` and `to` can derive — static X25519 of
 *              both, HKDF bound to the direction — with the clear header in the AAD, so the tag
 *              authenticates the whole capsule to the target: no Ed25519 signature is needed)
 *   body     = topic:varString • session:varString • count:varUint • (index:varUint • signal:varString)* •
 *              ackCount:varUint • ackedSeq:varUint* •       (acks of the recipient's capsules: sealed by us)
 *              reachCount:varUint • reach:PeerId* •         (the author's neighbours: relays that reach it before routes converge)
 *              [flags:varUint]                              (optional; bit 0: the author is parked in `topic`, off the server)
 *
 * Decoders never trust their input: bounded lengths and counts, typed errors.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import {
  decodeAll, InvalidMessageError, readBoundedVarString, readBoundedVarUint, readBoundedVarUint8Array, readPeerId, writePeerId,
  type PeerId, type SignalData
} from '@ymesh/protocol'

export const CAPSULE_DOMAIN = 'ymesh/relayed-signal/v2'
export const RelayKind = Object.freeze({ Forward: 0, Decline: 1, Ack: 2, Roster: 3 } as const)
export const DeclineReason = Object.freeze({ Disabled: 0, Overloaded: 1, NoRoute: 2, Invalid: 3 } as const)
export type DeclineReasonName = 'disabled' | 'overloaded' | 'no-route' | 'invalid'
const DECLINE_NAMES: readonly DeclineReasonName[] = ['disabled', 'overloaded', 'no-route', 'invalid']

export const MAX_CAPSULE_BYTES = 96 * 1024
export const MAX_SIGNALS_PER_CAPSULE = 64
export const MAX_ROSTER_ENTRIES = 512
export const MAX_ACKS = 256
export const MAX_REACH = 8
/** A roster's relay round trip, ms (beyond any fallback ceiling worth having). */
export const MAX_RELAY_RTT_MS = 60_000
const MAX_TOPIC_BYTES = 1024
const MAX_SESSION_BYTES = 64
const MAX_SIGNAL_BYTES = 64 * 1024
const MAX_SEQ = Number.MAX_SAFE_INTEGER
const MAX_AGE_MS = 0xffffffff

export type RelayMessage =
  | { readonly kind: 'forward', readonly target: PeerId, readonly capsule: Uint8Array }
  | { readonly kind: 'decline', readonly target: PeerId, readonly seq: number, readonly reason: DeclineReasonName }
  | { readonly kind: 'ack', readonly seq: number }
  | {
    readonly kind: 'roster', readonly topic: string, readonly entries: ReadonlyArray<readonly [PeerId, number]>,
    /** Entries (by peer) known to be parked: unsubscribed from the topic at the server. Undefined: not said. */
    readonly parked?: ReadonlySet<PeerId>
    /** The sender's smoothed relay round trip, ms (FallbackTimer). Undefined: none measured. Needs `parked`. */
    readonly relayRttMs?: number
  }

export const encodeRelayMessage = (m: RelayMessage): Uint8Array => encoding.encode((e) => {
  switch (m.kind) {
    case 'forward':
      encoding.writeVarUint(e, RelayKind.Forward)
      writePeerId(e, m.target)
      encoding.writeVarUint8Array(e, m.capsule)
      return
    case 'decline':
      encoding.writeVarUint(e, RelayKind.Decline)
      writePeerId(e, m.target)
      encoding.writeVarUint(e, m.seq)
      encoding.writeVarUint(e, DECLINE_NAMES.indexOf(m.reason))
      return
    case 'ack':
      encoding.writeVarUint(e, RelayKind.Ack)
      encoding.writeVarUint(e, m.seq)
      return
    case 'roster':
      if (m.entries.length > MAX_ROSTER_ENTRIES) throw new InvalidMessageError(`a roster lists at most ${MAX_ROSTER_ENTRIES} peers`)
      encoding.writeVarUint(e, RelayKind.Roster)
      encoding.writeVarString(e, m.topic)
      encoding.writeVarUint(e, m.entries.length)
      for (const [peer, age] of m.entries) { writePeerId(e, peer); encoding.writeVarUint(e, Math.min(MAX_AGE_MS, Math.max(0, Math.floor(age)))) }
      if (m.parked !== undefined) {
        const parked = m.entries.flatMap(([peer], i) => (m.parked?.has(peer) === true ? [i] : []))
        encoding.writeVarUint(e, parked.length)
        for (const i of parked) encoding.writeVarUint(e, i)
        if (m.relayRttMs !== undefined) encoding.writeVarUint(e, Math.min(MAX_RELAY_RTT_MS, Math.max(1, Math.round(m.relayRttMs))))
      } else if (m.relayRttMs !== undefined) {
        throw new InvalidMessageError('a roster gives its relay round trip only after its parked list')
      }
  }
})

export const decodeRelayMessage = (bytes: Uint8Array): RelayMessage => decodeAll(bytes, 'relayed-signal', (d) => {
  const kind = readBoundedVarUint(d, RelayKind.Roster, 'relayed-signal kind')
  switch (kind) {
    case RelayKind.Forward:
      return { kind: 'forward', target: readPeerId(d, 'relay target'), capsule: readBoundedVarUint8Array(d, MAX_CAPSULE_BYTES, 'capsule') }
    case RelayKind.Decline: {
      const target = readPeerId(d, 'decline target')
      const seq = readBoundedVarUint(d, MAX_SEQ, 'decline seq')
      const reason = DECLINE_NAMES[readBoundedVarUint(d, DECLINE_NAMES.length - 1, 'decline reason')] as DeclineReasonName
      return { kind: 'decline', target, seq, reason }
    }
    case RelayKind.Ack:
      return { kind: 'ack', seq: readBoundedVarUint(d, MAX_SEQ, 'ack seq') }
    default: {
      const topic = readBoundedVarString(d, MAX_TOPIC_BYTES, 'roster topic')
      const count = readBoundedVarUint(d, MAX_ROSTER_ENTRIES, 'roster count')
      const entries: Array<readonly [PeerId, number]> = []
      for (let i = 0; i < count; i++) entries.push([readPeerId(d, 'roster peer'), readBoundedVarUint(d, MAX_AGE_MS, 'roster age')])
      if (!decoding.hasContent(d)) return { kind: 'roster', topic, entries }
      const parkedCount = readBoundedVarUint(d, count, 'roster parked count')
      const parked = new Set<PeerId>()
      let previous = -1
      for (let i = 0; i < parkedCount; i++) {
        const index = readBoundedVarUint(d, Math.max(0, count - 1), 'roster parked index')
        if (index <= previous) throw new InvalidMessageError('roster parked indexes must increase strictly')
        previous = index
        parked.add((entries[index] as readonly [PeerId, number])[0])
      }
      if (!decoding.hasContent(d)) return { kind: 'roster', topic, entries, parked }
      const relayRttMs = readBoundedVarUint(d, MAX_RELAY_RTT_MS, 'roster relay round trip')
      if (relayRttMs < 1) throw new InvalidMessageError('a roster relay round trip is at least 1 ms')
      return { kind: 'roster', topic, entries, parked, relayRttMs }
    }
  }
})

/** A capsule's clear part: who wrote it, for whom, its sequence number; the body stays sealed. */
export interface Capsule {
  readonly from: PeerId
  readonly to: PeerId
  readonly seq: number
  readonly sealed: Uint8Array
}

/** The clear header the seal authenticates (its AAD): from • to • seq. */
export const capsuleHeader = (c: Pick<Capsule, 'from' | 'to' | 'seq'>): Uint8Array => encoding.encode((e) => {
  writePeerId(e, c.from)
  writePeerId(e, c.to)
  encoding.writeVarUint(e, c.seq)
})

export const encodeCapsule = (c: Capsule): Uint8Array => encoding.encode((e) => {
  writePeerId(e, c.from)
  writePeerId(e, c.to)
  encoding.writeVarUint(e, c.seq)
  encoding.writeVarUint8Array(e, c.sealed)
})

export const decodeCapsule = (bytes: Uint8Array): Capsule => decodeAll(bytes, 'capsule', (d) => ({
  from: readPeerId(d, 'capsule from'),
  to: readPeerId(d, 'capsule to'),
  seq: readBoundedVarUint(d, MAX_SEQ, 'capsule seq'),
  sealed: readBoundedVarUint8Array(d, MAX_CAPSULE_BYTES, 'capsule body')
}))

export interface CapsuleBody {
  readonly topic: string
  readonly session: string
  readonly signals: ReadonlyArray<{ readonly index: number, readonly signal: SignalData }>
  /** Sequence numbers of the recipient's capsules this one acknowledges. */
  readonly acks: readonly number[]
  /**
   * Neighbours of the author: a target answering a newcomer asks one of them to relay, since
   * no route to the newcomer may exist yet. Inside the seal and the signature, so a relay can
   * neither read nor redirect it.
   */
  readonly reach?: readonly PeerId[]
  /**
   * Whether the author is parked in `topic` (unsubscribed at the server, so fallbacks to it
   * would be dropped): word straight from the author, fresher than any roster. Undefined: not said.
   */
  readonly parked?: boolean
}

export const encodeCapsuleBody = (b: CapsuleBody): Uint8Array => encoding.encode((e) => {
  if (b.signals.length > MAX_SIGNALS_PER_CAPSULE) throw new InvalidMessageError(`a capsule holds at most ${MAX_SIGNALS_PER_CAPSULE} signals`)
  encoding.writeVarString(e, b.topic)
  encoding.writeVarString(e, b.session)
  encoding.writeVarUint(e, b.signals.length)
  for (const s of b.signals) { encoding.writeVarUint(e, s.index); encoding.writeVarString(e, JSON.stringify(s.signal)) }
  if (b.acks.length > MAX_ACKS) throw new InvalidMessageError(`a capsule acknowledges at most ${MAX_ACKS} capsules`)
  encoding.writeVarUint(e, b.acks.length)
  for (const seq of b.acks) encoding.writeVarUint(e, seq)
  const reach = (b.reach ?? []).slice(0, MAX_REACH)
  encoding.writeVarUint(e, reach.length)
  for (const peer of reach) writePeerId(e, peer)
  if (b.parked !== undefined) encoding.writeVarUint(e, b.parked ? 1 : 0)
})

/** The body, with each signal still unvalidated JSON (the caller checks it as server input). */
export const decodeCapsuleBody = (bytes: Uint8Array): { topic: string, session: string, signals: Array<{ index: number, signal: unknown }>, acks: number[], reach: PeerId[], parked?: boolean } =>
  decodeAll(bytes, 'capsule body', (d) => {
    const topic = readBoundedVarString(d, MAX_TOPIC_BYTES, 'capsule topic')
    const session = readBoundedVarString(d, MAX_SESSION_BYTES, 'capsule session')
    const count = readBoundedVarUint(d, MAX_SIGNALS_PER_CAPSULE, 'capsule signal count')
    const signals: Array<{ index: number, signal: unknown }> = []
    for (let i = 0; i < count; i++) {
      const index = readBoundedVarUint(d, 0xffff, 'signal index')
      const text = readBoundedVarString(d, MAX_SIGNAL_BYTES, 'signal')
      let signal: unknown
      try { signal = JSON.parse(text) } catch { throw new InvalidMessageError('a relayed signal is not JSON') }
      signals.push({ index, signal })
    }
    const ackCount = readBoundedVarUint(d, MAX_ACKS, 'capsule ack count')
    const acks: number[] = []
    for (let i = 0; i < ackCount; i++) acks.push(readBoundedVarUint(d, MAX_SEQ, 'acked seq'))
    const reachCount = readBoundedVarUint(d, MAX_REACH, 'capsule reach count')
    const reach: PeerId[] = []
    for (let i = 0; i < reachCount; i++) reach.push(readPeerId(d, 'capsule reach'))
    if (!decoding.hasContent(d)) return { topic, session, signals, acks, reach }
    return { topic, session, signals, acks, reach, parked: readBoundedVarUint(d, 1, 'capsule flags') === 1 }
  })
