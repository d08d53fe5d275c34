/**
 * Where capability records persist across restarts: the signed envelopes as received, one
 * per peer. Storage is untrusted input: the manager re-verifies everything it loads. The
 * Node (LevelDB) and browser (IndexedDB) stores come with @ymesh/sync; tests and the
 * simulator use MemoryCapabilityStore.
 */
import type { PeerId } from '@ymesh/protocol'

export interface CapabilityStore {
  /** Every stored envelope (encoded 'envelope' payloads). */
  load(): Promise<Uint8Array[]>
  /** Store (replace) the record of `peer`. */
  save(peer: PeerId, envelope: Uint8Array): Promise<void>
  delete(peer: PeerId): Promise<void>
}

export class MemoryCapabilityStore implements CapabilityStore {
  private readonly records = new Map<PeerId, Uint8Array>()

  get size (): number {
    return this.records.size
  }

  async load (): Promise<Uint8Array[]> {
    return [...this.records.values()].map((bytes) => bytes.slice())
  }

  async save (peer: PeerId, envelope: Uint8Array): Promise<void> {
    this.records.set(peer, envelope.slice())
  }

  async delete (peer: PeerId): Promise<void> {
    this.records.delete(peer)
  }
}
