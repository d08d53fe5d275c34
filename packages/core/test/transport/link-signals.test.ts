import { afterEach, describe, expect, it } from 'vitest'
import type { Link, LinkCloseEvent, SignalData } from '@ymesh/protocol'
import { WebRtcTransport } from '@ymesh/core'
import { next, openPair, peer, rawInitiator, rtc, transport, wiredPair } from './helpers.js'

/** Resolves with the close event; fails the test on an open. */
const closed = (link: Link): Promise<LinkCloseEvent> => new Promise((resolve, reject) => {
  link.on('close', resolve)
  link.on('open', () => reject(new Error('opened')))
})

describe('WebRtcLink and untrusted signals (real wrtc on loopback)', () => {
  const cleanup: Array<() => void> = []
  const track = <T extends { close (): void }>(thing: T): T => { cleanup.push(() => thing.close()); return thing }
  afterEach(() => { for (const fn of cleanup.splice(0)) fn() })

  it.each<[string, boolean, unknown]>([
    ['garbage', false, 'hello'],
    ['an unknown type', false, { type: 'bye' }],
    ['an answer on the answering side', false, { type: 'answer', sdp: 'v=0\r\n' }],
    ['an offer on the initiating side', true, { type: 'offer', sdp: 'v=0\r\n' }],
    ['an sdp the stack rejects', false, { type: 'offer', sdp: 'v=0\r\nthis is not sdp\r\n' }],
    ['a malformed candidate', false, { type: 'candidate', candidate: { candidate: 42, sdpMid: '0' } }]
  ])('closes with reason bad-signal on %s, without throwing', async (_what, initiator, signal) => {
    const t = track(transport('victim'))
    const link = t.createLink({ remotePeer: peer('mallory'), initiator, onSignal: () => {} })
    const event = closed(link)
    expect(() => link.signal(signal as SignalData)).not.toThrow()
    expect(await event).toEqual({ reason: 'bad-signal', error: expect.objectContaining({ name: 'InvalidSignalError' }) })
    expect(t.linkCount).toBe(0)
    // Signals after the close are ignored.
    expect(() => link.signal({ type: 'offer', sdp: 'v=0' })).not.toThrow()
  })

  it('closes with bad-signal on a second offer', async () => {
    const pair = track(await openPair())
    const event = closed(pair.b)
    pair.b.signal(pair.signalsFromA[0]!)
    expect(await event).toMatchObject({ reason: 'bad-signal' })
  })

  it('closes with bad-signal when flooded with candidates before any description', async () => {
    const t = track(transport('victim'))
    const link = t.createLink({ remotePeer: peer('mallory'), initiator: false, onSignal: () => {} })
    const event = closed(link)
    for (let i = 0; i < 100 && link.state !== 'closed'; i++) {
      link.signal({ type: 'candidate', candidate: { candidate: `candidate:${i} 1 udp 1 127.0.0.1 ${1000 + i} typ host`, sdpMid: '0', sdpMLineIndex: 0 } })
    }
    expect(await event).toMatchObject({ reason: 'bad-signal' })
  })

  it("ignores simple-peer's renegotiate and transceiverRequest signals and unusable candidates, and still opens", async () => {
    const pair = track(wiredPair())
    pair.a.signal({ type: 'renegotiate', renegotiate: true } as unknown as SignalData)
    pair.b.signal({ type: 'transceiverRequest', transceiverRequest: { kind: 'audio' } } as unknown as SignalData)
    await Promise.all([next(pair.a, 'open'), next(pair.b, 'open')])
    pair.a.signal({ type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 abcdef.local 9 typ host', sdpMid: '0', sdpMLineIndex: 0 } })
    pair.a.signal({ type: 'candidate', candidate: { candidate: '', sdpMid: '0', sdpMLineIndex: null } })
    const got = next(pair.b, 'message')
    pair.a.send(new Uint8Array([1]))
    await got
    expect(pair.a.state).toBe('open')
  })

  it('closes with reason bad-message when the remote side sends text', async () => {
    const raw = track(rawInitiator(transport('us')))
    await next(raw.link, 'open')
    const event = closed(raw.link)
    raw.channels[0]!.send('not binary')
    expect(await event).toEqual({ reason: 'bad-message', error: expect.objectContaining({ name: 'InvalidMessageError' }) })
  })

  it('closes with bad-signal when the remote side opens an unordered channel', async () => {
    const raw = track(rawInitiator(transport('us'), { ordered: false }))
    expect(await closed(raw.link)).toMatchObject({ reason: 'bad-signal' })
  })

  it('serves the first channel the remote side opens and closes any other', async () => {
    const raw = track(rawInitiator(transport('us'), {}, ['first', 'second']))
    await next(raw.link, 'open')
    const second = raw.channels[1]!
    if (second.readyState !== 'closed') await new Promise((resolve) => { second.onclose = resolve })
    const got = new Promise<string>((resolve) => { raw.channels[0]!.onmessage = (e) => resolve(String(new Uint8Array(e.data as ArrayBuffer)[0])) })
    raw.link.send(new Uint8Array([5]))
    expect(await got).toBe('5')
    expect(raw.link.state).toBe('open')
  })

  it('closes with reason remote when the remote data channel closes', async () => {
    const raw = track(rawInitiator(transport('us')))
    await next(raw.link, 'open')
    const event = closed(raw.link)
    raw.channels[0]!.close()
    expect(await event).toMatchObject({ reason: 'remote' })
  })
})

describe('WebRtcTransport options', () => {
  const recording = (): { configs: RTCConfiguration[], impl: typeof rtc } => {
    const configs: RTCConfiguration[] = []
    const Base = rtc.RTCPeerConnection
    return {
      configs,
      impl: { RTCPeerConnection: class extends Base { constructor (config?: RTCConfiguration) { configs.push(config!); super(config) } } }
    }
  }

  it('uses no ICE server unless the app gives some, and passes the app\'s servers through', () => {
    const { configs, impl } = recording()
    const plain = new WebRtcTransport({ localPeer: peer('a'), rtc: impl })
    plain.createLink({ remotePeer: peer('b'), initiator: true, onSignal: () => {} })
    plain.close()
    const servers = [{ urls: 'stun:127.0.0.1:3478' }, { urls: ['turn:127.0.0.1:3478'], username: 'u', credential: 'p' }]
    const configured = new WebRtcTransport({ localPeer: peer('a'), rtc: impl, iceServers: servers })
    configured.createLink({ remotePeer: peer('b'), initiator: true, onSignal: () => {} })
    configured.close()
    expect(configs).toEqual([{ iceServers: [], iceTransportPolicy: 'all' }, { iceServers: servers, iceTransportPolicy: 'all' }])
  })

  it('relayOnly needs a TURN server', () => {
    expect(() => new WebRtcTransport({ localPeer: peer('a'), relayOnly: true, iceServers: [{ urls: 'stun:127.0.0.1:3478' }] }))
      .toThrow(expect.objectContaining({ name: 'InvalidTransportOptionsError' }))
  })

  it('relayOnly signals no host candidate and no address in the SDP (an unreachable TURN server gives no candidate at all)', async () => {
    const { configs, impl } = recording()
    const t = new WebRtcTransport({
      localPeer: peer('a'), rtc: impl, relayOnly: true, connectTimeoutMs: 1500,
      iceServers: [{ urls: 'turn:127.0.0.1:9', username: 'u', credential: 'p' }]
    })
    const signals: SignalData[] = []
    const link = t.createLink({ remotePeer: peer('b'), initiator: true, onSignal: (s) => signals.push(s) })
    const event = await closed(link)
    t.close()
    expect(configs[0]?.iceTransportPolicy).toBe('relay')
    expect(event.reason).toBe('timeout')
    expect(signals.map((s) => s.type)).toEqual(['offer'])
    expect(signals[0]!.type === 'offer' && signals[0]!.sdp).not.toMatch(/a=candidate/)
  })

  it.each([
    ['connectTimeoutMs', { connectTimeoutMs: 0 }],
    ['maxMessageSize', { maxMessageSize: -5 }]
  ])('rejects a non-positive %s', (_name, options) => {
    expect(() => new WebRtcTransport({ localPeer: peer('a'), ...options })).toThrow(expect.objectContaining({ name: 'InvalidTransportOptionsError' }))
  })

  it('createLink throws on a configuration the stack refuses, and keeps no link', () => {
    const t = new WebRtcTransport({ localPeer: peer('a'), iceServers: [{ urls: 'nonsense' }] })
    expect(() => t.createLink({ remotePeer: peer('b'), initiator: true, onSignal: () => {} })).toThrow()
    expect(t.linkCount).toBe(0)
    t.close()
  })
})
