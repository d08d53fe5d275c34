import { describe, expect, it } from 'vitest'
import { formatFingerprint, parseSdp } from '../src/sdp.js'
import { writeSdp } from '../src/sdp.js'

const fingerprint = formatFingerprint(new Uint8Array(32).map((_, i) => i * 7))

describe('session descriptions', () => {
  it('round-trips token, fingerprint and max-message-size', () => {
    const sdp = writeSdp('offer', { token: 'abcd1234', fingerprint, maxMessageSize: 1000 }, '123', 'pwd')
    expect(sdp).toContain(`a=fingerprint:${fingerprint}`)
    expect(parseSdp(sdp)).toEqual({ token: 'abcd1234', fingerprint, maxMessageSize: 1000 })
    expect(parseSdp(sdp.replace('a=max-message-size:1000', 'a=max-message-size:0'))).toMatchObject({ maxMessageSize: Infinity })
    expect(parseSdp(sdp.replace('a=max-message-size:1000\r\n', ''))).toMatchObject({ maxMessageSize: 65536 })
  })

  it('formats fingerprints as 32 upper-case hex pairs', () => {
    expect(fingerprint).toMatch(/^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
  })

  it('names what is wrong with a malformed description', () => {
    const good = writeSdp('answer', { token: 'abcd1234', fingerprint, maxMessageSize: 1000 }, '1', 'p')
    expect(parseSdp(42)).toMatch(/not a string/)
    expect(parseSdp('x'.repeat(70_000))).toMatch(/64 KiB/)
    expect(parseSdp('hello')).toMatch(/v=0/)
    expect(parseSdp(good.replace(/a=ice-ufrag:.*\r\n/, ''))).toMatch(/ice-ufrag/)
    expect(parseSdp(good.replace(/a=fingerprint:.*\r\n/, 'a=fingerprint:sha-1 00\r\n'))).toMatch(/fingerprint/)
    expect(parseSdp(good.replace('a=max-message-size:1000', 'a=max-message-size:-1'))).toMatch(/max-message-size/)
  })
})
