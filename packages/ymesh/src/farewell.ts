/**
 * Our signed awareness removal ("this client left"), for when the provider disconnects. The
 * engine signs one when the local state is set to null, but only after its batch window and
 * an Ed25519 signature: too late for a closing page, whose unload handler must send
 * synchronously. So once our presence has been quiet for `presignAfterMs`, a removal for the
 * next clock is signed ahead of time; disconnect() sends it at once when it still follows the
 * last entry we sent, and otherwise waits (bounded) for the engine's own.
 */
import type { Awareness } from 'y-protocols/awareness'
import type { Clock, Timer } from '@ymesh/protocol'
import type { Identity } from '@ymesh/crypto'
import { SyncMessageType, createSignedAwareness, encodeSyncMessage } from '@ymesh/sync'
import type { ItemId } from './doc-gossip.js'

export interface FarewellOptions {
  readonly identity: Identity
  readonly docId: string
  readonly clientIndex: number
  /** The engine's (signed) awareness. */
  readonly awareness: Awareness
  readonly clock: Clock
  readonly presignAfterMs?: number
  readonly timeoutMs?: number
}

export class Farewell {
  private presigned: { clock: number, message: Uint8Array } | null = null
  private presignTimer: Timer | null = null
  private waiter: { clock: number, resolve: (message: Uint8Array | null) => void } | null = null
  private stopped = false

  constructor (private readonly o: FarewellOptions) {}

  /** A presigned removal follows our last entry: leave() can send it synchronously. */
  get ready (): boolean {
    const awareness = this.o.awareness
    return this.presigned?.clock === (awareness.meta.get(awareness.clientID)?.clock ?? 0) + 1
  }

  /** The engine emitted one of our awareness entries (`id`): the engine's removal we wait for, or the cue to presign the next. */
  signed (id: ItemId, message: Uint8Array): void {
    const waiter = this.waiter
    if (waiter !== null && id.a >= waiter.clock) { this.waiter = null; waiter.resolve(message); return }
    if (this.o.awareness.getLocalState() === null || this.stopped) return
    if (this.presignTimer !== null) this.o.clock.clearTimeout(this.presignTimer)
    this.presignTimer = this.o.clock.setTimeout(() => { this.presignTimer = null; void this.presign() }, this.o.presignAfterMs ?? 1_000)
  }

  /**
   * Removes our local state and returns its signed removal: the presigned one at once when
   * it is current (`now`), else the engine's when it comes (null after `timeoutMs`, or when
   * there was no state to remove).
   */
  leave (): { now: Uint8Array | null, later: Promise<Uint8Array | null> } {
    const awareness = this.o.awareness
    if (awareness.getLocalState() === null) return { now: null, later: Promise.resolve(null) }
    const clock = (awareness.meta.get(awareness.clientID)?.clock ?? 0) + 1
    const ready = this.presigned?.clock === clock ? this.presigned.message : null
    // The engine signs the same removal (same clock): receivers keep one copy.
    awareness.setLocalState(null)
    if (ready !== null) return { now: ready, later: Promise.resolve(null) }
    const later = new Promise<Uint8Array | null>((resolve) => {
      const timer = this.o.clock.setTimeout(() => { this.waiter = null; resolve(null) }, this.o.timeoutMs ?? 2_000)
      this.waiter = { clock, resolve: (m) => { this.o.clock.clearTimeout(timer); resolve(m) } }
    })
    return { now: null, later }
  }

  stop (): void {
    this.stopped = true
    if (this.presignTimer !== null) this.o.clock.clearTimeout(this.presignTimer)
    this.presignTimer = null
    this.waiter?.resolve(null)
    this.waiter = null
  }

  private async presign (): Promise<void> {
    const awareness = this.o.awareness
    if (awareness.getLocalState() === null) return
    const clock = (awareness.meta.get(awareness.clientID)?.clock ?? 0) + 1
    if (this.presigned?.clock === clock) return
    const entry = await this.o.clock.settle(createSignedAwareness(this.o.identity, {
      docId: this.o.docId, clientIndex: this.o.clientIndex, clientId: awareness.clientID, clock, state: 'null'
    }))
    this.presigned = { clock, message: encodeSyncMessage({ type: SyncMessageType.Awareness, entry: entry.bytes }) }
  }
}
