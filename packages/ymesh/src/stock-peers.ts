/**
 * The y-webrtc side of a room: on a connection to a stock y-webrtc peer we speak exactly
 * what y-webrtc's WebrtcConn speaks (sync step 1 / step 2 / update, awareness,
 * query-awareness; bc-peer-id ignored). Their updates go to the engine's unsigned path (the
 * room's policy decides); ours go out as plain Yjs updates.
 */
import * as Y from 'yjs'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as syncProtocol from 'y-protocols/sync'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { Tag, type Frame, type PeerId } from '@ymesh/protocol'
import type { Connection } from '@ymesh/core'

export interface StockPeersHost {
  readonly doc: Y.Doc
  readonly awareness: awarenessProtocol.Awareness
  /** Apply a stock peer's update through the engine (policy, validation). */
  applyUnsigned: (update: Uint8Array, from: PeerId) => void
  /** May a stock peer's awareness entry for `clientId` be applied? (not a ymesh-bound clientID, not ours) */
  acceptsStockAwareness: (clientId: number) => boolean
  synced: (connection: Connection) => void
  malformed: (from: PeerId, detail: string) => void
  /** Entries of these clientIDs (the encoded, filtered awareness update) were applied from a stock peer. */
  awarenessApplied?: (update: Uint8Array, clients: number[], from: PeerId) => void
}

/**
 * Keeps the entries of a y-protocols awareness update for which `accept(clientId)` holds;
 * null when none is left. Throws on malformed input.
 */
export const filterAwarenessUpdate = (update: Uint8Array, accept: (clientId: number) => boolean): { update: Uint8Array, clients: number[] } | null => {
  const d = decoding.createDecoder(update)
  const count = decoding.readVarUint(d)
  const kept: Array<[number, number, string]> = []
  for (let i = 0; i < count; i++) {
    const clientId = decoding.readVarUint(d)
    const clock = decoding.readVarUint(d)
    const state = decoding.readVarString(d)
    if (accept(clientId)) kept.push([clientId, clock, state])
  }
  if (kept.length === 0) return null
  const filtered = encoding.encode((e) => {
    encoding.writeVarUint(e, kept.length)
    for (const [c, k, s] of kept) { encoding.writeVarUint(e, c); encoding.writeVarUint(e, k); encoding.writeVarString(e, s) }
  })
  return { update: filtered, clients: kept.map(([c]) => c) }
}

const frame = (write: (e: encoding.Encoder) => void): Uint8Array => encoding.encode(write)

export class StockPeers {
  private readonly conns = new Set<Connection>()

  constructor (private readonly host: StockPeersHost) {}

  get size (): number {
    return this.conns.size
  }

  has (connection: Connection): boolean {
    return this.conns.has(connection)
  }

  all (): Iterable<Connection> {
    return this.conns
  }

  /** Start serving a stock connection: sync step 1 and our awareness, as y-webrtc does on connect. */
  add (connection: Connection): void {
    if (this.conns.has(connection) || connection.state !== 'open') return
    this.conns.add(connection)
    connection.send(Tag.Sync, frame((e) => { syncProtocol.writeSyncStep1(e, this.host.doc) }))
    const states = this.host.awareness.getStates()
    if (states.size > 0) connection.send(Tag.Awareness, this.awarenessPayload([...states.keys()]))
  }

  remove (connection: Connection): boolean {
    return this.conns.delete(connection)
  }

  /** A doc update (any origin) goes to every stock peer, as y-webrtc broadcasts. */
  broadcastUpdate (update: Uint8Array): void {
    if (this.conns.size === 0) return
    const payload = frame((e) => { syncProtocol.writeUpdate(e, update) })
    for (const c of this.conns) c.send(Tag.Sync, payload)
  }

  broadcastAwareness (clients: number[]): void {
    if (this.conns.size === 0 || clients.length === 0) return
    const payload = this.awarenessPayload(clients)
    for (const c of this.conns) c.send(Tag.Awareness, payload)
  }

  receive (f: Frame, connection: Connection): void {
    this.add(connection) // the first frame can arrive before 'connection-open'
    const from = connection.remotePeer
    try {
      switch (f.tag) {
        case Tag.Sync: this.receiveSync(f.payload, connection); return
        case Tag.Awareness: this.receiveAwareness(f.payload, from); return
        case Tag.QueryAwareness:
          connection.send(Tag.Awareness, this.awarenessPayload([...this.host.awareness.getStates().keys()]))
          return
        default: // bc-peer-id has no meaning on a data channel
      }
    } catch (err) {
      this.host.malformed(from, `y-webrtc message: ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  private receiveSync (payload: Uint8Array, connection: Connection): void {
    const d = decoding.createDecoder(payload)
    const type = decoding.readVarUint(d)
    switch (type) {
      case syncProtocol.messageYjsSyncStep1: {
        const stateVector = decoding.readVarUint8Array(d)
        const update = Y.encodeStateAsUpdate(this.host.doc, stateVector)
        connection.send(Tag.Sync, frame((e) => {
          encoding.writeVarUint(e, syncProtocol.messageYjsSyncStep2)
          encoding.writeVarUint8Array(e, update)
        }))
        return
      }
      case syncProtocol.messageYjsSyncStep2:
        this.host.applyUnsigned(decoding.readVarUint8Array(d).slice(), connection.remotePeer)
        this.host.synced(connection)
        return
      case syncProtocol.messageYjsUpdate:
        this.host.applyUnsigned(decoding.readVarUint8Array(d).slice(), connection.remotePeer)
        return
      default:
        throw new Error(`unknown sync message type ${type}`)
    }
  }

  private receiveAwareness (payload: Uint8Array, from: PeerId): void {
    const update = decoding.readVarUint8Array(decoding.createDecoder(payload))
    // Keep only entries for clientIDs a stock peer may speak for: never a ymesh-bound
    // clientID (a huge clock there would lock its owner's presence out), never ours.
    const kept = filterAwarenessUpdate(update, this.host.acceptsStockAwareness)
    if (kept === null) return
    awarenessProtocol.applyAwarenessUpdate(this.host.awareness, kept.update, from)
    this.host.awarenessApplied?.(kept.update, kept.clients, from)
  }

  private awarenessPayload (clients: number[]): Uint8Array {
    return frame((e) => { encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(this.host.awareness, clients)) })
  }
}
