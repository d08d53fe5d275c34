/**
 * An open link after the handshake: who is on the other side (authenticated for 'ymesh'
 * connections), framing with chunking, a send queue against link backpressure, inbound
 * reassembly and dispatch, and the quality measurements (RTT, loss, throughput) that the
 * health check and the pool use.
 */
import { ObservableV2 } from 'lib0/observable'
import {
  Chunker, decodeClose, decodeFrame, decodePong, encodeClose, encodeFrame, encodePing, LEGACY_MAX_FRAME_SIZE, MAX_SEQUENCE,
  Reassembler, Tag, tagInfo, decodePing
} from '@ymesh/protocol'
import type { Clock, CloseKind, Frame, Link, LinkCloseEvent, PeerId, Timer } from '@ymesh/protocol'
import { InvalidOptionsError } from '../errors.js'
import type { CoreMetrics } from '../metrics/core-metrics.js'
import type { Logger } from '../logger.js'
import type { FrameDispatcher } from './dispatcher.js'

/**
 * 'ymesh': both sides completed the authenticated handshake; `remotePeer` is proven.
 * 'y-webrtc': a stock y-webrtc peer for exactly one room (`room`); `remotePeer` is what
 * signaling said, unproven, and only y-webrtc's frames (tags 0–4) make sense on it.
 */
export type ConnectionKind = 'ymesh' | 'y-webrtc'

export interface ConnectionTuning {
  /** How often a ping goes out (and the health check runs); below deadPeerTimeoutMs. Default 2 000 ms. */
  readonly pingIntervalMs?: number
  /** Nothing received for this long closes the connection with reason 'timeout'. Default 10 000 ms. */
  readonly deadPeerTimeoutMs?: number
  /** A ping unanswered for this long counts as lost in the loss estimate. Default 3 000 ms. */
  readonly pingLossAfterMs?: number
  /** A chunked message with no new chunk for this long is dropped. Default 30 000 ms. */
  readonly reassemblyStallMs?: number
  /** Stop handing frames to the link while its bufferedAmount is at or above this. Default 1 MiB. */
  readonly highWaterMark?: number
  /** Resume when bufferedAmount falls to this. Default 256 KiB. */
  readonly lowWaterMark?: number
  /** Most bytes queued in this connection (above the link's own buffer); sends beyond fail. Default 32 MiB. */
  readonly maxQueuedBytes?: number
}

export interface ConnectionOptions extends ConnectionTuning {
  readonly link: Link
  readonly kind: ConnectionKind
  /** Negotiated protocol version; 0 for 'y-webrtc'. */
  readonly version: number
  /** The room this connection was made for (a 'y-webrtc' connection serves only this one). */
  readonly room: string | null
  readonly clock: Clock
  readonly dispatcher: FrameDispatcher
  readonly metrics: CoreMetrics
  readonly logger: Logger
  /** Messages the link delivered before this connection took it over (during the handshake). */
  readonly initialMessages?: readonly Uint8Array[]
}

export interface ConnectionCloseEvent {
  readonly connection: Connection
  /** 'local', 'timeout' (dead peer), 'pruned', 'left' (the remote stopped, and said so), ... or the link's close reason ('remote', 'ice-failed', ...). */
  readonly reason: string
  readonly error?: Error
}

export interface ConnectionQuality {
  /** Smoothed round-trip time (EWMA, α = 1/8), null before the first pong. */
  readonly rttMs: number | null
  /** Smoothed fraction of pings that went unanswered (EWMA, α = 1/8). */
  readonly loss: number
  readonly bytesIn: number
  readonly bytesOut: number
  /** Bytes per second over the last ping interval. */
  readonly bytesInPerSecond: number
  readonly bytesOutPerSecond: number
  /** Bytes waiting in this connection's queue (not yet handed to the link). */
  readonly queuedBytes: number
  readonly openedAt: number
  readonly lastReceivedAt: number
}

export interface ConnectionEvents {
  close: (event: ConnectionCloseEvent) => void
  rtt: (event: { readonly connection: Connection, readonly rttMs: number }) => void
}

const DEFAULTS = {
  pingIntervalMs: 2_000,
  deadPeerTimeoutMs: 10_000,
  pingLossAfterMs: 3_000,
  reassemblyStallMs: 30_000,
  highWaterMark: 1024 * 1024,
  lowWaterMark: 256 * 1024,
  maxQueuedBytes: 32 * 1024 * 1024
} as const

const EWMA = 1 / 8
/** How long a connection that said 'bye' waits for the answer before closing its link anyway. */
const CLOSE_GRACE_MIN_MS = 1_000
const CLOSE_GRACE_MAX_MS = 5_000

/** Whether a link message is a well-formed 'close' frame (either kind). */
const closeFrame = (data: Uint8Array): boolean => {
  try {
    const frame = decodeFrame(data)
    return frame.tag === Tag.Close && decodeClose(frame.payload) !== undefined
  } catch {
    return false
  }
}

/** Label for per-tag metrics: known tag names, everything else one bucket (bounded cardinality). */
const tagLabel = (tag: number): string => tagInfo(tag)?.name ?? 'unknown'

export class Connection extends ObservableV2<ConnectionEvents> {
  readonly link: Link
  readonly remotePeer: PeerId
  readonly kind: ConnectionKind
  readonly version: number
  readonly room: string | null
  private readonly options: ConnectionOptions
  private readonly tuning: Required<ConnectionTuning>
  private readonly chunker = new Chunker()
  private readonly reassembler = new Reassembler()
  private readonly queue: Uint8Array[] = []
  private queueHead = 0
  private queued = 0
  private closed = false
  private readonly tick: Timer
  private stallTimer: Timer | null = null
  private pingSequence = 0
  private readonly pingsOut = new Map<number, number>()
  private rtt: number | null = null
  private lossEstimate = 0
  private bytesInTotal = 0
  private bytesOutTotal = 0
  private lastTickBytesIn = 0
  private lastTickBytesOut = 0
  private lastTickAt: number
  private inRate = 0
  private outRate = 0
  private readonly openedAt: number
  private lastReceived: number
  private readonly onMessage = (data: Uint8Array): void => { this.receive(data) }
  private readonly onLow = (): void => { this.flush() }
  private readonly onLinkClose = (event: LinkCloseEvent): void => { this.finish(event.reason, event.error, false) }

  constructor (options: ConnectionOptions) {
    super()
    this.options = options
    this.link = options.link
    this.remotePeer = options.link.remotePeer
    this.kind = options.kind
    this.version = options.version
    this.room = options.room
    this.tuning = {
      pingIntervalMs: options.pingIntervalMs ?? DEFAULTS.pingIntervalMs,
      deadPeerTimeoutMs: options.deadPeerTimeoutMs ?? DEFAULTS.deadPeerTimeoutMs,
      pingLossAfterMs: options.pingLossAfterMs ?? DEFAULTS.pingLossAfterMs,
      reassemblyStallMs: options.reassemblyStallMs ?? DEFAULTS.reassemblyStallMs,
      highWaterMark: options.highWaterMark ?? DEFAULTS.highWaterMark,
      lowWaterMark: options.lowWaterMark ?? DEFAULTS.lowWaterMark,
      maxQueuedBytes: options.maxQueuedBytes ?? DEFAULTS.maxQueuedBytes
    }
    if (!(this.tuning.pingIntervalMs > 0 && this.tuning.pingIntervalMs < this.tuning.deadPeerTimeoutMs)) {
      throw new InvalidOptionsError(`pingIntervalMs (${this.tuning.pingIntervalMs}) must be positive and below deadPeerTimeoutMs (${this.tuning.deadPeerTimeoutMs})`)
    }
    const now = options.clock.now()
    this.openedAt = now
    this.lastReceived = now
    this.lastTickAt = now
    this.link.bufferedAmountLowThreshold = this.tuning.lowWaterMark
    this.link.on('message', this.onMessage)
    this.link.on('buffered-amount-low', this.onLow)
    this.link.on('close', this.onLinkClose)
    this.tick = options.clock.setInterval(() => { this.onTick() }, this.tuning.pingIntervalMs)
    for (const message of options.initialMessages ?? []) {
      if (this.closed) break
      this.receive(message)
    }
    if (this.link.state === 'closed') this.finish('link-closed', undefined, false)
  }

  get state (): 'open' | 'closed' {
    return this.closed ? 'closed' : 'open'
  }

  get quality (): ConnectionQuality {
    return {
      rttMs: this.rtt,
      loss: this.lossEstimate,
      bytesIn: this.bytesInTotal,
      bytesOut: this.bytesOutTotal,
      bytesInPerSecond: this.inRate,
      bytesOutPerSecond: this.outRate,
      queuedBytes: this.queued,
      openedAt: this.openedAt,
      lastReceivedAt: this.lastReceived
    }
  }

  /**
   * Send one message. On a 'ymesh' connection anything up to MAX_MESSAGE_SIZE is chunked
   * into frames; on a 'y-webrtc' connection the frame goes whole (stock peers do not
   * reassemble). Returns false, and counts a drop, when the connection is closed or its
   * queue is full; never throws for those. Throws MessageTooLargeError (a caller bug) for a
   * message over the limit.
   */
  send (tag: number, payload: Uint8Array): boolean {
    if (this.closed) {
      this.options.metrics.drops.inc({ reason: 'connection-closed' })
      return false
    }
    const frames = this.kind === 'ymesh'
      ? this.chunker.encode(tag, payload)
      : [encodeFrame(tag, payload, { maxSize: Math.min(LEGACY_MAX_FRAME_SIZE, this.link.maxMessageSize) })]
    let size = 0
    for (const frame of frames) size += frame.length
    if (this.queued + size > this.tuning.maxQueuedBytes) {
      this.options.metrics.drops.inc({ reason: 'send-queue-full' })
      return false
    }
    for (const frame of frames) this.queue.push(frame)
    this.queued += size
    const label = { tag: tagLabel(tag) }
    this.options.metrics.framesOut.inc(label)
    this.options.metrics.bytesOut.inc(label, size)
    this.bytesOutTotal += size
    this.flush()
    return true
  }

  /**
   * Close the connection and its link. Idempotent. The connection is closed at once (it emits
   * 'close' and sends nothing more); a 'ymesh' connection whose link is open closes the link in
   * order: it says 'bye', and closes the link when the remote answers (it has stopped sending),
   * or the link closes, or after a grace (see the 'close' tag in PROTOCOL.md). No data channel
   * then closes under a send on either side.
   */
  close (reason = 'local'): void {
    if (this.closed) return
    const inOrder = this.kind === 'ymesh' && this.link.state === 'open'
    this.finish(reason, undefined, !inOrder)
    // 'stopped': the peer is stopping, and says so (its neighbours drop it from their views at once).
    if (inOrder) this.sayBye(reason === 'stopped')
  }

  private sayBye (leaving: boolean): void {
    const link = this.link
    const clock = this.options.clock
    const bye = encodeFrame(Tag.Close, encodeClose({ kind: 'bye', ...(leaving ? { leaving } : {}) }))
    const done = (): void => {
      clock.clearTimeout(grace)
      link.off('message', answered)
      link.off('close', done)
      link.off('buffered-amount-low', send)
      link.close()
    }
    // Its bye-ack, or its own bye (it closes too): either way the remote sends nothing more.
    const answered = (data: Uint8Array): void => { if (closeFrame(data)) done() }
    const send = (): void => {
      try {
        link.send(bye)
        link.off('buffered-amount-low', send)
      } catch (error) {
        // A full link (under load, when it matters most): the bye goes when it drains, within the grace.
        if ((error as Error).name !== 'SendQueueFullError') done()
      }
    }
    link.on('message', answered)
    link.on('close', done)
    link.on('buffered-amount-low', send)
    const grace = clock.setTimeout(done, Math.min(CLOSE_GRACE_MAX_MS, Math.max(CLOSE_GRACE_MIN_MS, 4 * (this.rtt ?? 0))))
    send()
  }

  /** The remote closes in order: answer, as our last frame, and close our end. */
  private receiveClose (payload: Uint8Array): void {
    let kind: CloseKind
    let leaving: boolean
    try {
      const close = decodeClose(payload)
      kind = close.kind
      leaving = close.leaving === true
    } catch {
      this.options.metrics.drops.inc({ reason: 'malformed-frame' })
      return
    }
    // A bye-ack on an open connection answers nothing we sent: a confused peer, but it too has
    // stopped sending, so we close all the same.
    if (kind === 'bye') {
      try {
        this.link.send(encodeFrame(Tag.Close, encodeClose({ kind: 'bye-ack' })))
      } catch {
        // The link could not take the answer: the remote closes after its grace.
      }
    }
    // 'left': the remote stopped (it said so in its bye), not only closed this connection.
    this.finish(leaving ? 'left' : 'remote', undefined, true)
  }

  private flush (): void {
    const link = this.link
    while (this.queueHead < this.queue.length && !this.closed && link.state === 'open' &&
      link.bufferedAmount < this.tuning.highWaterMark) {
      const frame = this.queue[this.queueHead] as Uint8Array
      try {
        link.send(frame)
      } catch (error) {
        // SendQueueFullError: the link's own buffer is full; wait for 'buffered-amount-low'.
        // LinkClosedError: the link's 'close' event follows and ends this connection.
        if ((error as Error).name !== 'SendQueueFullError') this.finish('send-failed', error as Error, true)
        return
      }
      this.queueHead++
      this.queued -= frame.length
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead)
      this.queueHead = 0
    }
  }

  /** Control frames (pings, pongs) skip the queue when the link has room, else go to its front. */
  private sendControl (tag: number, payload: Uint8Array): void {
    if (this.closed) return
    const frame = encodeFrame(tag, payload)
    if (this.queueHead === this.queue.length && this.link.bufferedAmount < this.tuning.highWaterMark) {
      try { this.link.send(frame) } catch { /* the link's close event ends the connection */ }
      return
    }
    if (this.queueHead > 0) this.queue[--this.queueHead] = frame
    else this.queue.unshift(frame)
    this.queued += frame.length
  }

  private receive (data: Uint8Array): void {
    if (this.closed) return
    const metrics = this.options.metrics
    this.lastReceived = this.options.clock.now()
    this.bytesInTotal += data.length
    let frame: Frame
    try {
      frame = decodeFrame(data, { maxSize: this.kind === 'ymesh' ? undefined : LEGACY_MAX_FRAME_SIZE })
    } catch {
      metrics.drops.inc({ reason: 'malformed-frame' })
      return
    }
    if (this.kind === 'y-webrtc') {
      this.deliver(frame)
      return
    }
    switch (frame.tag) {
      case Tag.Chunk: this.receiveChunk(frame.payload); return
      case Tag.Ping: this.receivePing(frame.payload); return
      case Tag.Pong: this.receivePong(frame.payload); return
      case Tag.Close: this.receiveClose(frame.payload); return
      case Tag.Hello:
      case Tag.HelloProof:
        metrics.drops.inc({ reason: 'late-handshake' })
        return
      default: this.deliver(frame)
    }
  }

  private deliver (frame: Frame): void {
    const label = { tag: tagLabel(frame.tag) }
    this.options.metrics.framesIn.inc(label)
    this.options.metrics.bytesIn.inc(label, frame.payload.length)
    this.options.dispatcher.dispatch(frame, this)
  }

  private receiveChunk (payload: Uint8Array): void {
    let frame: Frame | null
    try {
      frame = this.reassembler.receive(payload)
    } catch (error) {
      this.options.metrics.drops.inc({ reason: 'bad-chunk' })
      this.options.logger.debug('dropped a chunked message', { remotePeer: this.remotePeer, error })
      frame = null
    }
    this.armStallTimer()
    if (frame === null) return
    if (frame.tag === Tag.Ping || frame.tag === Tag.Pong || frame.tag === Tag.Close || frame.tag === Tag.Hello || frame.tag === Tag.HelloProof) {
      this.options.metrics.drops.inc({ reason: 'chunked-control-frame' })
      return
    }
    this.deliver(frame)
  }

  private armStallTimer (): void {
    if (this.stallTimer !== null) this.options.clock.clearTimeout(this.stallTimer)
    this.stallTimer = null
    if (this.reassembler.partialMessages === 0) return
    this.stallTimer = this.options.clock.setTimeout(() => {
      this.stallTimer = null
      this.options.metrics.drops.inc({ reason: 'reassembly-stalled' }, this.reassembler.partialMessages)
      this.reassembler.clear()
    }, this.tuning.reassemblyStallMs)
  }

  private receivePing (payload: Uint8Array): void {
    try {
      this.sendControl(Tag.Pong, encodePing(decodePing(payload)))
    } catch {
      this.options.metrics.drops.inc({ reason: 'malformed-frame' })
    }
  }

  private receivePong (payload: Uint8Array): void {
    let sequence: number
    try {
      sequence = decodePong(payload).sequence
    } catch {
      this.options.metrics.drops.inc({ reason: 'malformed-frame' })
      return
    }
    const sentAt = this.pingsOut.get(sequence)
    if (sentAt === undefined) return // late (already counted lost) or unsolicited
    this.pingsOut.delete(sequence)
    const sample = this.options.clock.now() - sentAt
    this.rtt = this.rtt === null ? sample : this.rtt + EWMA * (sample - this.rtt)
    this.lossEstimate -= EWMA * this.lossEstimate
    this.options.metrics.rtt.observe(sample)
    this.emitSafe('rtt', { connection: this, rttMs: sample })
  }

  private onTick (): void {
    const clock = this.options.clock
    const now = clock.now()
    // Checked once per tick, so declare death one tick early: detection never takes longer
    // than deadPeerTimeoutMs after the last sign of life.
    if (now - this.lastReceived > this.tuning.deadPeerTimeoutMs - this.tuning.pingIntervalMs) {
      this.finish('timeout', undefined, true)
      return
    }
    const elapsed = (now - this.lastTickAt) / 1000
    if (elapsed > 0) {
      this.inRate = (this.bytesInTotal - this.lastTickBytesIn) / elapsed
      this.outRate = (this.bytesOutTotal - this.lastTickBytesOut) / elapsed
    }
    this.lastTickAt = now
    this.lastTickBytesIn = this.bytesInTotal
    this.lastTickBytesOut = this.bytesOutTotal
    for (const [sequence, sentAt] of this.pingsOut) {
      if (now - sentAt < this.tuning.pingLossAfterMs) continue
      this.pingsOut.delete(sequence)
      this.lossEstimate += EWMA * (1 - this.lossEstimate)
    }
    // Stock y-webrtc peers log every unknown frame: they get no pings, and their liveness
    // comes from the link (ICE) alone.
    if (this.kind !== 'ymesh') return
    const sequence = this.pingSequence
    this.pingSequence = sequence === MAX_SEQUENCE ? 0 : sequence + 1
    this.pingsOut.set(sequence, now)
    this.sendControl(Tag.Ping, encodePing({ sequence }))
  }

  private finish (reason: string, error: Error | undefined, closeLink: boolean): void {
    if (this.closed) return
    this.closed = true
    const clock = this.options.clock
    clock.clearInterval(this.tick)
    if (this.stallTimer !== null) clock.clearTimeout(this.stallTimer)
    this.stallTimer = null
    this.reassembler.clear()
    const unsent = this.queue.length - this.queueHead
    if (unsent > 0) this.options.metrics.drops.inc({ reason: 'unsent-at-close' }, unsent)
    this.queue.length = 0
    this.queueHead = 0
    this.queued = 0
    this.pingsOut.clear()
    this.link.off('message', this.onMessage)
    this.link.off('buffered-amount-low', this.onLow)
    this.link.off('close', this.onLinkClose)
    if (closeLink) this.link.close()
    this.options.metrics.connectionsClosed.inc({ reason })
    this.emitSafe('close', error === undefined ? { connection: this, reason } : { connection: this, reason, error })
  }

  private emitSafe<N extends keyof ConnectionEvents> (name: N, event: Parameters<ConnectionEvents[N]>[0]): void {
    try {
      this.emit(name, [event] as unknown as Parameters<ConnectionEvents[N]>)
    } catch (error) {
      this.options.logger.warn(`a '${name}' listener threw`, { remotePeer: this.remotePeer, error })
    }
  }
}
