/**
 * What the service layers above the connection manager (gossip, capabilities, routing,
 * sync) see of it: the authenticated ymesh connections that are open right now, and when
 * that set changes. The Peer implements it; tests can build one from a handful of
 * Connections (see NeighbourSet).
 *
 * Only 'ymesh' connections are neighbours. Stock y-webrtc connections speak y-webrtc's
 * protocol for one room and are handled by the sync layer's compatibility path.
 */
import { ObservableV2 } from 'lib0/observable'
import type { PeerId } from '@ymesh/protocol'
import type { Connection } from './connection.js'

export interface NeighbourEvents {
  'neighbour-up': (event: { readonly connection: Connection }) => void
  'neighbour-down': (event: { readonly connection: Connection, readonly reason: string }) => void
}

export interface Neighbours {
  /** The open, authenticated ymesh connections, at most one per remote peer. */
  all(): Iterable<Connection>
  get(peer: PeerId): Connection | undefined
  readonly size: number
  on<N extends keyof NeighbourEvents & string>(name: N, listener: NeighbourEvents[N]): NeighbourEvents[N]
  off<N extends keyof NeighbourEvents & string>(name: N, listener: NeighbourEvents[N]): void
}

/**
 * A Neighbours built from Connections as they are added; each leaves the set when it closes.
 * The Peer's pool feeds one; tests feed one directly.
 */
export class NeighbourSet extends ObservableV2<NeighbourEvents> implements Neighbours {
  private readonly byPeer = new Map<PeerId, Connection>()

  get size (): number {
    return this.byPeer.size
  }

  all (): Iterable<Connection> {
    return this.byPeer.values()
  }

  get (peer: PeerId): Connection | undefined {
    return this.byPeer.get(peer)
  }

  /** Adds an open 'ymesh' connection; returns false (and ignores it) for anything else or a second connection to the same peer. */
  add (connection: Connection): boolean {
    if (connection.kind !== 'ymesh' || connection.state !== 'open' || this.byPeer.has(connection.remotePeer)) return false
    this.byPeer.set(connection.remotePeer, connection)
    connection.once('close', ({ reason }) => {
      if (this.byPeer.get(connection.remotePeer) !== connection) return
      this.byPeer.delete(connection.remotePeer)
      this.emit('neighbour-down', [{ connection, reason }])
    })
    this.emit('neighbour-up', [{ connection }])
    return true
  }
}
