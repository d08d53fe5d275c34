/**
 * One peer, many documents: the router owns the peer's handlers for the document tags
 * (doc-sync, doc-awareness) and for y-webrtc's tags (sync, awareness, query-awareness,
 * bc-peer-id), and hands each frame to the document (or, for a stock peer, the room) it
 * belongs to. Every MeshProvider that shares a peer shares its router: the dispatcher has
 * one handler per tag.
 *
 * A frame reaches a document only over a connection that serves the document's room (the
 * peer's `connectionsIn(topic)`: rooms both sides joined, learnt from signaling for that
 * topic). Naming a document is not enough: a neighbour connected for one room would read and
 * write every other room on the same peer. The provider then requires the connection's room
 * admission (room-admission.ts) before it takes content from it.
 */
import { Tag, type Frame, type PeerId } from '@ymesh/protocol'
import type { Connection, MeshPeer } from '@ymesh/core'
import { decodeDocFrame } from './doc-wire.js'
import { DocumentConflictError } from './errors.js'

/** What a document (a MeshProvider) receives from the router. */
export interface DocEndpoint {
  readonly docId: string
  /** Signaling topic of the room (stock y-webrtc connections are made for one topic). */
  readonly topic: string
  docFrame: (message: Uint8Array, connection: Connection) => void
  stockFrame: (frame: Frame, connection: Connection) => void
  connectionOpen: (connection: Connection) => void
  connectionClose: (connection: Connection) => void
  /** A frame for this document came over a connection that does not serve its room; it was dropped. */
  refused: (connection: Connection, detail: string) => void
}

const STOCK_TAGS = [Tag.Sync, Tag.Awareness, Tag.QueryAwareness, Tag.BcPeerId] as const

export class DocRouter {
  /** Frames for documents nobody here has (another room's neighbour, or garbage). */
  unroutedFrames = 0
  malformedFrames = 0
  /** Frames for a document here over a connection that does not serve its room (dropped, 'not-a-member'). */
  notMemberFrames = 0
  private readonly docs = new Map<string, DocEndpoint>()
  private unregister: Array<() => void> = []
  private readonly onOpen = ({ connection }: { connection: Connection }): void => {
    for (const d of this.endpointsFor(connection)) d.connectionOpen(connection)
  }

  private readonly onClose = ({ connection }: { connection: Connection }): void => {
    for (const d of [...this.docs.values()]) d.connectionClose(connection)
  }

  constructor (readonly peer: MeshPeer) {}

  get size (): number {
    return this.docs.size
  }

  /** Routes frames of `endpoint.docId` to it; returns the function that stops it. */
  register (endpoint: DocEndpoint): () => void {
    if (this.docs.has(endpoint.docId)) {
      throw new DocumentConflictError(`document '${endpoint.docId}' already has a provider on this peer; destroy() it first, or give the second provider its own peer`)
    }
    if (this.docs.size === 0) this.attach()
    this.docs.set(endpoint.docId, endpoint)
    return () => {
      if (this.docs.get(endpoint.docId) !== endpoint) return
      this.docs.delete(endpoint.docId)
      if (this.docs.size === 0) this.detach()
    }
  }

  /** The open connections that serve `endpoint`'s room, by remote peer. */
  connectionsOf (endpoint: DocEndpoint): Map<PeerId, Connection> {
    const out = new Map<PeerId, Connection>()
    for (const c of this.peer.connectionsIn(endpoint.topic)) {
      if (c.kind === 'ymesh' || c.room === endpoint.topic) out.set(c.remotePeer, c)
    }
    return out
  }

  private endpointsFor (connection: Connection): DocEndpoint[] {
    return [...this.docs.values()].filter((d) => this.serves(d, connection))
  }

  /** Does `connection` serve `d`'s room? (The peer's view; for ymesh connections the provider's admission comes on top.) */
  serves (d: DocEndpoint, connection: Connection): boolean {
    if (connection.kind === 'y-webrtc') return connection.room === d.topic
    return this.peer.connectionsIn(d.topic).includes(connection)
  }

  private attach (): void {
    const docFrame = (frame: Frame, connection: Connection): void => {
      if (connection.kind !== 'ymesh') { this.malformedFrames++; return } // stock peers never speak these tags
      let decoded
      try {
        decoded = decodeDocFrame(frame.payload)
      } catch {
        this.malformedFrames++
        return
      }
      const d = this.docs.get(decoded.docId)
      if (d === undefined) { this.unroutedFrames++; return }
      if (!this.serves(d, connection)) {
        this.notMemberFrames++
        d.refused(connection, `a frame for '${decoded.docId}' over a connection that does not serve that room`)
        return
      }
      d.docFrame(decoded.message.slice(), connection)
    }
    const stockFrame = (frame: Frame, connection: Connection): void => {
      if (connection.kind !== 'y-webrtc') { this.malformedFrames++; return } // ymesh peers use doc-sync
      for (const d of this.docs.values()) {
        if (d.topic === connection.room) { d.stockFrame(frame, connection); return }
      }
      this.unroutedFrames++
    }
    this.unregister = [
      this.peer.handle(Tag.DocSync, docFrame),
      this.peer.handle(Tag.DocAwareness, docFrame),
      ...STOCK_TAGS.map((tag) => this.peer.handle(tag, stockFrame))
    ]
    this.peer.on('connection-open', this.onOpen)
    this.peer.on('connection-close', this.onClose)
  }

  private detach (): void {
    for (const u of this.unregister) u()
    this.unregister = []
    this.peer.off('connection-open', this.onOpen)
    this.peer.off('connection-close', this.onClose)
  }
}
