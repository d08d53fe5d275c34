import type { Duplex } from 'node:stream'
import type { WebSocket } from 'ws'

/** The part of a connection the outbox writes to. */
export interface Receiver {
  readonly ws: WebSocket
  /** The TCP socket under `ws`, corked while a batch of frames is written. */
  readonly socket: Duplex
  /** Frames waiting for the next flush; owned by the outbox. */
  pending: Buffer[]
  pendingBytes: number
  /** Called when the receiver has more than maxBufferedBytes waiting. */
  onOverflow: () => void
}

/**
 * Coalesces frames per receiver within one event-loop turn: every publish read in the same
 * poll phase is written to a receiver with one corked write (one syscall) instead of one
 * per frame. A payload is one shared Buffer, serialized once per message, whatever the
 * number of receivers.
 */
export class Outbox {
  private dirty: Receiver[] = []
  private scheduled: NodeJS.Immediate | undefined

  constructor (private readonly maxBufferedBytes: number) {}

  enqueue (r: Receiver, frame: Buffer): void {
    if (r.ws.readyState !== 1) return
    if (r.pendingBytes + r.ws.bufferedAmount + frame.length > this.maxBufferedBytes) {
      r.onOverflow()
      return
    }
    if (r.pending.length === 0) this.dirty.push(r)
    r.pending.push(frame)
    r.pendingBytes += frame.length
    this.scheduled ??= setImmediate(this.flush)
  }

  /** Writes everything pending now. */
  readonly flush = (): void => {
    this.scheduled = undefined
    const dirty = this.dirty
    this.dirty = []
    for (const r of dirty) {
      const frames = r.pending
      r.pending = []
      r.pendingBytes = 0
      if (r.ws.readyState !== 1) continue
      if (frames.length === 1) {
        r.ws.send(frames[0] as Buffer, { binary: false })
        continue
      }
      r.socket.cork()
      for (const f of frames) r.ws.send(f, { binary: false })
      r.socket.uncork()
    }
  }

  /** Drops what is pending (used by stop()). */
  dispose (): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled)
    this.scheduled = undefined
    for (const r of this.dirty) {
      r.pending = []
      r.pendingBytes = 0
    }
    this.dirty = []
  }
}
