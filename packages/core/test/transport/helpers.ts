// Test wiring for real WebRTC links in one process, kept on loopback (tests talk to 127.0.0.1 only).
import type { IceCandidate, Link, PeerId, SignalData, Timer } from '@ymesh/protocol'
import wrtc from '@roamhq/wrtc'
import { WebRtcTransport } from '@ymesh/core'
import type { RtcImplementation, WebRtcTransportOptions } from '@ymesh/core'

export const loopbackOnly = (candidate: IceCandidate): boolean => / 127\.0\.0\.1 \d+ typ /.test(candidate.candidate)

export const peer = (name: string): PeerId => name as PeerId

export function transport (name: string, options: Partial<WebRtcTransportOptions> = {}): WebRtcTransport {
  return new WebRtcTransport({ localPeer: peer(name), candidateFilter: loopbackOnly, ...options })
}

/** Resolves on the link's next event of that name; rejects if it closes first (unless waiting for close). */
export function next<T extends 'open' | 'close' | 'message' | 'buffered-amount-low'> (link: Link, name: T): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const handler = (value?: unknown): void => {
      link.off(name, handler as never)
      link.off('close', onClose)
      resolve(value)
    }
    const onClose = (event: { reason: string }): void => {
      link.off(name, handler as never)
      reject(new Error(`link closed (${event.reason}) while waiting for ${name}`))
    }
    link.on(name, handler as never)
    if (name !== 'close') link.on('close', onClose)
  })
}

export interface Pair {
  a: Link
  b: Link
  ta: WebRtcTransport
  tb: WebRtcTransport
  /** Every signal each side emitted, in order. */
  signalsFromA: SignalData[]
  signalsFromB: SignalData[]
  close (): void
}

/** Two transports with one link between them, signals wired directly. */
export function wiredPair (options: Partial<WebRtcTransportOptions> = {}, optionsB: Partial<WebRtcTransportOptions> = options): Pair {
  const ta = transport('alice', options)
  const tb = transport('bob', optionsB)
  const signalsFromA: SignalData[] = []
  const signalsFromB: SignalData[] = []
  let b: Link | null = null
  const early: SignalData[] = []
  const a = ta.createLink({
    remotePeer: peer('bob'),
    initiator: true,
    onSignal: (s) => { signalsFromA.push(s); if (b === null) early.push(s); else b.signal(s) }
  })
  b = tb.createLink({ remotePeer: peer('alice'), initiator: false, onSignal: (s) => { signalsFromB.push(s); a.signal(s) } })
  for (const s of early) b.signal(s)
  return { a, b, ta, tb, signalsFromA, signalsFromB, close: () => { ta.close(); tb.close() } }
}

export async function openPair (options: Partial<WebRtcTransportOptions> = {}, optionsB?: Partial<WebRtcTransportOptions>): Promise<Pair> {
  const pair = wiredPair(options, optionsB)
  await Promise.all([next(pair.a, 'open'), next(pair.b, 'open')])
  return pair
}

/** Virtual time for timeout tests: timers run only when the test advances the clock. */
export class ManualClock {
  private time = 0
  private nextId = 1
  private readonly timers = new Map<number, { at: number, callback: () => void, every: number }>()

  get pending (): number {
    return this.timers.size
  }

  now (): number {
    return this.time
  }

  setTimeout (callback: () => void, delayMs: number): Timer {
    const id = this.nextId++
    this.timers.set(id, { at: this.time + delayMs, callback, every: -1 })
    return id as unknown as Timer
  }

  setInterval (callback: () => void, intervalMs: number): Timer {
    const id = this.nextId++
    this.timers.set(id, { at: this.time + intervalMs, callback, every: intervalMs })
    return id as unknown as Timer
  }

  clearTimeout (timer: Timer): void {
    this.timers.delete(timer as unknown as number)
  }

  clearInterval (timer: Timer): void {
    this.timers.delete(timer as unknown as number)
  }

  settle<T> (work: Promise<T>): Promise<T> {
    return work
  }

  advance (ms: number): void {
    const until = this.time + ms
    for (;;) {
      let due: [number, { at: number, callback: () => void, every: number }] | null = null
      for (const entry of this.timers) if (entry[1].at <= until && (due === null || entry[1].at < due[1].at)) due = entry
      if (due === null) break
      const [id, timer] = due
      this.time = timer.at
      if (timer.every > 0) timer.at += timer.every
      else this.timers.delete(id)
      timer.callback()
    }
    this.time = until
  }
}

export const rtc = wrtc as unknown as RtcImplementation

/**
 * A bare RTCPeerConnection playing the initiator against one of our answering links, for
 * remote behaviour our own links never produce (text messages, unordered or extra channels).
 */
export function rawInitiator (t: WebRtcTransport, channelInit: RTCDataChannelInit = {}, labels: string[] = ['raw']): {
  pc: RTCPeerConnection
  channels: RTCDataChannel[]
  link: Link
  close (): void
} {
  const pc = new rtc.RTCPeerConnection({ iceServers: [] })
  const channels = labels.map((label) => pc.createDataChannel(label, channelInit))
  const link = t.createLink({
    remotePeer: peer('raw'),
    initiator: false,
    onSignal: (s) => {
      if (s.type === 'answer') pc.setRemoteDescription(s).catch(() => {})
      else if (s.type === 'candidate') pc.addIceCandidate({ candidate: s.candidate.candidate, sdpMid: s.candidate.sdpMid ?? '0' }).catch(() => {})
    }
  })
  pc.onicecandidate = (e) => {
    if (e.candidate === null || !loopbackOnly(e.candidate)) return
    link.signal({ type: 'candidate', candidate: { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex } })
  }
  // The offer's own SDP, not pc.localDescription: @roamhq/wrtc serialises the live description on
  // the JS thread while its signaling thread changes it, a native crash (see webrtc-link.ts).
  pc.createOffer()
    .then(async (offer) => { await pc.setLocalDescription(offer); return offer })
    .then((offer) => link.signal({ type: 'offer', sdp: (offer.sdp ?? '').replace(/a=candidate:.*\r\n/g, '') }))
    .catch(() => {})
  return { pc, channels, link, close: () => { pc.close(); t.close() } }
}
