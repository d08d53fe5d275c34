import { ObservableV2 } from 'lib0/observable'
import { LinkClosedError, MessageTooLargeError } from '@ymesh/protocol'
import type { IceCandidate, Link, LinkCloseEvent, LinkEvents, LinkState, PeerId, SignalData } from '@ymesh/protocol'
import { InvalidSignalError, MessageMutatedError } from './errors.js'
import type { SimEvent } from './event-queue.js'
import type { LinkParams, LossState } from './link-params.js'
import { parseSdp, writeSdp } from './sdp.js'
import type { SimNode } from './sim-node.js'
import type { SimRng } from './sim-rng.js'
import type { Simulator } from './simulator.js'

/** One direction of the path between two nodes: its parameters, randomness and loss state. */
export interface PathState {
  readonly params: LinkParams
  readonly rng: SimRng
  readonly loss: LossState
}

/** What a link needs from the network it lives on. */
export interface LinkHost {
  readonly sim: Simulator
  readonly deadPathTimeoutMs: number
  /** Copy each sent message (WebRTC's buffer ownership) instead of passing the sender's bytes on. */
  readonly copyMessages: boolean
  registerToken(token: string, link: SimLink): void
  unregisterToken(token: string): void
  /** The initiator has both descriptions: find the endpoint named by the answer and connect. */
  connect(initiator: SimLink): void
  /** Whether traffic from `from` to its peer is currently lost (partition or dead node). */
  blocked(from: SimLink): boolean
  /** A link closed: the network forgets the connection once both ends are closed. */
  released(link: SimLink): void
  /** Loss so heavy that retransmission would outlast the dead-path timeout. */
  lossTimeout(link: SimLink): void
}

/** The pair of connected links, as the network tracks it for dead-path detection. */
export interface Connection {
  readonly a: SimLink
  readonly b: SimLink
  /** Virtual time since which the path has been dead, or null while it is alive. */
  deadSince: number | null
  deadCheck: SimEvent | null
}

/** Marks the end of a link's outgoing queue: the far side closes when it gets there. */
const CLOSE = null

/**
 * A cheap fingerprint of a message's bytes (its length and eight bytes spread over it),
 * taken at send and checked at delivery when messages are passed on without a copy: it
 * catches a sender that reuses its buffer, or a receiver that writes into one it was
 * given, when the change reaches a message still in flight.
 */
function sample (data: Uint8Array): number {
  const n = data.byteLength
  let h = n
  if (n === 0) return h
  const last = n - 1
  for (let k = 0; k < 8; k++) h = Math.imul(h ^ (data[(last * k / 7) | 0] as number), 0x01000193)
  return h
}

/**
 * A simulated data channel. Outgoing messages sit in a FIFO with their arrival times;
 * only the head has an event in the simulator's heap, so reliable delivery is ordered by
 * construction and a stalled path (partition) holds everything behind the head.
 */
export class SimLink extends ObservableV2<LinkEvents> implements Link {
  readonly transportName = 'sim'
  state: LinkState = 'connecting'
  maxMessageSize: number
  bufferedAmountLowThreshold = 0
  localFingerprint: string | null = null
  remoteFingerprint: string | null = null
  readonly token: string
  remoteToken: string | null = null
  /** The far end once connected; paths are between the nodes that actually connected. */
  peer: SimLink | null = null
  path: PathState | null = null
  /** Set by the network once the two ends are connected. */
  connection: Connection | null = null
  private offerSent = false
  private busyUntil = 0
  private lastArrival = 0
  // Outgoing queue: a ring buffer, so a link that drains and refills does not reallocate.
  private qData: (Uint8Array | null)[] = new Array<Uint8Array | null>(8).fill(null)
  private qTime = new Float64Array(8)
  private qHead = 0
  private qLength = 0
  private headEvent: SimEvent | null = null
  /** The head event once it has fired: the next head reuses it. */
  private spareHead: SimEvent | null = null
  private qSample = new Int32Array(8)
  // Listener caches for the hot path, kept in step by on()/off()/destroy().
  private messageListener: LinkEvents['message'] | null = null
  private messageListened = false
  private lowListened = false
  /** The head could not be delivered because the path is down; resume() restarts it. */
  stalled = false
  openEvent: SimEvent | null = null
  private lowEvent: SimEvent | null = null
  private readonly sim: Simulator

  constructor (
    readonly id: string,
    readonly node: SimNode,
    readonly remotePeer: PeerId,
    readonly initiator: boolean,
    readonly host: LinkHost,
    private readonly onSignal: (signal: SignalData) => void,
    maxMessageSize: number
  ) {
    super()
    this.sim = host.sim
    this.maxMessageSize = maxMessageSize
    this.token = hex(node.netRng.bytes(12))
    host.registerToken(this.token, this)
    node.links.add(this)
    if (initiator) {
      this.offerSent = true
      this.localFingerprint = node.fingerprint
      this.emitSignal({ type: 'offer', sdp: this.describe('offer') })
      this.emitSignal({ type: 'candidate', candidate: this.candidate() })
    }
    if (this.sim.tracing) this.sim.record('link-create', node.id, { link: id, remote: remotePeer, initiator })
  }

  get bufferedAmount (): number {
    const rest = this.busyUntil - this.sim.now
    if (rest <= 0 || this.path === null) return 0
    return Math.round(rest * this.path.params.bandwidth / 1000)
  }

  signal (data: SignalData): void {
    if (this.state === 'closed') return
    if (this.sim.tracing) this.sim.record('signal-in', this.node.id, { link: this.id, type: typeof data === 'object' && data !== null ? String((data as { type?: unknown }).type) : typeof data })
    if (typeof data !== 'object' || data === null) { this.fail('the signal is not an object'); return }
    switch ((data as { type?: unknown }).type) {
      case 'offer': {
        if (this.initiator || this.remoteToken !== null) { this.fail(this.initiator ? 'an offer reached the initiator' : 'a second offer arrived'); return }
        if (!this.applyRemote((data as { sdp?: unknown }).sdp)) return
        this.localFingerprint = this.node.fingerprint
        this.emitSignal({ type: 'answer', sdp: this.describe('answer') })
        this.emitSignal({ type: 'candidate', candidate: this.candidate() })
        return
      }
      case 'answer': {
        if (!this.initiator || this.remoteToken !== null || !this.offerSent) { this.fail(this.initiator ? 'a second answer arrived' : 'an answer reached the responder'); return }
        if (!this.applyRemote((data as { sdp?: unknown }).sdp)) return
        this.host.connect(this)
        return
      }
      case 'candidate': {
        const candidate = (data as { candidate?: unknown }).candidate
        if (typeof candidate !== 'object' || candidate === null || typeof (candidate as { candidate?: unknown }).candidate !== 'string') {
          this.fail('a candidate signal without a candidate string')
        }
        // The endpoint travels in the description; candidates are accepted and not needed.
        return
      }
      default:
        this.fail(`unknown signal type ${JSON.stringify((data as { type?: unknown }).type)}`)
    }
  }

  send (data: Uint8Array): void {
    if (this.state !== 'open') throw new LinkClosedError(this.id, this.state)
    const size = data.byteLength
    if (size > this.maxMessageSize) {
      throw new MessageTooLargeError('message', size, this.maxMessageSize, 'split it with a Chunker (@ymesh/protocol) before sending')
    }
    const path = this.path as PathState
    const params = path.params
    const sim = this.sim
    const now = sim.now
    // See SimNetwork's copyMessages: by default the receiver gets the sender's bytes.
    const copy = this.host.copyMessages ? new Uint8Array(data) : data
    const txEnd = (this.busyUntil > now ? this.busyUntil : now) + (params.bandwidth === Infinity ? 0 : size * 1000 / params.bandwidth)
    this.busyUntil = txEnd
    if (sim.tracing) sim.record('send', this.node.id, { link: this.id, size })
    const rng = path.rng
    let delay = params.latencyMs + (params.jitterMs > 0 ? rng.float() * params.jitterMs : 0)
    if (params.mode === 'reliable') {
      let rto = params.rtoMs
      while (path.loss.lost(params, rng)) {
        delay += rto
        if (sim.tracing) sim.record('retransmit', this.node.id, { link: this.id, rto })
        rto = rto * 2 > params.maxRtoMs ? params.maxRtoMs : rto * 2
        if (delay > this.host.deadPathTimeoutMs) { this.host.lossTimeout(this); break }
      }
      this.enqueue(copy, txEnd + delay, copy === data ? sample(data) : 0)
    } else {
      this.sendUnreliable(copy, txEnd, delay, params, rng)
    }
    // Without a listener nobody can observe the event: skip it (on() catches up when one is added).
    if (this.lowListened && this.lowEvent === null && this.bufferedAmount > this.bufferedAmountLowThreshold) this.scheduleLow()
  }

  override on<N extends keyof LinkEvents & string>(name: N, listener: LinkEvents[N]): LinkEvents[N] {
    super.on(name, listener)
    this.listenersChanged()
    if (name === 'buffered-amount-low' && this.lowEvent === null && this.state === 'open' && this.bufferedAmount > this.bufferedAmountLowThreshold) this.scheduleLow()
    return listener
  }

  override off<N extends keyof LinkEvents & string>(name: N, listener: LinkEvents[N]): void {
    super.off(name, listener)
    this.listenersChanged()
  }

  override destroy (): void {
    super.destroy()
    this.listenersChanged()
  }

  private listenersChanged (): void {
    const message = this._observers.get('message')
    this.messageListened = message !== undefined
    this.messageListener = null
    if (message !== undefined && message.size === 1) for (const listener of message) this.messageListener = listener as LinkEvents['message']
    this.lowListened = this._observers.has('buffered-amount-low')
  }

  close (): void {
    if (this.state === 'closed') return
    // Data queued before close() still goes out first, as on a data channel.
    if (this.peer !== null && this.peer.state !== 'closed') this.enqueue(CLOSE, this.sim.now + (this.path as PathState).params.latencyMs, 0)
    this.finish({ reason: 'local' }, this.peer === null || this.peer.state === 'closed')
  }

  /** @internal The far side closed or the path died: close with an event. */
  closeWith (event: LinkCloseEvent): void {
    if (this.state === 'closed') return
    this.finish(event, true)
  }

  /** @internal The node crashed: the link stops without any event (nobody is left to hear it). */
  silence (): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.dropQueue()
    this.cleanup()
  }

  /** @internal */
  openNow (): void {
    if (this.openEvent !== null) { this.sim.cancel(this.openEvent); this.openEvent = null }
    if (this.state !== 'connecting') return
    this.state = 'open'
    if (this.sim.tracing) this.sim.record('open', this.node.id, { link: this.id, fingerprint: this.remoteFingerprint })
    this.emit('open', [])
  }

  /** @internal The path came back: retransmit the stalled head after one more trip. */
  resume (): void {
    if (!this.stalled) return
    this.stalled = false
    if (this.qLength > 0) {
      const params = (this.path as PathState).params
      const retry = this.sim.now + params.latencyMs
      if ((this.qTime[this.qHead] as number) < retry) this.qTime[this.qHead] = retry
      this.scheduleHead()
    }
  }

  /**
   * @internal Fires the head of the outgoing queue at the far side, and the messages after
   * it for as long as the simulator says each would be the very next event anyway.
   */
  deliverHead (): void {
    this.spareHead = this.headEvent
    this.headEvent = null
    const target = this.peer as SimLink
    const sim = this.sim
    for (;;) {
      if (this.host.blocked(this)) {
        this.stalled = true
        if (sim.tracing) sim.record('stall', this.node.id, { link: this.id })
        return
      }
      const head = this.qHead
      const data = this.qData[head] as Uint8Array | null
      this.qData[head] = null
      this.qHead = (head + 1) & (this.qData.length - 1)
      this.qLength--
      if (data === CLOSE) {
        this.dropQueue()
        target.closeWith({ reason: 'remote' })
        return
      }
      if (!this.host.copyMessages && sample(data) !== this.qSample[head]) throw new MessageMutatedError(this.id)
      target.receive(data)
      if (target.state === 'closed') { this.dropQueue(); return }
      // A send from inside the handler may already have scheduled the new head.
      if (this.qLength === 0 || this.headEvent !== null || this.stalled) return
      if (!sim.runInline(this.qTime[this.qHead] as number)) { this.scheduleHead(); return }
    }
  }

  /** @internal */
  pathDown (): boolean {
    return this.host.blocked(this)
  }

  /** @internal */
  receive (data: Uint8Array): void {
    if (this.state === 'connecting') this.openNow()
    if (this.state !== 'open') return
    if (this.sim.tracing) this.sim.record('deliver', this.node.id, { link: this.id, size: data.byteLength })
    // The hot path: lib0's emit copies the listener set per call; with one listener, call it.
    const listener = this.messageListener
    if (listener !== null) listener(data)
    else if (this.messageListened) this.emit('message', [data])
  }

  private enqueue (data: Uint8Array | null, arrival: number, check: number): void {
    if (arrival < this.lastArrival) arrival = this.lastArrival
    this.lastArrival = arrival
    let capacity = this.qData.length
    if (this.qLength === capacity) {
      // Grow, unrolling the ring so the head is at 0.
      const data2 = new Array<Uint8Array | null>(capacity * 2).fill(null)
      const time2 = new Float64Array(capacity * 2)
      const sample2 = new Int32Array(capacity * 2)
      for (let i = 0; i < capacity; i++) {
        const j = (this.qHead + i) & (capacity - 1)
        data2[i] = this.qData[j] as Uint8Array | null
        time2[i] = this.qTime[j] as number
        sample2[i] = this.qSample[j] as number
      }
      this.qData = data2
      this.qTime = time2
      this.qSample = sample2
      this.qHead = 0
      capacity *= 2
    }
    const tail = (this.qHead + this.qLength) & (capacity - 1)
    this.qData[tail] = data
    this.qTime[tail] = arrival
    this.qSample[tail] = check
    this.qLength++
    if (this.headEvent === null && !this.stalled) this.scheduleHead()
  }

  private scheduleHead (): void {
    const time = this.qTime[this.qHead] as number
    const spare = this.spareHead
    if (spare === null) {
      this.headEvent = this.sim.schedule(time, deliverHead, this, null)
    } else {
      this.spareHead = null
      this.headEvent = this.sim.requeue(spare, time)
    }
  }

  private sendUnreliable (copy: Uint8Array, txEnd: number, delay: number, params: LinkParams, rng: SimRng): void {
    const sim = this.sim
    if (this.host.blocked(this) || (this.path as PathState).loss.lost(params, rng)) {
      if (sim.tracing) sim.record('drop', this.node.id, { link: this.id })
      return
    }
    if (params.reorder > 0 && rng.float() < params.reorder) delay += rng.float() * params.reorderDelayMs
    const copying = this.host.copyMessages
    const check = copying ? 0 : sample(copy)
    sim.schedule(txEnd + delay, deliverDatagram, this, copy).check = check
    if (params.duplicate > 0 && rng.float() < params.duplicate) {
      if (sim.tracing) sim.record('duplicate', this.node.id, { link: this.id })
      const again = params.latencyMs + (params.jitterMs > 0 ? rng.float() * params.jitterMs : 0) + rng.float() * params.reorderDelayMs
      sim.schedule(txEnd + again, deliverDatagram, this, copying ? new Uint8Array(copy) : copy).check = check
    }
  }

  private scheduleLow (): void {
    const params = (this.path as PathState).params
    const at = this.busyUntil - this.bufferedAmountLowThreshold * 1000 / params.bandwidth
    this.lowEvent = this.sim.schedule(at, fireLow, this, null)
  }

  /** @internal */
  checkLow (): void {
    this.lowEvent = null
    if (this.state !== 'open') return
    if (this.bufferedAmount <= this.bufferedAmountLowThreshold) this.emit('buffered-amount-low', [])
    else this.scheduleLow()
  }

  private applyRemote (sdp: unknown): boolean {
    const parsed = parseSdp(sdp)
    if (typeof parsed === 'string') { this.fail(parsed); return false }
    this.remoteToken = parsed.token
    this.remoteFingerprint = parsed.fingerprint
    if (parsed.maxMessageSize < this.maxMessageSize) this.maxMessageSize = parsed.maxMessageSize
    return true
  }

  private fail (detail: string): void {
    this.closeWith({ reason: 'bad-signal', error: new InvalidSignalError(detail) })
  }

  private finish (event: LinkCloseEvent, dropOutgoing: boolean): void {
    this.state = 'closed'
    if (dropOutgoing) this.dropQueue()
    this.cleanup()
    if (this.sim.tracing) this.sim.record('close', this.node.id, { link: this.id, reason: event.reason })
    this.emit('close', [event])
  }

  private cleanup (): void {
    if (this.lowEvent !== null) { this.sim.cancel(this.lowEvent); this.lowEvent = null }
    if (this.openEvent !== null) { this.sim.cancel(this.openEvent); this.openEvent = null }
    this.host.unregisterToken(this.token)
    this.node.links.delete(this)
    this.host.released(this)
  }

  /** @internal Everything in flight from this side is lost. */
  dropQueue (): void {
    if (this.headEvent !== null) { this.sim.cancel(this.headEvent); this.headEvent = null }
    if (this.qLength > 0) this.qData.fill(null)
    this.qHead = 0
    this.qLength = 0
    this.stalled = false
  }

  private describe (kind: 'offer' | 'answer'): string {
    const rng = this.node.netRng
    return writeSdp(kind, { token: this.token, fingerprint: this.node.fingerprint, maxMessageSize: this.maxMessageSize },
      String(rng.int(0x7fffffff)) + String(rng.int(1_000_000)), hex(rng.bytes(12)))
  }

  private candidate (): IceCandidate {
    const i = this.node.index
    return {
      candidate: `candidate:1 1 udp 2122260223 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} ${50000 + (this.node.netRng.int(10000))} typ host generation 0 ufrag ${this.token}`,
      sdpMid: '0',
      sdpMLineIndex: 0
    }
  }

  private emitSignal (signal: SignalData): void {
    // Never synchronously: the caller has not even got the link object yet.
    this.sim.schedule(this.sim.now, fireSignal, this, signal)
  }

  /** @internal */
  deliverSignal (signal: SignalData): void {
    if (this.state === 'closed' || !this.node.alive) return
    if (this.sim.tracing) this.sim.record('signal-out', this.node.id, { link: this.id, type: signal.type })
    this.onSignal(signal)
  }
}

function deliverHead (link: SimLink): void {
  link.deliverHead()
}

function deliverDatagram (from: SimLink, data: Uint8Array, event: SimEvent): void {
  const target = from.peer
  if (target === null) return
  if (from.pathDown()) {
    if (from.host.sim.tracing) from.host.sim.record('drop', from.node.id, { link: from.id })
    return
  }
  if (!from.host.copyMessages && sample(data) !== event.check) throw new MessageMutatedError(from.id)
  target.receive(data)
}

function fireLow (link: SimLink): void {
  link.checkLow()
}

function fireSignal (link: SimLink, signal: SignalData): void {
  link.deliverSignal(signal)
}

function hex (bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}
