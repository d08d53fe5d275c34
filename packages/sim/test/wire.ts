import type { SimLink, SimTransport } from '../src/index.js'

/** Links a and b with their signals handed straight across, as a signaling server would. */
export function wire (a: SimTransport, b: SimTransport): { la: SimLink, lb: () => SimLink } {
  let lb: SimLink | null = null
  const pending: Parameters<SimLink['signal']>[0][] = []
  const la = a.createLink({
    remotePeer: b.localPeer,
    initiator: true,
    onSignal: (signal) => {
      if (lb === null) {
        pending.push(signal)
        lb = b.createLink({ remotePeer: a.localPeer, initiator: false, onSignal: (s) => { la.signal(s) } })
        for (const s of pending.splice(0)) lb.signal(s)
      } else lb.signal(signal)
    }
  })
  return { la, lb: () => lb as SimLink }
}
