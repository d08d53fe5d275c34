import type { SimLink, SimNetwork, SimTransport } from '@ymesh/sim'

/**
 * Links a and b, relaying their signals through the simulation with a small delay, as a
 * signaling server would (signals are not subject to partitions: the server is elsewhere).
 */
export function wire (net: SimNetwork, a: SimTransport, b: SimTransport): { la: SimLink, lb: () => SimLink | null } {
  let lb: SimLink | null = null
  const clock = net.sim.clock
  const la = a.createLink({
    remotePeer: b.localPeer,
    initiator: true,
    onSignal: (signal) => {
      clock.setTimeout(() => {
        if (lb === null) lb = b.createLink({ remotePeer: a.localPeer, initiator: false, onSignal: (s) => { clock.setTimeout(() => { la.signal(s) }, 5) } })
        lb.signal(signal)
      }, 5)
    }
  })
  return { la, lb: () => lb }
}

/** Resolves once `a` and `b` have an open link, or fails. */
export async function connect (net: SimNetwork, a: SimTransport, b: SimTransport): Promise<[SimLink, SimLink]> {
  const w = wire(net, a, b)
  const result = await net.sim.runUntil(() => w.la.state === 'open' && w.lb()?.state === 'open')
  if (result.reason !== 'met') throw new Error(`${a.localPeer} and ${b.localPeer} did not connect (${result.reason})`)
  return [w.la, w.lb() as SimLink]
}

export function u32 (n: number): Uint8Array {
  return new Uint8Array([n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255])
}

export function readU32 (m: Uint8Array): number {
  return (m[0]! | (m[1]! << 8) | (m[2]! << 16) | (m[3]! << 24)) >>> 0
}
