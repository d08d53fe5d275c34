/**
 * Fake but real-looking session descriptions. They carry what the simulator needs to
 * connect two links (the endpoint token, as ice-ufrag) and what the authenticated handshake
 * needs (the DTLS certificate fingerprint), so a signaling path that swaps or edits them has
 * the same effect it would have on WebRTC.
 */

export interface SessionDescription {
  /** Identifies the link endpoint on the simulated network. */
  readonly token: string
  /** 'sha-256 AB:CD:...' */
  readonly fingerprint: string
  readonly maxMessageSize: number
}

const FINGERPRINT = /^sha-256 (?:[0-9A-F]{2}:){31}[0-9A-F]{2}$/
const TOKEN = /^[0-9a-z]{4,64}$/

/** A certificate fingerprint in SDP notation from 32 bytes. */
export function formatFingerprint (digest: Uint8Array): string {
  const pairs: string[] = []
  for (const byte of digest) pairs.push(byte.toString(16).toUpperCase().padStart(2, '0'))
  return `sha-256 ${pairs.join(':')}`
}

export function writeSdp (kind: 'offer' | 'answer', description: SessionDescription, sessionId: string, icePwd: string): string {
  return [
    'v=0',
    `o=- ${sessionId} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=extmap-allow-mixed',
    'a=msid-semantic: WMS',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    `a=ice-ufrag:${description.token}`,
    `a=ice-pwd:${icePwd}`,
    'a=ice-options:trickle',
    `a=fingerprint:${description.fingerprint}`,
    `a=setup:${kind === 'offer' ? 'actpass' : 'active'}`,
    'a=mid:0',
    'a=sctp-port:5000',
    `a=max-message-size:${description.maxMessageSize}`,
    ''
  ].join('\r\n')
}

/** Parses a description; returns a reason string instead when it is unusable. */
export function parseSdp (sdp: unknown): SessionDescription | string {
  if (typeof sdp !== 'string') return 'sdp is not a string'
  if (sdp.length > 64 * 1024) return 'sdp is longer than 64 KiB'
  if (!sdp.startsWith('v=0')) return 'sdp does not start with v=0'
  let token: string | null = null
  let fingerprint: string | null = null
  let maxMessageSize = 65536 // RFC 8841's default when the attribute is absent
  for (const raw of sdp.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (line.startsWith('a=ice-ufrag:')) token = line.slice(12)
    else if (line.startsWith('a=fingerprint:')) fingerprint = line.slice(14)
    else if (line.startsWith('a=max-message-size:')) {
      const n = Number(line.slice(19))
      // 0 means "no limit" in RFC 8841; the simulator keeps the local limit then.
      if (Number.isInteger(n) && n >= 0) maxMessageSize = n === 0 ? Infinity : n
      else return 'a=max-message-size is not a non-negative integer'
    }
  }
  if (token === null || !TOKEN.test(token)) return 'sdp has no valid a=ice-ufrag'
  if (fingerprint === null || !FINGERPRINT.test(fingerprint)) return 'sdp has no valid a=fingerprint:sha-256 line'
  return { token, fingerprint, maxMessageSize }
}
