// Signals come from the network through the signaling server: untrusted input, checked here
// before anything reaches RTCPeerConnection.
import type { SignalData } from '@ymesh/protocol'

/** Far above any real description (a data-channel SDP is ~1 KB) and below anything abusive. */
export const MAX_SDP_LENGTH = 64 * 1024
export const MAX_CANDIDATE_LENGTH = 1024
/** Candidates held until the remote description arrives; real peers send a handful. */
export const MAX_PENDING_CANDIDATES = 64

/**
 * The signal in canonical form; null for a well-formed signal that needs no action; or a
 * sentence saying what is wrong with it.
 */
export function parseSignal (data: unknown): SignalData | null | string {
  if (typeof data !== 'object' || data === null) return 'not an object'
  const signal = data as Record<string, unknown>
  const type = signal.type
  if (type === 'offer' || type === 'answer') {
    if (typeof signal.sdp !== 'string' || signal.sdp.length === 0) return `${type} without an sdp string`
    if (signal.sdp.length > MAX_SDP_LENGTH) return `${type} sdp of ${signal.sdp.length} characters, over ${MAX_SDP_LENGTH}`
    return { type, sdp: signal.sdp }
  }
  if (type === 'candidate') {
    const candidate = signal.candidate
    if (typeof candidate !== 'object' || candidate === null) return 'candidate signal without a candidate object'
    const c = candidate as Record<string, unknown>
    if (typeof c.candidate !== 'string') return 'candidate without a candidate string'
    if (c.candidate.length > MAX_CANDIDATE_LENGTH) return `candidate of ${c.candidate.length} characters, over ${MAX_CANDIDATE_LENGTH}`
    if (c.sdpMid !== undefined && c.sdpMid !== null && typeof c.sdpMid !== 'string') return 'candidate sdpMid is not a string'
    if (c.sdpMLineIndex !== undefined && c.sdpMLineIndex !== null &&
      !(typeof c.sdpMLineIndex === 'number' && Number.isInteger(c.sdpMLineIndex) && c.sdpMLineIndex >= 0 && c.sdpMLineIndex < 65536)) {
      return 'candidate sdpMLineIndex is not a small non-negative integer'
    }
    const sdpMid = typeof c.sdpMid === 'string' ? c.sdpMid : null
    const sdpMLineIndex = typeof c.sdpMLineIndex === 'number' ? c.sdpMLineIndex : null
    if (sdpMid === null && sdpMLineIndex === null) return 'candidate has neither sdpMid nor sdpMLineIndex'
    return { type, candidate: { candidate: c.candidate, sdpMid, sdpMLineIndex } }
  }
  // simple-peer's renegotiate/transceiverRequest ask for media we never add; they are well-formed
  // but have no meaning on a data-only link, so the caller ignores them rather than failing.
  if (type === 'renegotiate' || type === 'transceiverRequest') return null
  return `unknown signal type ${JSON.stringify(typeof type === 'string' ? type.slice(0, 32) : typeof type)}`
}

