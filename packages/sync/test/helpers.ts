import { createHash } from 'node:crypto'
import * as Y from 'yjs'
import type { Clock, PeerId, Timer } from '@ymesh/protocol'
import { generateIdentity, type Identity } from '@ymesh/crypto'
import type { AuthenticatedDoc, BlindReplica } from '@ymesh/sync'

/** A clock whose time only moves when a test calls advance(). */
export class ManualClock implements Clock {
  private time = 0
  private nextId = 1
  private readonly timers = new Map<number, { at: number, callback: () => void, every: number | null }>()

  now (): number { return this.time }
  setTimeout (callback: () => void, delayMs: number): Timer { return this.add(callback, delayMs, null) }
  setInterval (callback: () => void, intervalMs: number): Timer { return this.add(callback, intervalMs, intervalMs) }
  clearTimeout (timer: Timer): void { this.timers.delete(timer as unknown as number) }
  clearInterval (timer: Timer): void { this.timers.delete(timer as unknown as number) }
  async settle<T>(work: Promise<T>): Promise<T> { return await work }
  get pendingTimers (): number { return this.timers.size }

  /** Moves time forward, firing every timer that falls due, in order. */
  advance (ms: number): void {
    const end = this.time + ms
    for (;;) {
      let next: [number, { at: number, callback: () => void, every: number | null }] | null = null
      for (const entry of this.timers) if (entry[1].at <= end && (next === null || entry[1].at < next[1].at)) next = entry
      if (next === null) break
      const [id, timer] = next
      this.time = timer.at
      if (timer.every === null) this.timers.delete(id)
      else timer.at += timer.every
      timer.callback()
    }
    this.time = end
  }

  private add (callback: () => void, delay: number, every: number | null): Timer {
    const id = this.nextId++
    this.timers.set(id, { at: this.time + Math.max(0, delay), callback, every })
    return id as unknown as Timer
  }
}

export const identity = async (n: number): Promise<Identity> => await generateIdentity({ seed: new Uint8Array(32).fill(n) })

/** Content hash of a document: what "byte-identical" means here. */
export const docHash = (doc: Y.Doc): string => createHash('sha256').update(Y.encodeStateAsUpdate(doc)).digest('hex')

type Node = AuthenticatedDoc | BlindReplica

/** In-process network: routes 'message' events between nodes, tracks in-flight deliveries. */
export class Net {
  private readonly nodes = new Map<PeerId, Node>()
  private readonly offline = new Set<PeerId>()
  private readonly inflight = new Set<Promise<void>>()
  delivered = 0

  add (peer: PeerId, node: Node): void {
    this.nodes.set(peer, node)
    // Both classes emit the same 'message' payload.
    ;(node as AuthenticatedDoc).on('message', ({ message, to }) => {
      if (this.offline.has(peer)) return
      for (const [id, target] of this.nodes) {
        if (id === peer || this.offline.has(id) || (to !== null && to !== id)) continue
        this.send(target, message, peer)
      }
    })
  }

  setOnline (peer: PeerId, online: boolean): void {
    if (online) this.offline.delete(peer)
    else this.offline.add(peer)
  }

  send (target: Node, message: Uint8Array, from: PeerId): void {
    this.delivered++
    const p = Promise.resolve().then(async () => { await target.receive(message, { from }) })
    this.inflight.add(p)
    void p.finally(() => this.inflight.delete(p))
  }

  /** Resolves once no delivery is in flight (deliveries may cause more deliveries). */
  async idle (): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight])
  }
}
