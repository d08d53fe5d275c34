/**
 * How the tab's peer signaled its connections, and how many of its signals went through
 * other peers instead of the signaling server: the "signaled" column and the server-load
 * numbers of the network panel. Both come from @ymesh/core: `MeshPeer.signalPathOf` and the
 * hybrid layer's `ymesh_hybrid_signals_total` counter (by path).
 */
import type { MeshPeer } from 'ymesh'

/** What the network panel shows for one connection. */
export type SignaledVia = 'relayed' | 'server' | 'mixed' | 'unknown' | 'broadcast-channel'

/** What the panel needs of the peer (tests pass small stand-ins). */
export type SignalPathSource = Pick<MeshPeer, 'signalPathOf'> & { readonly hybrid: object | null }
export type SignalCountSource = Pick<MeshPeer, 'metrics'> & { readonly hybrid: object | null }

const SIGNALS_COUNTER = 'ymesh_hybrid_signals_total'

const FROM_CORE: Record<'mesh' | 'server' | 'mixed', SignaledVia> = { mesh: 'relayed', server: 'server', mixed: 'mixed' }

/**
 * How the connection to `remote` was signaled ('mesh' in core's words: every signal of the
 * remote came relayed by peers). When the peer has no answer (the connection is already gone),
 * what is certain: stock y-webrtc peers and peers without hybrid signaling only use the server.
 */
export const signalPathOf = (peer: SignalPathSource, remote: string, kind: 'ymesh' | 'y-webrtc'): SignaledVia => {
  const path = peer.signalPathOf(remote as Parameters<MeshPeer['signalPathOf']>[0])
  if (path !== undefined) return FROM_CORE[path]
  return kind === 'y-webrtc' || peer.hybrid === null ? 'server' : 'unknown'
}

export interface SignalCounts {
  /** Signals this peer sent through other peers (relayed signaling). */
  readonly relayed: number
  /** Signals it sent through the signaling server (bootstrap, stock peers, fallbacks). */
  readonly server: number
  /** Connections it opened since it started, by the path the remote's signals came by. */
  readonly opened: Readonly<Record<'relayed' | 'server' | 'mixed', number>>
}

/** This peer's signals by path, or null when it has no hybrid signaling (everything goes through the server). */
export const signalCountsOf = (peer: SignalCountSource): SignalCounts | null => {
  // The registry returns the hybrid layer's counter by name (it is not a field of CoreMetrics).
  if (peer.hybrid === null) return null
  const counter = peer.metrics.registry.counter(SIGNALS_COUNTER, '')
  const opened = peer.metrics.connectionsOpened
  return {
    relayed: counter.get({ path: 'relay' }),
    server: counter.get({ path: 'server' }),
    opened: { relayed: opened.get({ path: 'mesh' }), server: opened.get({ path: 'server' }), mixed: opened.get({ path: 'mixed' }) }
  }
}

/** Share of `part` in `part + rest`, in whole percent; null when both are zero. */
export const percentOf = (part: number, rest: number): number | null =>
  part + rest === 0 ? null : Math.round((100 * part) / (part + rest))
