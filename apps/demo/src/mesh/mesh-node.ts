/**
 * One ymesh peer per browser tab, shared by every room's MeshProvider (one identity, one
 * connection per remote peer whatever the number of rooms), plus where rooms persist.
 * Tests build a MeshNode on the simulator instead (test/helpers/sim-node.ts).
 */
import type { Identity } from '@ymesh/crypto'
import { DocRouter, IndexedDbStorage, createPeer, type MeshPeer, type MeshProviderOptions, type SyncStorage } from 'ymesh'

export interface MeshNode {
  readonly identity: Identity
  readonly peer: MeshPeer
  /** Every provider on `peer` shares this router. */
  readonly router: DocRouter
  /** Where room `name` keeps its signed log, or null for none. */
  storage: (room: string) => SyncStorage | null
  /** Extra MeshProvider options (the simulator's clock and rng in tests). */
  readonly providerOptions?: Partial<MeshProviderOptions>
  stop: () => void
}

export interface BrowserNodeOptions {
  readonly identity: Identity
  readonly signaling: readonly string[]
  /** The anchor's peer id: always dialed, never pruned, so offline members' messages reach it. */
  readonly anchor: string | null
  /** Keep documents in IndexedDB (default true). */
  readonly persist?: boolean
}

export const createBrowserNode = (o: BrowserNodeOptions): MeshNode => {
  const peer = createPeer({
    identity: o.identity,
    signaling: o.signaling,
    ...(o.anchor === null ? {} : { pool: { anchors: [o.anchor as MeshPeer['peerId']] } })
  })
  peer.start()
  return {
    identity: o.identity,
    peer,
    router: new DocRouter(peer),
    storage: (room) => o.persist === false || typeof indexedDB === 'undefined' ? null : new IndexedDbStorage({ namespace: `ymesh-demo:${o.identity.peerId}:${room}` }),
    stop: () => { peer.stop() }
  }
}
