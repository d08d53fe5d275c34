import { describe, expect, it } from 'vitest'
import { MAX_CANDIDATE_LENGTH, MAX_SDP_LENGTH, parseSignal } from '../../src/transport/signal.js'

describe('parseSignal (untrusted signals)', () => {
  it('accepts simple-peer shaped offers, answers and candidates in canonical form', () => {
    expect(parseSignal({ type: 'offer', sdp: 'v=0', extra: 1 })).toEqual({ type: 'offer', sdp: 'v=0' })
    expect(parseSignal({ type: 'answer', sdp: 'v=0' })).toEqual({ type: 'answer', sdp: 'v=0' })
    expect(parseSignal({ type: 'candidate', candidate: { candidate: 'candidate:1', sdpMid: '0', sdpMLineIndex: 0 } }))
      .toEqual({ type: 'candidate', candidate: { candidate: 'candidate:1', sdpMid: '0', sdpMLineIndex: 0 } })
    expect(parseSignal({ type: 'candidate', candidate: { candidate: 'c', sdpMid: '0' } }))
      .toEqual({ type: 'candidate', candidate: { candidate: 'c', sdpMid: '0', sdpMLineIndex: null } })
  })

  it("ignores simple-peer's renegotiate and transceiverRequest, which a data-only link never needs", () => {
    expect(parseSignal({ type: 'renegotiate', renegotiate: true })).toBeNull()
    expect(parseSignal({ type: 'transceiverRequest', transceiverRequest: { kind: 'audio' } })).toBeNull()
  })

  it.each([
    ['null', null],
    ['a string', 'offer'],
    ['an unknown type', { type: 'pranswer', sdp: 'v=0' }],
    ['a missing type', { sdp: 'v=0' }],
    ['an offer without sdp', { type: 'offer' }],
    ['an empty sdp', { type: 'answer', sdp: '' }],
    ['an oversized sdp', { type: 'offer', sdp: 'x'.repeat(MAX_SDP_LENGTH + 1) }],
    ['a candidate signal without candidate', { type: 'candidate' }],
    ['a candidate without its string', { type: 'candidate', candidate: { sdpMid: '0' } }],
    ['an oversized candidate', { type: 'candidate', candidate: { candidate: 'x'.repeat(MAX_CANDIDATE_LENGTH + 1), sdpMid: '0' } }],
    ['a numeric sdpMid', { type: 'candidate', candidate: { candidate: 'c', sdpMid: 0 } }],
    ['a negative sdpMLineIndex', { type: 'candidate', candidate: { candidate: 'c', sdpMLineIndex: -1 } }],
    ['a fractional sdpMLineIndex', { type: 'candidate', candidate: { candidate: 'c', sdpMLineIndex: 0.5 } }],
    ['neither sdpMid nor sdpMLineIndex', { type: 'candidate', candidate: { candidate: 'c' } }]
  ])('rejects %s with a reason', (_what, signal) => {
    expect(typeof parseSignal(signal)).toBe('string')
  })
})
