import { describe, expect, it } from 'vitest'
import { MAX_CANDIDATE_LENGTH, MAX_SDP_LENGTH, packSignal, unpackSignal, type SignalData } from '@ymesh/protocol'

const crlf = (...lines: string[]): string => lines.map((l) => l + '\r\n').join('')

/** What the simulator writes (packages/sim/src/sdp.ts). */
const SIM_OFFER = crlf(
  'v=0', 'o=- 626116053855366 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0', 'a=extmap-allow-mixed',
  'a=msid-semantic: WMS', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:7c1c320d3917987a53de5f37', 'a=ice-pwd:5edee491bf5ace11ea84f81f', 'a=ice-options:trickle',
  'a=fingerprint:sha-256 21:D1:D0:72:E0:73:9F:B5:81:E8:61:85:4E:C3:66:CE:69:1F:16:BD:CF:86:4A:71:FD:FC:AC:4E:C4:F7:1D:CC',
  'a=setup:actpass', 'a=mid:0', 'a=sctp-port:5000', 'a=max-message-size:262144'
)

/** An answer @roamhq/wrtc wrote on this machine once its candidates were gathered into it. */
const WRTC_ANSWER = crlf(
  'v=0', 'o=- 1563490720846071316 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0', 'a=extmap-allow-mixed',
  'a=msid-semantic: WMS', 'm=application 59997 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 192.0.2.2',
  'a=candidate:3077952869 1 udp 2122265343 fd00::2 52209 typ host generation 0 network-id 2',
  'a=candidate:3229573512 1 udp 2122194687 192.0.2.2 59997 typ host generation 0 network-id 1',
  'a=candidate:4193659285 1 tcp 1518285567 fd00::2 37843 typ host tcptype passive generation 0 network-id 2',
  'a=ice-ufrag:9T+A', 'a=ice-pwd:UVsf2bFSVQplqjC9HBP4GzG7', 'a=ice-options:trickle',
  'a=fingerprint:sha-256 79:63:8F:71:F8:6B:BD:E1:0B:0C:8E:B6:DB:8F:DB:18:61:68:56:AD:09:D0:3F:94:F5:D9:BB:19:A3:EA:F4:EC',
  'a=setup:active', 'a=mid:0', 'a=sctp-port:5000', 'a=max-message-size:262144'
)

/** Lines no dictionary entry knows (another browser, an audio section) travel literally. */
const UNUSUAL = crlf(
  'v=0', 'o=mozilla...THIS_IS_SDPARTA-99.0 4211 0 IN IP4 0.0.0.0', 's=-', 't=0 0',
  'a=fingerprint:sha-256 ab:cd:ef', 'a=fingerprint:sha-384 01:02', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'b=AS:30',
  'a=rtpmap:111 opus/48000/2', 'a=setup:actpass', 'a=mid:1', 'a=max-message-size:1073741823', 'x=what ever ~ it is'
)

const roundTrip = (signal: SignalData): SignalData => {
  const packed = packSignal(signal)
  expect(packed, 'packs').not.toBeNull()
  return unpackSignal(JSON.parse(JSON.stringify(packed)) as { type: unknown, z: unknown })
}

describe('packed signals', () => {
  it('give descriptions back exactly: the simulator\'s, one wrtc wrote, and lines no entry knows', () => {
    for (const sdp of [SIM_OFFER, WRTC_ANSWER, UNUSUAL]) {
      for (const type of ['offer', 'answer'] as const) expect(roundTrip({ type, sdp })).toEqual({ type, sdp })
    }
  })

  it('carry a data-channel offer in under a third of its JSON', () => {
    const plain = JSON.stringify({ type: 'offer', sdp: SIM_OFFER }).length
    const packed = JSON.stringify(packSignal({ type: 'offer', sdp: SIM_OFFER })).length
    expect(packed).toBeLessThan(plain / 3)
    // The fingerprint travels as 43 base64url characters, not 95 of hex.
    expect(packSignal({ type: 'offer', sdp: SIM_OFFER })?.z).toMatch(/\|f[\w-]{43}\|/)
  })

  it('give ICE candidates back exactly, with absent fields as null', () => {
    const candidates = [
      { candidate: 'candidate:3077952869 1 udp 2122265343 fd00::2 38543 typ host generation 0 ufrag RDkv network-id 2', sdpMid: '0', sdpMLineIndex: 0 },
      { candidate: 'candidate:344579997 1 tcp 1518083839 127.0.0.1 43517 typ host tcptype passive generation 0 ufrag RDkv network-id 3', sdpMid: '0', sdpMLineIndex: 0 },
      { candidate: 'candidate:842163049 1 udp 1677729535 203.0.113.7 61000 typ srflx raddr 192.168.1.2 rport 61000 generation 0 network-cost 999', sdpMid: null, sdpMLineIndex: 3 },
      { candidate: 'candidate:1 1 udp 1 10.0.0.1 9 typ relay raddr 0.0.0.0 rport 0', sdpMid: 'data', sdpMLineIndex: null }
    ]
    for (const candidate of candidates) expect(roundTrip({ type: 'candidate', candidate })).toEqual({ type: 'candidate', candidate })
    const short = packSignal({ type: 'candidate', candidate: candidates[0]! })
    expect(JSON.stringify(short).length).toBeLessThan(JSON.stringify({ type: 'candidate', candidate: candidates[0] }).length * 0.6)
    expect(roundTrip({ type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 ::1 9 typ host' } }))
      .toEqual({ type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 ::1 9 typ host', sdpMid: null, sdpMLineIndex: null } })
  })

  it('refuse what they could not give back exactly, so it goes unpacked', () => {
    const refused: SignalData[] = [
      { type: 'answer', sdp: '' }, // a refusal
      { type: 'offer', sdp: SIM_OFFER.replaceAll('\r\n', '\n') },
      { type: 'offer', sdp: SIM_OFFER.slice(0, -2) },
      { type: 'offer', sdp: SIM_OFFER + 'a=x|y\r\n' },
      { type: 'offer', sdp: SIM_OFFER + 'a=x\ry\r\n' },
      { type: 'offer', sdp: crlf('v=0') + 'x'.repeat(MAX_SDP_LENGTH) + '\r\n' },
      { type: 'candidate', candidate: { candidate: '1 1 udp 1 ::1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 } },
      { type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 ~h', sdpMid: '0', sdpMLineIndex: 0 } },
      { type: 'candidate', candidate: { candidate: 'candidate:1', sdpMid: '', sdpMLineIndex: 0 } },
      { type: 'candidate', candidate: { candidate: 'candidate:1', sdpMid: 'a|b', sdpMLineIndex: 0 } },
      { type: 'candidate', candidate: { candidate: 'candidate:1', sdpMid: '0', sdpMLineIndex: 1.5 } },
      { type: 'candidate', candidate: { candidate: 'candidate:' + 'x'.repeat(MAX_CANDIDATE_LENGTH), sdpMid: '0', sdpMLineIndex: 0 } }
    ]
    for (const signal of refused) expect(packSignal(signal), JSON.stringify(signal).slice(0, 80)).toBeNull()
  })

  it('reject malformed packed input with a named error, and never unpack past the limits', () => {
    const bad: Array<[unknown, unknown, RegExp]> = [
      ['offer', 7, /z is not a string/],
      ['offer', '', /empty description/],
      ['pranswer', 'A', /unknown type/],
      ['offer', 'A|Z', /unknown line code "Z"/],
      ['offer', 'Ax', /takes no value/],
      ['offer', 'f!!', /not base64url/],
      ['offer', 'fA', /not base64url/],
      ['offer', 'f', /fingerprint of 0 bytes/],
      ['offer', 'G|'.repeat(2000) + 'G', /over 65536 characters/],
      ['offer', 'x'.repeat(MAX_SDP_LENGTH + 1), /over 65536/],
      ['candidate', '0|0', /mid\|index\|candidate/],
      ['candidate', '0|-1|1 1', /m-line index/],
      ['candidate', '0|007|1 1', /m-line index/],
      ['candidate', '0|0|1~Q', /unknown candidate phrase "~Q"/],
      ['candidate', '0|0|' + '~h'.repeat(600), /over 4096 characters/]
    ]
    for (const [type, z, message] of bad) {
      let error: unknown
      try { unpackSignal({ type, z }) } catch (e) { error = e }
      expect(error, `${String(type)} ${String(z).slice(0, 40)}`).toMatchObject({ name: 'InvalidMessageError' })
      expect((error as Error).message).toMatch(message)
    }
  })
})
