// Test wiring for real WebRTC links in one process, kept on loopback (tests talk to 127.0.0.1 only).
import type { IceCandidate, Link, PeerId, SignalData } from '@ymesh/protocol'
import { WebRtcTransport } from '@ymesh/core'
import type { WebRtcTransportOptions } from '@ymesh/core'

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
