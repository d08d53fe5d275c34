import { describe, expect, it } from 'vitest'
import { parseFingerprint, parseMaxMessageSize } from '@ymesh/core'
import { filterSdpCandidates } from '../../src/transport/sdp.js'

const media = [
  'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'a=candidate:1 1 udp 2122063615 127.0.0.1 35660 typ host generation 0',
  'a=candidate:2 1 udp 2122194687 192.0.2.2 48710 typ host generation 0',
  'a=fingerprint:SHA-256 d4:84:8f:0b',
  'a=max-message-size:262144', ''
].join('\r\n')

describe('SDP parsing', () => {
  it('reads a media-level fingerprint, normalised to lowercase algorithm and uppercase hex', () => {
    expect(parseFingerprint(media)).toBe('sha-256 D4:84:8F:0B')
  })

  it('reads a session-level fingerprint before any media section', () => {
    const sdp = 'v=0\r\na=fingerprint:sha-1 aa:bb\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n'
    expect(parseFingerprint(sdp)).toBe('sha-1 AA:BB')
  })

  it('has no fingerprint when the description announces none', () => {
    expect(parseFingerprint('v=0\r\ns=-\r\n')).toBeNull()
  })

  it('reads a=max-message-size, defaults to 64 KiB without it, and reads 0 as unlimited', () => {
    expect(parseMaxMessageSize(media)).toBe(262144)
    expect(parseMaxMessageSize('v=0\r\n')).toBe(65536)
    expect(parseMaxMessageSize('v=0\r\na=max-message-size:0\r\n')).toBe(Number.POSITIVE_INFINITY)
  })

  it('drops the candidate lines a filter rejects and keeps every other line', () => {
    const filtered = filterSdpCandidates(media, (c) => c.includes(' 127.0.0.1 '))
    expect(filtered).toContain('127.0.0.1 35660')
    expect(filtered).not.toContain('192.0.2.2')
    expect(filtered.split('\r\n').length).toBe(media.split('\r\n').length - 1)
  })
})
