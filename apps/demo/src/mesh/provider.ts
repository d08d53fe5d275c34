/**
 * The one place the demo attaches a sync provider to a room's Y.Doc: ymesh's MeshProvider on
 * the tab's shared peer. The rest of the app sees RoomLink, never the provider.
 */
import type * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import { MeshProvider } from 'ymesh'
import type { MeshNode } from './mesh-node'
import { signalPathOf, type SignaledVia } from './signal-path'

export type { SignaledVia } from './signal-path'

export interface PeerLink {
  /** The remote peer's id (a ymesh peer id, or a stock y-webrtc peer's random id). */
  readonly peer: string
  readonly kind: 'ymesh' | 'y-webrtc' | 'broadcast-channel'
  /** How the connection was signaled: relayed by peers, through the server, or both. */
  readonly via: SignaledVia
  /** From Connection.quality (pings every 2 s); null for BroadcastChannel tabs and stock peers. */
  readonly rttMs: number | null
  readonly loss: number
  readonly bytes: number
}

export interface RoomLink {
  readonly room: string
  readonly awareness: Awareness
  readonly localPeer: string
  /** Resolves once the provider runs: clientID bound, stored history loaded. */
  readonly ready: Promise<void>
  /** The doc's clientID once ready (messages record it so the anchor's stored vector can be compared). */
  readonly clientId: () => number
  links: () => PeerLink[]
  onPeers: (listener: () => void) => () => void
  destroy: () => Promise<void>
}

export interface RoomLinkOptions {
  readonly password?: string
}

export type OpenRoomLink = (node: MeshNode, room: string, doc: Y.Doc, options: RoomLinkOptions) => RoomLink

export const openRoomLink: OpenRoomLink = (node, room, doc, options) => {
  const storage = node.storage(room)
  const provider = new MeshProvider(room, doc, {
    peer: node.peer,
    identity: node.identity,
    router: node.router,
    ...(storage === null ? {} : { persistence: storage }),
    ...(options.password === undefined ? {} : { password: options.password }),
    ...node.providerOptions
  })
  let bcPeers: string[] = []
  provider.on('peers', (e) => { bcPeers = e.bcPeers })
  return {
    room,
    awareness: provider.awareness,
    localPeer: node.identity.peerId,
    ready: provider.whenReady,
    clientId: () => doc.clientID,
    links: () => {
      const out: PeerLink[] = []
      const seen = new Set<string>()
      for (const c of node.peer.connectionsIn(room)) {
        if (c.state !== 'open' || (c.kind === 'y-webrtc' && c.room !== room) || seen.has(c.remotePeer)) continue
        seen.add(c.remotePeer)
        const q = c.quality
        out.push({ peer: c.remotePeer, kind: c.kind, via: signalPathOf(node.peer, c.remotePeer, c.kind), rttMs: q.rttMs, loss: q.loss, bytes: q.bytesIn + q.bytesOut })
      }
      for (const peer of bcPeers) out.push({ peer, kind: 'broadcast-channel', via: 'broadcast-channel', rttMs: null, loss: 0, bytes: 0 })
      return out
    },
    onPeers: (listener) => {
      provider.on('peers', listener)
      node.peer.on('connection-open', listener)
      node.peer.on('connection-close', listener)
      return () => {
        provider.off('peers', listener)
        node.peer.off('connection-open', listener)
        node.peer.off('connection-close', listener)
      }
    },
    destroy: async () => {
      await provider.destroy()
      await storage?.close()
    }
  }
}
