// Reading the few facts the transport needs out of a session description (RFC 8866 lines).

/**
 * The first `a=fingerprint:` of a description, session- or media-level, normalised to
 * '<algorithm lowercase> <HEX:UPPER>' so both sides derive the same string from the same SDP.
 */
export function parseFingerprint (sdp: string): string | null {
  const match = /^a=fingerprint:\s*(\S+)\s+([0-9A-Fa-f:]+)\s*$/m.exec(sdp)
  if (match === null) return null
  return `${match[1]!.toLowerCase()} ${match[2]!.toUpperCase()}`
}

/** RFC 8841: without the attribute a peer accepts 64 KiB; 0 means "no limit". */
export const DEFAULT_SDP_MAX_MESSAGE_SIZE = 65536

/** What the remote side says it can receive in one message (a=max-message-size). */
export function parseMaxMessageSize (sdp: string): number {
  const match = /^a=max-message-size:\s*(\d+)\s*$/m.exec(sdp)
  if (match === null) return DEFAULT_SDP_MAX_MESSAGE_SIZE
  const value = Number(match[1])
  return value === 0 ? Number.POSITIVE_INFINITY : value
}

/** Removes the candidate lines `keep` rejects, so a filter also covers candidates gathered into the SDP. */
export function filterSdpCandidates (sdp: string, keep: (candidate: string) => boolean): string {
  return sdp
    .split(/\r\n/)
    .filter((line) => !line.startsWith('a=candidate:') || keep(line.slice(2)))
    .join('\r\n')
}
