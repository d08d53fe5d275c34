/**
 * BlindReplica: store-and-forward for a document whose payloads it may not be able to read
 * (an encrypted room on an anchor without the room key). It checks what it can without the
 * payload — the author's signature over header and payload, and the clientID binding — keeps
 * the log indexed by the plaintext headers, persists it, and answers catch-up requests with
 * the authors' original bytes. Readers check the payloads themselves.
 */
import { ObservableV2 } from 'lib0/observable'
import type { Clock, PeerId } from '@ymesh/protocol'
import { ClientBinding } from './client-binding.js'
import type { DropReason } from './drop-reasons.js'
import { StorageCorruptionError, type StorageError } from './errors.js'
import { SyncMessageType } from './limits.js'
import { decodeSyncMessage, encodeSyncMessage } from './messages.js'
import { decodeSignedUpdate, verifySignedUpdate, type SignedUpdate } from './signed-update.js'
import type { DocStore } from './storage/doc-store.js'
import { UpdateLog } from './update-log.js'

export interface BlindReplicaEvents {
  message: (event: { message: Uint8Array, to: PeerId | null }) => void
  accepted: (event: { bytes: Uint8Array, author: PeerId, clientId: number, from: PeerId | null }) => void
  drop: (event: { reason: DropReason, from: PeerId | null, detail: string }) => void
  'storage-error': (event: { error: StorageError }) => void
}

export interface BlindReplicaOptions {
  readonly docId: string
  readonly clock: Clock
  readonly store?: DocStore | null
}

export class BlindReplica extends ObservableV2<BlindReplicaEvents> {
  readonly docId: string
  readonly log = new UpdateLog()
  readonly drops: Partial<Record<DropReason, number>> = {}
  private readonly clock: Clock
  private readonly store: DocStore | null
  private readonly binding = new ClientBinding()
  private readonly owners = new Map<number, PeerId>()
  private tail: Promise<void> = Promise.resolve()

  constructor (options: BlindReplicaOptions) {
    super()
    this.docId = options.docId
    this.clock = options.clock
    this.store = options.store ?? null
  }

  /** Loads the stored log (MAC-checked, no signature checks). */
  async start (): Promise<void> {
    if (this.store === null) return
    const stored = await this.clock.settle(this.store.load())
    if (stored.corrupt > 0) this.emit('storage-error', [{ error: new StorageCorruptionError(`${stored.corrupt} stored record(s) of '${this.docId}' failed the integrity check and were skipped.`) }])
    for (const bytes of stored.signed) {
      try {
        const u = decodeSignedUpdate(bytes)
        if (this.log.add(u) !== null) this.owners.set(u.clientId, u.author)
      } catch { /* a MAC-valid record that does not decode was written by a newer version: skip it */ }
    }
  }

  async stop (): Promise<void> {
    await this.tail
  }

  syncRequest (): Uint8Array {
    return encodeSyncMessage({ type: SyncMessageType.SyncRequest, logVector: this.log.vector(), stateVector: new Map() })
  }

  /** Handles one sync message. Never throws. */
  async receive (message: Uint8Array, context: { from: PeerId }): Promise<void> {
    const run = this.tail.then(async () => { await this.handle(message, context.from) })
      .catch((err: unknown) => { this.drop('malformed', context.from, String(err)) })
    this.tail = run
    await run
  }

  private async handle (message: Uint8Array, from: PeerId): Promise<void> {
    let m
    try {
      m = decodeSyncMessage(message)
    } catch (err) {
      this.drop('malformed', from, err instanceof Error ? err.message : String(err))
      return
    }
    if (m.type === SyncMessageType.SyncRequest) {
      const { updates } = this.log.missing(m.logVector, m.stateVector)
      this.emit('message', [{ message: encodeSyncMessage({ type: SyncMessageType.SyncResponse, updates, unsigned: [] }), to: from }])
    } else if (m.type === SyncMessageType.Update || m.type === SyncMessageType.SyncResponse) {
      const list = m.type === SyncMessageType.Update ? [m.update] : m.updates
      for (const bytes of list) await this.accept(bytes, from)
      if (m.type === SyncMessageType.SyncResponse && m.unsigned.length > 0) this.drop('unauthenticated-not-allowed', from, 'a blind replica stores signed updates only')
    } else if (m.type === SyncMessageType.UnsignedUpdate) {
      this.drop('unauthenticated-not-allowed', from, 'a blind replica stores signed updates only')
    }
    // Awareness is ephemeral: a blind replica neither stores nor checks it.
  }

  private async accept (bytes: Uint8Array, from: PeerId): Promise<void> {
    let u: SignedUpdate
    try {
      u = decodeSignedUpdate(bytes)
    } catch (err) {
      this.drop('malformed', from, err instanceof Error ? err.message : String(err))
      return
    }
    if (u.docId !== this.docId) { this.drop('wrong-document', from, `update for '${u.docId}'`); return }
    const placement = this.log.place(u)
    if (placement.kind === 'duplicate') return
    if (placement.kind === 'misaligned') { this.drop('misaligned', from, 'straddles existing entries'); return }
    // Out of order for its author: the sender will resend it with its predecessors on catch-up.
    if (placement.kind === 'gap') { this.drop('pending-overflow', from, `clientID ${u.clientId} update ${u.seqStart} arrived before ${placement.next}`); return }
    const [ok, bound] = await this.clock.settle(Promise.all([verifySignedUpdate(u), this.binding.clientIdOf(u.author, u.clientIndex)]))
    if (!ok) { this.drop('bad-signature', from, `signature of ${u.author} does not verify`); return }
    if (bound !== u.clientId) { this.drop('clientid-not-bound', from, `clientID ${u.clientId} is not ${u.author}'s`); return }
    const owner = this.owners.get(u.clientId)
    if (owner !== undefined && owner !== u.author) { this.drop('clientid-bound-to-other', from, `clientID ${u.clientId} belongs to ${owner}`); return }
    this.log.add(u)
    this.owners.set(u.clientId, u.author)
    this.emit('accepted', [{ bytes: u.bytes, author: u.author, clientId: u.clientId, from }])
    if (this.store !== null) {
      try {
        await this.clock.settle(this.store.appendSigned(u.bytes))
      } catch (err) {
        this.emit('storage-error', [{ error: new StorageCorruptionError(`Could not store an update of '${this.docId}': ${String(err)}`, { cause: err }) }])
      }
    }
  }

  private drop (reason: DropReason, from: PeerId | null, detail: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1
    this.emit('drop', [{ reason, from, detail }])
  }
}
