/**
 * The one place the anchor attaches a sync provider to a room's Y.Doc.
 *
 * Today that provider is y-webrtc's WebrtcProvider (interoperable with every stock y-webrtc
 * peer and with the demo app, which uses the same provider). MeshProvider is a drop-in for it:
 * when `ymesh` exports MeshProvider, only openRoomProvider changes.
 */
import type * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import type { WebrtcProvider as WebrtcProviderClass } from 'y-webrtc'

export interface RoomProviderOptions {
  readonly signaling: readonly string[]
  readonly password?: string
}

export interface RoomProvider {
  readonly room: string
  readonly awareness: Awareness
  /** This provider's own id in the room (what other members see in their peer lists). */
  readonly localPeer: string
  /** Calls `listener` whenever a peer connects or disconnects; returns the unsubscribe function. */
  onPeers: (listener: () => void) => () => void
  /** y-webrtc peer ids of the peers with an open data channel. */
  connectedPeers: () => string[]
  destroy: () => void
}

interface NodeRuntime {
  WebrtcProvider: typeof WebrtcProviderClass
  wrtc: unknown
}

// Node caches dynamic imports, so calling this per room costs nothing after the first.
const loadRuntime = async (): Promise<NodeRuntime> => {
  // y-webrtc opens its signaling sockets with the global WebSocket, which Node 20 lacks.
  const g = globalThis as { WebSocket?: unknown }
  g.WebSocket ??= (await import('ws')).WebSocket
  const { WebrtcProvider } = await import('y-webrtc')
  const wrtc = (await import('@roamhq/wrtc')).default
  return { WebrtcProvider, wrtc }
}

export const openRoomProvider = async (room: string, doc: Y.Doc, options: RoomProviderOptions): Promise<RoomProvider> => {
  const { WebrtcProvider, wrtc } = await loadRuntime()
  const provider = new WebrtcProvider(room, doc, {
    signaling: [...options.signaling],
    ...(options.password === undefined ? {} : { password: options.password }),
    peerOpts: { wrtc },
    // An anchor serves whole rooms: let it hold more connections than a browser tab.
    maxConns: 64
  })
  return {
    room,
    awareness: provider.awareness,
    // y-webrtc creates its room after an await (key derivation): read the id when asked.
    get localPeer () { return provider.room?.peerId ?? '' },
    onPeers: (listener) => {
      provider.on('peers', listener)
      return () => { provider.off('peers', listener) }
    },
    connectedPeers: () => {
      const conns = provider.room?.webrtcConns
      return conns === undefined ? [] : [...conns].filter(([, c]) => c.connected).map(([id]) => id)
    },
    destroy: () => { provider.destroy() }
  }
}
