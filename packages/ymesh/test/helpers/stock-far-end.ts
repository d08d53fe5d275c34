/**
 * The far end of a 'y-webrtc' connection in tests: a plain Y.Doc + Awareness speaking
 * y-protocols over a simulator link exactly as y-webrtc's WebrtcConn does (sync step 1/2 and
 * updates under message type 0, awareness under 1), with no MeshProvider behind it.
 */
import * as Y from 'yjs'
import * as syncProtocol from 'y-protocols/sync'
import { Awareness, applyAwarenessUpdate } from 'y-protocols/awareness'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import type { SimLink } from '@ymesh/sim'

export interface StockFarEnd {
  readonly remote: Y.Doc
  readonly remoteAwareness: Awareness
  /** Sends one y-webrtc message written by `write`. */
  readonly send: (write: (e: encoding.Encoder) => void) => void
}

export const stockFarEnd = (link: SimLink): StockFarEnd => {
  const remote = new Y.Doc()
  const remoteAwareness = new Awareness(remote)
  const send = (write: (e: encoding.Encoder) => void): void => { link.send(encoding.encode(write)) }
  link.on('message', (data: Uint8Array) => {
    const d = decoding.createDecoder(data)
    const type = decoding.readVarUint(d)
    if (type === 0) {
      const reply = encoding.createEncoder()
      encoding.writeVarUint(reply, 0)
      syncProtocol.readSyncMessage(d, reply, remote, 'ours')
      if (encoding.length(reply) > 1) link.send(encoding.toUint8Array(reply))
    } else if (type === 1) {
      applyAwarenessUpdate(remoteAwareness, decoding.readVarUint8Array(d), 'ours')
    }
  })
  remote.on('update', (u: Uint8Array, origin: unknown) => { if (origin !== 'ours') send((e) => { encoding.writeVarUint(e, 0); syncProtocol.writeUpdate(e, u) }) })
  return { remote, remoteAwareness, send }
}
