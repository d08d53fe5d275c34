/**
 * The `data` of y-webrtc publishes: `{type:'announce', from}` and
 * `{type:'signal', from, to, token, signal}`, plus ymesh's additive `ymesh: {v, session?}`.
 * Everything here is untrusted input from the signaling server: parsing never throws.
 */
import { isValidPeerIdString, MAX_CANDIDATE_LENGTH, MAX_SDP_LENGTH, PACKED_SIGNAL_FORMAT, packSignal, unpackSignal, type PackedSignal, type PeerId, type SignalData } from '@ymesh/protocol'
import { YMESH_SIGNALING_VERSION } from './types.js'

export type ParsedData =
  | { readonly type: 'announce', readonly from: PeerId, readonly to?: PeerId, readonly ymesh: boolean, readonly packs: boolean, readonly again?: number }
  | { readonly type: 'signal', readonly from: PeerId, readonly to: PeerId, readonly ymesh: boolean, readonly packs: boolean,
    readonly token?: number, readonly session?: string, readonly index?: number, readonly signal: SignalData,
    /** Further signals of the same link attempt bundled into this publish (ymesh only). */
    readonly more?: ReadonlyArray<BundledSignal> }

/** A signal bundled after the first one of a publish: its place in the session, when numbered. */
export interface BundledSignal { readonly index?: number, readonly signal: SignalData }

/** Signals one publish may bundle (an attempt's description and its ICE candidates). */
export const MAX_BUNDLED_SIGNALS = 32

const MAX_SESSION_LENGTH = 64

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A signal, packed (`{type, z}`, PROTOCOL.md "Packed signals") or as y-webrtc sends it; null when malformed. */
export const parseSignal = (v: unknown): SignalData | null => {
  if (!isObject(v)) return null
  if (v.z !== undefined) {
    try {
      return unpackSignal({ type: v.type, z: v.z })
    } catch {
      return null
    }
  }
  if ((v.type === 'offer' || v.type === 'answer') && typeof v.sdp === 'string' && v.sdp.length <= MAX_SDP_LENGTH) {
    return { type: v.type, sdp: v.sdp }
  }
  const c = v.candidate
  if (v.type === 'candidate' && isObject(c) && typeof c.candidate === 'string' && c.candidate.length <= MAX_CANDIDATE_LENGTH) {
    return {
      type: 'candidate',
      candidate: {
        candidate: c.candidate,
        sdpMid: typeof c.sdpMid === 'string' ? c.sdpMid : null,
        sdpMLineIndex: typeof c.sdpMLineIndex === 'number' ? c.sdpMLineIndex : null
      }
    }
  }
  return null
}

const parseIndex = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff ? v : undefined

/** `more`: the bundled signals; undefined when absent or malformed (a malformed bundle drops only itself). */
const parseBundle = (v: unknown): BundledSignal[] | undefined => {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_BUNDLED_SIGNALS) return undefined
  const out: BundledSignal[] = []
  for (const item of v) {
    if (!isObject(item)) return undefined
    const signal = parseSignal(item.s)
    if (signal === null) return undefined
    const index = parseIndex(item.i)
    out.push(index === undefined ? { signal } : { index, signal })
  }
  return out
}

/** Repeats an announce may claim (beyond it, the count says nothing more). */
const MAX_AGAIN = 1000

/** The ymesh marker's session, or null when there is no valid marker. */
interface Marker { session?: string, index?: number, more?: BundledSignal[], again?: number, packs: boolean }

const parseMarker = (v: unknown): Marker | null => {
  if (!isObject(v) || v.v !== YMESH_SIGNALING_VERSION) return null
  // z: the packed-signal format the sender reads (PROTOCOL.md, "Packed signals").
  const packs = v.z === PACKED_SIGNAL_FORMAT
  // again: a repeated announce's count (announces only).
  if (typeof v.again === 'number' && Number.isInteger(v.again) && v.again >= 1 && v.again <= MAX_AGAIN && v.session === undefined) return { again: v.again, packs }
  if (typeof v.session === 'string' && v.session.length > 0 && v.session.length <= MAX_SESSION_LENGTH) {
    // index: the signal's place in its session (hybrid signaling orders server and relayed copies by it).
    const index = parseIndex(v.index)
    const more = parseBundle(v.more)
    return { session: v.session, packs, ...(index === undefined ? {} : { index }), ...(more === undefined ? {} : { more }) }
  }
  return { packs }
}


/** The data of a publish, or a reason it was dropped. */
export const parseData = (data: unknown): ParsedData | string => {
  if (!isObject(data)) return 'not-an-object'
  if (!isValidPeerIdString(data.from)) return 'invalid-from'
  if (data.to !== undefined && !isValidPeerIdString(data.to)) return 'invalid-to'
  const marker = parseMarker(data.ymesh)
  const ymesh = marker !== null
  const packs = marker?.packs ?? false
  if (data.type === 'announce') {
    if (data.to !== undefined) return { type: 'announce', from: data.from, to: data.to, ymesh, packs }
    return marker?.again === undefined ? { type: 'announce', from: data.from, ymesh, packs } : { type: 'announce', from: data.from, ymesh, packs, again: marker.again }
  }
  if (data.type === 'signal') {
    if (data.to === undefined) return 'invalid-to'
    const signal = parseSignal(data.signal)
    if (signal === null) return 'invalid-signal'
    const token = typeof data.token === 'number' && Number.isFinite(data.token) ? data.token : undefined
    return { type: 'signal', from: data.from, to: data.to, ymesh, packs, signal, ...(token === undefined ? {} : { token }), ...(marker?.session === undefined ? {} : { session: marker.session }), ...(marker?.index === undefined ? {} : { index: marker.index }), ...(marker?.more === undefined ? {} : { more: marker.more }) }
  }
  return 'unknown-type'
}

/** `again`: a repeated broadcast announce, the n-th repeat (ymesh marker field; stock parsers ignore it). */
export const announceData = (from: PeerId, to?: PeerId, again = 0): Record<string, unknown> =>
  to === undefined
    ? { type: 'announce', from, ymesh: again > 0 ? { v: YMESH_SIGNALING_VERSION, z: PACKED_SIGNAL_FORMAT, again } : { v: YMESH_SIGNALING_VERSION, z: PACKED_SIGNAL_FORMAT } }
    : { type: 'announce', from, to, ymesh: { v: YMESH_SIGNALING_VERSION, z: PACKED_SIGNAL_FORMAT } }

/**
 * A signal publish. `more` bundles the attempt's further signals into the same publish (ymesh
 * marker field, so a stock parser still sees one ordinary signal): every trickled ICE candidate
 * would otherwise be one more server message in and out. `pack`: the receiver reads packed
 * signals (its marker said so), and every signal that packs exactly goes packed.
 */
export const signalData = (
  from: PeerId, to: PeerId, signal: SignalData, token?: number, session?: string, index?: number, more: readonly BundledSignal[] = [], pack = false
): Record<string, unknown> => {
  const wire = (s: SignalData): SignalData | PackedSignal => (pack ? packSignal(s) ?? s : s)
  return {
    type: 'signal',
    from,
    to,
    ...(token === undefined ? {} : { token }),
    signal: wire(signal),
    ymesh: session === undefined
      ? { v: YMESH_SIGNALING_VERSION, z: PACKED_SIGNAL_FORMAT }
      : {
          v: YMESH_SIGNALING_VERSION,
          z: PACKED_SIGNAL_FORMAT,
          session,
          ...(index === undefined ? {} : { index }),
          ...(more.length === 0 ? {} : { more: more.map((m) => (m.index === undefined ? { s: wire(m.signal) } : { i: m.index, s: wire(m.signal) })) })
        }
  }
}
