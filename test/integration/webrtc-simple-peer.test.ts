// Interop with simple-peer, the library stock y-webrtc peers use: the same signal objects,
// either side initiating, binary data both ways, and closes seen from both sides.
import { createRequire } from 'node:module'
import { afterEach, describe, expect, it } from 'vitest'
import wrtc from '@roamhq/wrtc'
import type { IceCandidate, Link, PeerId, SignalData } from '@ymesh/protocol'
import { WebRtcTransport } from '@ymesh/core'

/** The part of simple-peer 9 this test drives (the package ships no types). */
interface SimplePeer {
  signal (data: unknown): void
  send (data: Uint8Array): void
  destroy (): void
  on (event: 'signal', listener: (data: SignalData) => void): void
  on (event: 'connect' | 'close', listener: () => void): void
  on (event: 'data', listener: (data: Uint8Array) => void): void
  on (event: 'error', listener: (err: Error) => void): void
  readonly destroyed: boolean
}
type SimplePeerConstructor = new (options: Record<string, unknown>) => SimplePeer
const SimplePeerClass = createRequire(import.meta.url)('simple-peer') as SimplePeerConstructor

// Tests talk to 127.0.0.1 only: both sides signal loopback candidates alone.
const LOOPBACK = / 127\.0\.0\.1 \d+ typ /
const loopbackOnly = (candidate: IceCandidate): boolean => LOOPBACK.test(candidate.candidate)
const fromSimplePeer = (signal: SignalData): SignalData | null => {
  if (signal.type === 'candidate') return loopbackOnly(signal.candidate) ? signal : null
  if (signal.type === 'offer' || signal.type === 'answer') {
    return { type: signal.type, sdp: signal.sdp.split('\r\n').filter((l) => !l.startsWith('a=candidate:') || LOOPBACK.test(l)).join('\r\n') }
  }
  return signal
}

function event (target: SimplePeer, name: 'connect' | 'close'): Promise<void> {
  return new Promise((resolve) => target.on(name, resolve))
}

function linkEvent (link: Link, name: 'open' | 'close'): Promise<unknown> {
  return new Promise((resolve) => link.on(name, resolve as () => void))
}

describe('WebRTC transport ↔ simple-peer (stock y-webrtc peers)', () => {
  const cleanup: Array<() => void> = []
  afterEach(() => { for (const fn of cleanup.splice(0)) fn() })

  function setup (linkIsInitiator: boolean): { link: Link, sp: SimplePeer, spSignals: SignalData[], linkSignals: SignalData[], errors: Error[] } {
    const transport = new WebRtcTransport({ localPeer: 'ymesh' as PeerId, candidateFilter: loopbackOnly })
    const sp = new SimplePeerClass({ initiator: !linkIsInitiator, wrtc, config: { iceServers: [] }, trickle: true })
    const errors: Error[] = []
    sp.on('error', (err) => errors.push(err))
    cleanup.push(() => { transport.close(); if (!sp.destroyed) sp.destroy() })
    const spSignals: SignalData[] = []
    const linkSignals: SignalData[] = []
    const link = transport.createLink({
      remotePeer: 'stock' as PeerId,
      initiator: linkIsInitiator,
      onSignal: (signal) => { linkSignals.push(signal); sp.signal(signal) }
    })
    sp.on('signal', (raw) => {
      spSignals.push(raw)
      const signal = fromSimplePeer(raw)
      if (signal !== null) link.signal(signal)
    })
    return { link, sp, spSignals, linkSignals, errors }
  }

  for (const linkIsInitiator of [true, false]) {
    const who = linkIsInitiator ? 'our link initiates' : 'simple-peer initiates'
    it(`${who}: both open and exchange binary data both ways`, async () => {
      const { link, sp, spSignals, linkSignals, errors } = setup(linkIsInitiator)
      await Promise.all([linkEvent(link, 'open'), event(sp, 'connect')])
      expect(link.state).toBe('open')
      // Both speak the same shapes: an offer from the initiator, an answer back, trickled candidates.
      const [initiatorSignals, responderSignals] = linkIsInitiator ? [linkSignals, spSignals] : [spSignals, linkSignals]
      expect(initiatorSignals[0]?.type).toBe('offer')
      expect(responderSignals[0]?.type).toBe('answer')
      expect(spSignals.some((s) => s.type === 'candidate')).toBe(true)

      const toLink = new Promise<Uint8Array>((resolve) => link.on('message', resolve))
      sp.send(new Uint8Array([0, 1, 2, 255]))
      expect(Array.from(await toLink)).toEqual([0, 1, 2, 255])

      const big = new Uint8Array(200_000).map((_, i) => i % 253)
      const toSp = new Promise<Uint8Array>((resolve) => sp.on('data', resolve))
      link.send(big)
      const received = await toSp
      expect(received.length).toBe(big.length)
      expect(received.every((v, i) => v === i % 253)).toBe(true)
      expect(errors).toEqual([])
    })
  }

  it('a close on our side ends the simple-peer connection', async () => {
    const { link, sp } = setup(true)
    await Promise.all([linkEvent(link, 'open'), event(sp, 'connect')])
    const spClosed = event(sp, 'close')
    link.close()
    await spClosed
    expect(sp.destroyed).toBe(true)
  })

  it('simple-peer destroying its side closes our link with reason remote', async () => {
    const { link, sp } = setup(false)
    await Promise.all([linkEvent(link, 'open'), event(sp, 'connect')])
    const closed = linkEvent(link, 'close')
    sp.destroy()
    expect(await closed).toEqual({ reason: 'remote' })
  })
})
