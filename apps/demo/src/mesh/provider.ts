/**
 * The one place the demo attaches a sync provider to a room's Y.Doc.
 *
 * Today that is y-webrtc's WebrtcProvider: MeshProvider (package `ymesh`) is a drop-in for
 * it with the same constructor, awareness and 'peers' event, so switching is this file only.
 * The rest of the app sees RoomLink, never the provider.
 */
import type * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import { WebrtcProvider } from 'y-webrtc'

export type SignaledVia = 'server' | 'broadcast-channel'

export interface PeerLink {
  /** The remote peer's id in this room (what it puts in its awareness `user.peer`). */
  readonly peer: string
  readonly via: SignaledVia
  /** The underlying connection, for RTT and byte counts; null for same-browser tabs. */
  readonly pc: RTCPeerConnection | null
}

export interface RoomLink {
  readonly room: string
  readonly awareness: Awareness
  readonly localPeer: string
  links: () => PeerLink[]
  onPeers: (listener: () => void) => () => void
  destroy: () => void
}

export interface RoomLinkOptions {
  readonly signaling: readonly string[]
  readonly password?: string
}

export type OpenRoomLink = (room: string, doc: Y.Doc, options: RoomLinkOptions) => RoomLink

interface SimplePeerLike { _pc?: RTCPeerConnection }

export const openRoomLink: OpenRoomLink = (room, doc, options) => {
  const provider = new WebrtcProvider(room, doc, {
    signaling: [...options.signaling],
    ...(options.password === undefined ? {} : { password: options.password })
  })
  return {
    room,
    awareness: provider.awareness,
    // y-webrtc creates its room after an await (key derivation): read the id when asked.
    get localPeer () { return provider.room?.peerId ?? '' },
    links: () => {
      const r = provider.room
      if (r === null) return []
      const out: PeerLink[] = []
      for (const [peer, conn] of r.webrtcConns) {
        if (conn.connected) out.push({ peer, via: 'server', pc: (conn.peer as SimplePeerLike)._pc ?? null })
      }
      for (const peer of r.bcConns) out.push({ peer, via: 'broadcast-channel', pc: null })
      return out
    },
    onPeers: (listener) => {
      provider.on('peers', listener)
      return () => { provider.off('peers', listener) }
    },
    destroy: () => { provider.destroy() }
  }
}
