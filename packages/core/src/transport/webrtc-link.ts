import { ObservableV2 } from 'lib0/observable'
import { InvalidMessageError, LinkClosedError, MessageTooLargeError } from '@ymesh/protocol'
import type { Clock, IceCandidate, Link, LinkCloseEvent, LinkEvents, LinkState, PeerId, SignalData, Timer } from '@ymesh/protocol'
import { ConnectTimeoutError, IceFailedError, InvalidSignalError, SendQueueFullError } from '../errors.js'
import { BufferedAmountMonitor } from './buffered-amount-monitor.js'
import { CHANNEL_CLOSE_GRACE_MS } from './limits.js'
import type { RtcImplementation } from './rtc-implementation.js'
import { filterSdpCandidates, parseFingerprint, parseMaxMessageSize } from './sdp.js'
import { MAX_PENDING_CANDIDATES, parseSignal } from './signal.js'

/** Why a WebRTC link closed (LinkCloseEvent.reason). */
export type WebRtcCloseReason = 'local' | 'remote' | 'timeout' | 'ice-failed' | 'bad-signal' | 'bad-message' | 'error'

/** What a WebRtcLink needs from the transport that makes it. */
export interface WebRtcLinkOptions {
  readonly id: string
  readonly remotePeer: PeerId
  readonly initiator: boolean
  readonly onSignal: (signal: SignalData) => void
  readonly rtc: RtcImplementation
  readonly configuration: RTCConfiguration
  readonly connectTimeoutMs: number
  readonly channelLabel: string
  readonly clock: Clock
  readonly pollIntervalMs: number
  readonly maxMessageSizeCap: number
  readonly maxBufferedAmount: number
  readonly candidateFilter: ((candidate: IceCandidate) => boolean) | undefined
  readonly onListenerError: (error: unknown) => void
  readonly onClosed: (link: WebRtcLink) => void
}

/**
 * One RTCPeerConnection with one reliable, ordered data channel, speaking simple-peer's signal
 * shapes so that the other side may be a stock y-webrtc peer: the initiator creates the channel
 * and the offer, candidates trickle, and either side may receive candidates before the
 * description they belong to.
 */
export class WebRtcLink extends ObservableV2<LinkEvents> implements Link {
  readonly id: string
  readonly remotePeer: PeerId
  readonly initiator: boolean
  localFingerprint: string | null = null
  remoteFingerprint: string | null = null

  private _state: LinkState = 'connecting'
  private pc: RTCPeerConnection | null = null
  private channel: RTCDataChannel | null = null
  private threshold = 0
  private remoteMaxMessageSize = Number.POSITIVE_INFINITY
  private negotiatedMaxMessageSize: number | null = null
  private remoteDescriptionStarted = false
  private remoteDescriptionSet = false
  private readonly pendingRemoteCandidates: IceCandidate[] = []
  private localDescriptionSent = false
  private readonly pendingLocalCandidates: IceCandidate[] = []
  private connectTimer: Timer | null = null
  /** Bytes sent in this turn of the event loop that the stack's bufferedAmount does not show yet. */
  private inFlight = 0
  private inFlightTimer: Timer | null = null
  private readonly monitor: BufferedAmountMonitor

  constructor (private readonly options: WebRtcLinkOptions) {
    super()
    this.id = options.id
    this.remotePeer = options.remotePeer
    this.initiator = options.initiator
    this.monitor = new BufferedAmountMonitor(options.clock, options.pollIntervalMs,
      () => ({ bufferedAmount: this.bufferedAmount, threshold: this.threshold }),
      () => this.emitSafe('buffered-amount-low', []))
  }

  get state (): LinkState {
    return this._state
  }

  get maxMessageSize (): number {
    return this.negotiatedMaxMessageSize ?? Math.min(this.options.maxMessageSizeCap, this.remoteMaxMessageSize)
  }

  /**
   * The channel's bufferedAmount, plus what was sent in the current turn of the event loop and
   * is not in it yet: @roamhq/wrtc hands sends to its network thread and counts them only once
   * there, so a synchronous 4 MiB burst of 16 KiB messages can read 0 throughout. Browsers count
   * synchronously, and then nothing is added.
   */
  get bufferedAmount (): number {
    return (this.channel?.bufferedAmount ?? 0) + this.inFlight
  }

  get bufferedAmountLowThreshold (): number {
    return this.threshold
  }

  set bufferedAmountLowThreshold (value: number) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`bufferedAmountLowThreshold must be a non-negative number of bytes, not ${value}`)
    this.threshold = value
    if (this.channel !== null) this.channel.bufferedAmountLowThreshold = value
  }

  /** Creates the peer connection and, on the initiator, the channel and the offer. Throws on a bad RTCConfiguration. */
  start (): void {
    const pc = new this.options.rtc.RTCPeerConnection(this.options.configuration)
    this.pc = pc
    pc.onicecandidate = (event) => this.onLocalCandidate(event.candidate)
    pc.oniceconnectionstatechange = () => this.onConnectionStateChange()
    pc.onconnectionstatechange = () => this.onConnectionStateChange()
    if (this.initiator) {
      this.attachChannel(pc.createDataChannel(this.options.channelLabel))
      void this.makeOffer(pc)
    } else {
      pc.ondatachannel = (event) => this.onRemoteChannel(event.channel)
    }
    this.connectTimer = this.options.clock.setTimeout(() => {
      this.connectTimer = null
      this.shutdown('timeout', new ConnectTimeoutError(this.options.connectTimeoutMs))
    }, this.options.connectTimeoutMs)
  }

  signal (data: SignalData): void {
    if (this._state === 'closed') return // late candidates after a close are normal
    const signal = parseSignal(data)
    if (signal === null) return
    if (typeof signal === 'string') return this.shutdown('bad-signal', new InvalidSignalError(signal))
    if (signal.type === 'candidate') {
      if (this.remoteDescriptionSet) return this.addRemoteCandidate(signal.candidate)
      if (this.pendingRemoteCandidates.length >= MAX_PENDING_CANDIDATES) {
        return this.shutdown('bad-signal', new InvalidSignalError(`more than ${MAX_PENDING_CANDIDATES} candidates before the description`))
      }
      this.pendingRemoteCandidates.push(signal.candidate)
      return
    }
    const expected = this.initiator ? 'answer' : 'offer'
    if (signal.type !== expected || this.remoteDescriptionStarted) {
      return this.shutdown('bad-signal', new InvalidSignalError(`unexpected ${signal.type} on the ${this.initiator ? 'initiating' : 'answering'} side`))
    }
    this.remoteDescriptionStarted = true
    void this.acceptDescription(this.pc!, signal.type, signal.sdp)
  }

  send (data: Uint8Array): void {
    const channel = this.channel
    if (this._state !== 'open' || channel === null) throw new LinkClosedError(this.id, this._state)
    const limit = this.maxMessageSize
    if (data.byteLength > limit) {
      throw new MessageTooLargeError(`a message on WebRTC link ${this.id}`, data.byteLength, limit, 'split it into parts (the protocol Chunker does)')
    }
    const before = channel.bufferedAmount
    const queued = before + this.inFlight
    if (queued + data.byteLength > this.options.maxBufferedAmount) {
      throw new SendQueueFullError(queued, data.byteLength, this.options.maxBufferedAmount)
    }
    try {
      channel.send(data as Uint8Array<ArrayBuffer>)
    } catch (err) {
      if (channel.readyState === 'open') throw err
      this.shutdown('remote', err as Error)
      throw new LinkClosedError(this.id, 'closed')
    }
    const after = channel.bufferedAmount
    this.countInFlight(data.byteLength - Math.max(0, after - before))
    this.monitor.check(after + this.inFlight)
  }

  close (): void {
    this.shutdown('local')
  }

  private countInFlight (bytes: number): void {
    if (bytes <= 0) return
    this.inFlight += bytes
    // By the next turn the network thread has taken them and the stack's own count shows them.
    this.inFlightTimer ??= this.options.clock.setTimeout(() => {
      this.inFlightTimer = null
      this.inFlight = 0
    }, 0)
  }

  private async makeOffer (pc: RTCPeerConnection): Promise<void> {
    try {
      const offer = await pc.createOffer()
      if (this.pc !== pc) return
      await pc.setLocalDescription(offer)
      if (this.pc !== pc) return
      this.sendLocalDescription('offer', offer.sdp ?? '')
    } catch (err) {
      if (this.pc === pc) this.shutdown('error', err as Error)
    }
  }

  private async acceptDescription (pc: RTCPeerConnection, type: 'offer' | 'answer', sdp: string): Promise<void> {
    try {
      await pc.setRemoteDescription({ type, sdp })
    } catch (err) {
      if (this.pc === pc) this.shutdown('bad-signal', new InvalidSignalError(`the remote ${type} was rejected (${(err as Error).message})`))
      return
    }
    if (this.pc !== pc) return
    this.remoteFingerprint = parseFingerprint(sdp)
    this.remoteMaxMessageSize = parseMaxMessageSize(sdp)
    this.remoteDescriptionSet = true
    for (const candidate of this.pendingRemoteCandidates.splice(0)) this.addRemoteCandidate(candidate)
    if (type === 'answer') return
    try {
      const answer = await pc.createAnswer()
      if (this.pc !== pc) return
      await pc.setLocalDescription(answer)
      if (this.pc !== pc) return
      this.sendLocalDescription('answer', answer.sdp ?? '')
    } catch (err) {
      if (this.pc === pc) this.shutdown('error', err as Error)
    }
  }

  /**
   * Sends the description this side created and has just applied. Never reads
   * pc.localDescription for it: @roamhq/wrtc 0.10.0 serializes the stack's live description on
   * the JS thread while the signaling thread adds gathered candidates to it (and, on
   * setRemoteDescription, replaces it), so under load that getter crashes the process with
   * SIGSEGV in webrtc::SdpSerialize. The created description is the same SDP minus candidates
   * gathered since, which trickle anyway.
   */
  private sendLocalDescription (type: 'offer' | 'answer', created: string): void {
    const filter = this.options.candidateFilter
    const sdp = filter === undefined
      ? created
      : filterSdpCandidates(created, (candidate) => filter({ candidate, sdpMid: null, sdpMLineIndex: 0 }))
    this.localFingerprint = parseFingerprint(sdp)
    this.localDescriptionSent = true
    this.emitSignal({ type, sdp })
    for (const candidate of this.pendingLocalCandidates.splice(0)) this.emitSignal({ type: 'candidate', candidate })
  }

  private onLocalCandidate (event: RTCIceCandidate | null): void {
    // simple-peer sends no end-of-candidates signal, and stock peers would not understand one.
    if (event === null || event.candidate === '') return
    const candidate: IceCandidate = { candidate: event.candidate, sdpMLineIndex: event.sdpMLineIndex, sdpMid: event.sdpMid }
    if (this.options.candidateFilter !== undefined && !this.options.candidateFilter(candidate)) return
    // The description must reach the other side first, or a strict peer could drop the candidate.
    if (this.localDescriptionSent) this.emitSignal({ type: 'candidate', candidate })
    else this.pendingLocalCandidates.push(candidate)
  }

  private addRemoteCandidate (candidate: IceCandidate): void {
    const init: RTCIceCandidateInit = { candidate: candidate.candidate }
    if (candidate.sdpMid !== null && candidate.sdpMid !== undefined) init.sdpMid = candidate.sdpMid
    if (candidate.sdpMLineIndex !== null && candidate.sdpMLineIndex !== undefined) init.sdpMLineIndex = candidate.sdpMLineIndex
    // A candidate the stack cannot use (a browser's mDNS name, another address family) is
    // skipped, as simple-peer does; a link that finds no path ends at the connect timeout.
    this.pc?.addIceCandidate(init).catch(() => {})
  }

  private onRemoteChannel (channel: RTCDataChannel): void {
    if (this.channel !== null) {
      channel.close() // one channel per link; a second one is not ours to serve
      return
    }
    if (!channel.ordered) {
      channel.close()
      return this.shutdown('bad-signal', new InvalidSignalError('the remote side opened an unordered data channel; links must be ordered'))
    }
    this.attachChannel(channel)
    if (channel.readyState === 'open') this.markOpen()
  }

  private attachChannel (channel: RTCDataChannel): void {
    this.channel = channel
    channel.binaryType = 'arraybuffer'
    channel.bufferedAmountLowThreshold = this.threshold
    channel.onopen = () => this.markOpen()
    channel.onmessage = (event: MessageEvent) => this.onChannelMessage(event.data)
    channel.onclose = () => this.shutdown('remote')
    channel.onerror = (event) => this.shutdown('remote', (event as RTCErrorEvent).error ?? undefined)
    channel.onbufferedamountlow = () => this.monitor.poll()
  }

  private markOpen (): void {
    if (this._state !== 'connecting') return
    this._state = 'open'
    this.clearConnectTimer()
    const sctpMax = this.pc?.sctp?.maxMessageSize
    let size = Math.min(this.options.maxMessageSizeCap, this.remoteMaxMessageSize)
    if (typeof sctpMax === 'number' && sctpMax > 0) size = Math.min(size, sctpMax)
    this.negotiatedMaxMessageSize = size
    this.emitSafe('open', [])
  }

  private onChannelMessage (data: unknown): void {
    if (this._state === 'closed') return
    if (!(data instanceof ArrayBuffer) && Object.prototype.toString.call(data) !== '[object ArrayBuffer]') {
      return this.shutdown('bad-message', new InvalidMessageError('the remote side sent a text message; ymesh links carry binary frames only'))
    }
    this.markOpen() // some stacks deliver before the open event on the answering side
    this.emitSafe('message', [new Uint8Array(data as ArrayBuffer)])
  }

  private onConnectionStateChange (): void {
    const pc = this.pc
    if (pc === null) return
    if (pc.iceConnectionState === 'failed' || pc.connectionState === 'failed') this.shutdown('ice-failed', new IceFailedError())
  }

  private clearConnectTimer (): void {
    if (this.connectTimer === null) return
    this.options.clock.clearTimeout(this.connectTimer)
    this.connectTimer = null
  }

  private shutdown (reason: WebRtcCloseReason, error?: Error): void {
    if (this._state === 'closed') return
    this._state = 'closed'
    this.clearConnectTimer()
    this.monitor.stop()
    if (this.inFlightTimer !== null) this.options.clock.clearTimeout(this.inFlightTimer)
    this.inFlightTimer = null
    this.inFlight = 0
    this.pendingRemoteCandidates.length = 0
    this.pendingLocalCandidates.length = 0
    const { pc, channel } = this
    this.pc = null
    this.channel = null
    if (channel !== null) channel.onopen = channel.onmessage = channel.onclose = channel.onerror = channel.onbufferedamountlow = null
    if (pc !== null) pc.onicecandidate = pc.oniceconnectionstatechange = pc.onconnectionstatechange = pc.ondatachannel = null
    this.release(pc, channel)
    this.options.onClosed(this)
    const event: LinkCloseEvent = error === undefined ? { reason } : { reason, error }
    this.emitSafe('close', [event])
    this.destroy() // drops every listener: a closed link never emits again
  }

  /**
   * Closes the channel, then the connection. Once the connection is up (or the channel open),
   * the channel is closed on its own first and the connection only once the channel reports
   * closed, or after CHANNEL_CLOSE_GRACE_MS; an answering side whose channel has not reached
   * JS yet ('datachannel' still queued) closes that channel when it comes. Why: @roamhq/wrtc
   * 0.10.0 drops a channel's native handle on the signaling thread the moment the channel
   * becomes closed, while the JS thread may be inside that channel's send(), which checks the
   * handle, copies the message and then calls through the handle: SIGSEGV in
   * RTCDataChannel::Send. pc.close() closes the far side's channel abruptly (SCTP abort: open
   * to closed at once), at any point of the far side's sends; a channel close resets the
   * stream, so the far side's channel is 'closing' for a round trip first, and a send() there
   * throws instead. Nothing here touches a channel after close(). What is left: a far side
   * whose JS thread stalls inside one send() for that whole round trip can still crash. Above
   * this, a ymesh Connection closes in order (the 'close' tag: bye, then the far side's answer
   * as its last frame), so by the time a link closes the far side has stopped sending; links
   * closed without it (a dead peer, a failed handshake, a whole transport at stop()) keep that
   * residual risk, which only a fixed wrtc removes.
   */
  private release (pc: RTCPeerConnection | null, channel: RTCDataChannel | null): void {
    const closeConnection = (): void => {
      try { pc?.close() } catch { /* already closed */ }
    }
    const state = channel?.readyState
    // A closed channel has nothing left to reset; without DTLS there is no SCTP association,
    // so the far side cannot have an open channel.
    const live = state === 'open' || state === 'closing' || (state !== 'closed' && pc?.connectionState === 'connected')
    if (pc === null || !live) {
      try { channel?.close() } catch { /* already closed */ }
      return closeConnection()
    }
    const clock = this.options.clock
    const closing = new Set<RTCDataChannel>()
    const finish = (): void => {
      pc.ondatachannel = null
      for (const c of closing) c.onclose = null
      clock.clearTimeout(grace)
      closeConnection()
    }
    const closeChannel = (c: RTCDataChannel): void => {
      closing.add(c)
      c.onclose = finish
      try { c.close() } catch { /* already closing */ }
    }
    const grace = clock.setTimeout(finish, CHANNEL_CLOSE_GRACE_MS)
    if (channel !== null) closeChannel(channel)
    else pc.ondatachannel = (event) => closeChannel(event.channel)
  }

  private emitSignal (signal: SignalData): void {
    try {
      this.options.onSignal(signal)
    } catch (err) {
      this.options.onListenerError(err)
    }
  }

  /** Like emit(), but one throwing listener neither stops the others nor escapes into WebRTC callbacks. */
  private emitSafe<N extends keyof LinkEvents & string> (name: N, args: Parameters<LinkEvents[N]>): void {
    for (const listener of Array.from(this._observers.get(name) ?? [])) {
      try {
        (listener as (...a: unknown[]) => void)(...args)
      } catch (err) {
        this.options.onListenerError(err)
      }
    }
  }
}
