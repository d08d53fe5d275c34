/**
 * Packed signals: the session descriptions and ICE candidates of a link attempt, written by a
 * line dictionary so that two ymesh peers signal each other through a server in about half the
 * bytes (PROTOCOL.md, "Packed signals"). A data-channel offer is ~530 characters of SDP, ~600
 * once JSON escapes its line ends; packed it is ~150.
 *
 * Lossless by construction and checked: `packSignal` returns null for anything it cannot give
 * back exactly (other line ends, the separator inside a line, a candidate without its usual
 * prefix), and the caller then sends the signal as it is. Lines the dictionary does not know
 * travel literally, so a browser that writes new attributes still packs. `unpackSignal` is for
 * untrusted input: it throws InvalidMessageError on anything malformed and never expands past
 * the limits of an unpacked signal.
 */
import * as buffer from 'lib0/buffer'
import { InvalidMessageError } from './errors.js'
import type { IceCandidate, SignalData } from './transport.js'

/** The packed format this code reads and writes; a ymesh signaling marker advertises it as `z`. */
export const PACKED_SIGNAL_FORMAT = 1

/** A signal as it travels packed: its type, and `z`, the packed description or candidate. */
export interface PackedSignal { readonly type: SignalData['type'], readonly z: string }

/** Longest session description either form may carry (what an unpacked SDP is allowed). */
export const MAX_SDP_LENGTH = 64 * 1024
/** Longest ICE candidate string either form may carry. */
export const MAX_CANDIDATE_LENGTH = 4096

/** Between the lines of a packed description. */
const LINE = '|'
/** Starts a phrase inside a packed candidate. */
const PHRASE = '~'

/**
 * A dictionary line: `prefix + value + suffix`. Codes of lines without a value are capitals;
 * `hex` values (a certificate fingerprint) travel as base64url of their bytes; `phrases` values
 * (a candidate) have their common phrases shortened. The order matters only among entries that
 * match one line: the first that gives the line back exactly is used.
 */
interface Entry { readonly prefix: string, readonly suffix?: string, readonly hex?: true, readonly phrases?: true }

/** Packed format 1. Never reorder or change an entry: add new ones under unused codes. */
const ENTRIES: ReadonlyMap<string, Entry> = new Map<string, Entry>([
  ['A', { prefix: 'v=0' }],
  ['B', { prefix: 's=-' }],
  ['C', { prefix: 't=0 0' }],
  ['D', { prefix: 'a=group:BUNDLE 0' }],
  ['E', { prefix: 'a=extmap-allow-mixed' }],
  ['F', { prefix: 'a=msid-semantic: WMS' }],
  ['G', { prefix: 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel' }],
  ['H', { prefix: 'c=IN IP4 0.0.0.0' }],
  ['I', { prefix: 'a=ice-options:trickle' }],
  ['J', { prefix: 'a=setup:actpass' }],
  ['K', { prefix: 'a=setup:active' }],
  ['L', { prefix: 'a=setup:passive' }],
  ['M', { prefix: 'a=mid:0' }],
  ['N', { prefix: 'a=sctp-port:5000' }],
  ['O', { prefix: 'a=max-message-size:262144' }],
  ['P', { prefix: 'a=end-of-candidates' }],
  ['o', { prefix: 'o=- ', suffix: ' 2 IN IP4 127.0.0.1' }],
  ['u', { prefix: 'a=ice-ufrag:' }],
  ['p', { prefix: 'a=ice-pwd:' }],
  ['f', { prefix: 'a=fingerprint:sha-256 ', hex: true }],
  ['m', { prefix: 'm=application ', suffix: ' UDP/DTLS/SCTP webrtc-datachannel' }],
  ['c', { prefix: 'c=IN IP4 ' }],
  ['k', { prefix: 'a=candidate:', phrases: true }],
  ['x', { prefix: 'a=max-message-size:' }],
  ['i', { prefix: 'a=mid:' }],
  ['a', { prefix: 'a=' }],
  ['_', { prefix: '' }]
])

/** Phrases of candidate strings (RFC 8839 §5.1 and libwebrtc's extensions), by their code after PHRASE. */
const PHRASES: ReadonlyMap<string, string> = new Map([
  ['h', ' typ host'],
  ['s', ' typ srflx'],
  ['r', ' typ relay'],
  ['g', ' generation 0'],
  ['u', ' ufrag '],
  ['n', ' network-id '],
  ['c', ' network-cost '],
  ['p', ' tcptype passive'],
  ['a', ' tcptype active'],
  ['d', ' udp '],
  ['t', ' tcp '],
  ['R', ' raddr '],
  ['P', ' rport ']
])

const HEX_PAIRS = /^[0-9A-F]{2}(?::[0-9A-F]{2})*$/

/** Longest fingerprint packed (SHA-512's); a longer one travels literally. */
const MAX_FINGERPRINT_BYTES = 64

const hexToBase64Url = (value: string): string | null => {
  if (!HEX_PAIRS.test(value) || value.length > MAX_FINGERPRINT_BYTES * 3 - 1) return null
  const bytes = new Uint8Array((value.length + 1) / 3)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(value.slice(i * 3, i * 3 + 2), 16)
  return buffer.toBase64UrlEncoded(bytes)
}

const BASE64URL = /^[A-Za-z0-9_-]*$/

const base64UrlToHex = (value: string): string => {
  if (!BASE64URL.test(value) || value.length % 4 === 1) throw new InvalidMessageError('packed signal: a fingerprint is not base64url')
  const bytes = buffer.fromBase64UrlEncoded(value)
  if (bytes.length === 0 || bytes.length > MAX_FINGERPRINT_BYTES) throw new InvalidMessageError(`packed signal: a fingerprint of ${bytes.length} bytes (1 to ${MAX_FINGERPRINT_BYTES})`)
  return [...bytes].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(':')
}

const shortenPhrases = (value: string): string => {
  let out = value
  for (const [code, phrase] of PHRASES) out = out.split(phrase).join(PHRASE + code)
  return out
}

const expandPhrases = (value: string): string => {
  if (!value.includes(PHRASE)) return value
  const parts = value.split(PHRASE)
  let out = parts[0] ?? ''
  for (const part of parts.slice(1)) {
    const phrase = PHRASES.get(part.charAt(0))
    if (phrase === undefined) throw new InvalidMessageError(`packed signal: unknown candidate phrase ${JSON.stringify(PHRASE + part.charAt(0))}`)
    out += phrase + part.slice(1)
  }
  return out
}

/** One packed line back to SDP. Throws InvalidMessageError. */
const unpackLine = (token: string): string => {
  const code = token.charAt(0)
  const entry = ENTRIES.get(code)
  if (entry === undefined) throw new InvalidMessageError(`packed signal: unknown line code ${JSON.stringify(code)}`)
  const value = token.slice(1)
  const valueless = code >= 'A' && code <= 'Z'
  if (valueless) {
    if (value !== '') throw new InvalidMessageError(`packed signal: line code ${code} takes no value`)
    return entry.prefix
  }
  const text = entry.hex === true ? base64UrlToHex(value) : entry.phrases === true ? expandPhrases(value) : value
  return entry.prefix + text + (entry.suffix ?? '')
}

const unpacksTo = (token: string, line: string): boolean => {
  try {
    return unpackLine(token) === line
  } catch {
    return false
  }
}

/** The shortest token that gives `line` back exactly. */
const packLine = (line: string): string => {
  let best: string | null = null
  for (const [code, entry] of ENTRIES) {
    const suffix = entry.suffix ?? ''
    if (!line.startsWith(entry.prefix) || !line.endsWith(suffix) || line.length < entry.prefix.length + suffix.length) continue
    const raw = line.slice(entry.prefix.length, line.length - suffix.length)
    let value: string | null = raw
    if (code >= 'A' && code <= 'Z') value = raw === '' ? '' : null
    else if (entry.hex === true) value = hexToBase64Url(raw)
    else if (entry.phrases === true) value = raw.includes(PHRASE) ? null : shortenPhrases(raw)
    if (value === null) continue
    const token = code + value
    if ((best === null || token.length < best.length) && unpacksTo(token, line)) best = token
  }
  return best ?? '_' + line // the literal entry matches every line
}

const packSdp = (sdp: string): string | null => {
  if (sdp.length === 0 || sdp.length > MAX_SDP_LENGTH || !sdp.endsWith('\r\n') || sdp.includes(LINE)) return null
  const lines = sdp.slice(0, -2).split('\r\n')
  if (lines.some((line) => line.includes('\n') || line.includes('\r'))) return null
  return lines.map(packLine).join(LINE)
}

const unpackSdp = (packed: string): string => {
  let out = ''
  for (const token of packed.split(LINE)) {
    out += unpackLine(token) + '\r\n'
    if (out.length > MAX_SDP_LENGTH) throw new InvalidMessageError(`packed signal: the description unpacks to over ${MAX_SDP_LENGTH} characters`)
  }
  return out
}

const MLINE_INDEX = /^(?:0|[1-9][0-9]{0,4})$/

/** `mid|mLineIndex|candidate` with the candidate's `candidate:` prefix dropped and phrases shortened; null fields empty. */
const packCandidate = (c: IceCandidate): string | null => {
  const mid = c.sdpMid ?? null
  const index = c.sdpMLineIndex ?? null
  if (mid === '' || (mid !== null && mid.includes(LINE)) || !c.candidate.startsWith('candidate:') || c.candidate.includes(PHRASE)) return null
  if (index !== null && !MLINE_INDEX.test(String(index))) return null
  if (c.candidate.length > MAX_CANDIDATE_LENGTH) return null
  return `${mid ?? ''}${LINE}${index ?? ''}${LINE}${shortenPhrases(c.candidate.slice('candidate:'.length))}`
}

const unpackCandidate = (packed: string): IceCandidate => {
  const first = packed.indexOf(LINE)
  const second = first < 0 ? -1 : packed.indexOf(LINE, first + 1)
  if (second < 0) throw new InvalidMessageError('packed signal: a candidate needs mid|index|candidate')
  const mid = packed.slice(0, first)
  const index = packed.slice(first + 1, second)
  if (index !== '' && !MLINE_INDEX.test(index)) throw new InvalidMessageError('packed signal: a candidate\'s m-line index is not a small integer')
  const candidate = 'candidate:' + expandPhrases(packed.slice(second + 1))
  if (candidate.length > MAX_CANDIDATE_LENGTH) throw new InvalidMessageError(`packed signal: the candidate unpacks to over ${MAX_CANDIDATE_LENGTH} characters`)
  return { candidate, sdpMid: mid === '' ? null : mid, sdpMLineIndex: index === '' ? null : Number(index) }
}

/**
 * The packed form of `signal`, or null when packing would not give it back exactly (send it
 * as it is then). Candidates are packed with their `sdpMid` and `sdpMLineIndex` (an absent one
 * comes back as null).
 */
export function packSignal (signal: SignalData): PackedSignal | null {
  if (signal.type === 'candidate') {
    const z = packCandidate(signal.candidate)
    if (z === null) return null
    const back = unpackCandidate(z)
    const c = signal.candidate
    return back.candidate === c.candidate && back.sdpMid === (c.sdpMid ?? null) && back.sdpMLineIndex === (c.sdpMLineIndex ?? null) ? { type: 'candidate', z } : null
  }
  const z = packSdp(signal.sdp)
  return z !== null && unpackSdp(z) === signal.sdp ? { type: signal.type, z } : null
}

/** Longest `z` accepted: no packed form is longer than what it packs. */
const MAX_PACKED_LENGTH = MAX_SDP_LENGTH

/** The signal a packed one stands for. Throws InvalidMessageError on anything malformed (untrusted input). */
export function unpackSignal (packed: { readonly type: unknown, readonly z: unknown }): SignalData {
  const { type, z } = packed
  if (typeof z !== 'string') throw new InvalidMessageError('packed signal: z is not a string')
  if (z.length > MAX_PACKED_LENGTH) throw new InvalidMessageError(`packed signal: z of ${z.length} characters, over ${MAX_PACKED_LENGTH}`)
  if (type === 'candidate') return { type, candidate: unpackCandidate(z) }
  if (type === 'offer' || type === 'answer') {
    if (z === '') throw new InvalidMessageError('packed signal: an empty description is sent unpacked')
    return { type, sdp: unpackSdp(z) }
  }
  throw new InvalidMessageError(`packed signal: unknown type ${JSON.stringify(type)}`)
}
