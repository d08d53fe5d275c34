/**
 * What a malicious signaling server does to the descriptions it relays, in either form a
 * signal travels: plain (`signal.sdp`) or packed (`signal.z`, PROTOCOL.md "Packed signals").
 */
import { packSignal, unpackSignal, type SignalData } from '@ymesh/protocol'

/**
 * Rewrites the description in a signal publish's `data` (and in its bundled signals) with
 * `edit`, in place; returns how many descriptions it changed.
 */
export function editDescriptions (data: unknown, edit: (sdp: string) => string): number {
  let edits = 0
  const rewrite = (holder: Record<string, unknown>, key: string): void => {
    const signal = holder[key] as Record<string, unknown> | undefined
    if (typeof signal !== 'object' || signal === null || (signal.type !== 'offer' && signal.type !== 'answer')) return
    const packed = typeof signal.z === 'string'
    const plain = (packed ? unpackSignal({ type: signal.type, z: signal.z }) : signal) as SignalData
    if (plain.type === 'candidate' || typeof plain.sdp !== 'string') return
    const sdp = edit(plain.sdp)
    if (sdp === plain.sdp) return
    edits++
    const edited: SignalData = { type: plain.type, sdp }
    holder[key] = packed ? packSignal(edited) ?? edited : edited
  }
  if (typeof data !== 'object' || data === null) return 0
  const d = data as Record<string, unknown>
  rewrite(d, 'signal')
  const more = (d.ymesh as { more?: unknown } | undefined)?.more
  if (Array.isArray(more)) for (const item of more) if (typeof item === 'object' && item !== null) rewrite(item as Record<string, unknown>, 's')
  return edits
}
