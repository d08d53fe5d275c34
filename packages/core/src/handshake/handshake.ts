/**
 * The authenticated handshake that opens every connection between ymesh peers, and the
 * recognition of stock y-webrtc peers. See README.md "Connection API" for the rules.
 *
 * Each side sends hello (versions, a fresh nonce, its peer id), then hello-proof: an Ed25519
 * signature over the transcript (transcript.ts). A side accepts when the remote's id is a
 * ymesh id, is who signaling said (link.remotePeer), and the proof verifies against the key
 * the id encodes. Crypto is awaited through clock.settle(), so simulator runs replay.
 */
import {
  decodeFrame, decodeHello, decodeHelloProof, encodeFrame, encodeHello, encodeHelloProof, HELLO_NONCE_SIZE,
  selectVersion, SUPPORTED_PROTOCOL_VERSIONS, Tag
} from '@ymesh/protocol'
import type { Clock, Frame, Hello, Link, LinkCloseEvent, Rng, Timer } from '@ymesh/protocol'
import { isYmeshPeerId, sign, verify, type Identity } from '@ymesh/crypto'
import { HandshakeError, type HandshakeFailureReason } from '../errors.js'
import { Connection, type ConnectionTuning } from '../connections/connection.js'
import type { FrameDispatcher } from '../connections/dispatcher.js'
import type { CoreMetrics } from '../metrics/core-metrics.js'
import type { Logger } from '../logger.js'
import { encodeTranscript, HANDSHAKE_SIGNING_DOMAIN, type Transcript, type TranscriptSide } from './transcript.js'

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 15_000

export interface HandshakeOptions {
  readonly identity: Identity
  /** A link in any state; the handshake starts when it opens. */
  readonly link: Link
  /**
   * What signaling said about the remote: true when its announce or signal carried the ymesh
   * marker. Then anything but a hello as its first frame ends the connection (never a
   * downgrade to the unauthenticated y-webrtc protocol), and our hello goes first. When
   * false, we wait: a hello from the remote upgrades to the full handshake, a y-webrtc
   * message (tags 0–4) makes a 'y-webrtc' connection.
   */
  readonly remoteIsYmesh: boolean
  /** The room the link was made for; a 'y-webrtc' connection serves only this room. */
  readonly room: string | null
  readonly clock: Clock
  readonly rng: Rng
  readonly dispatcher: FrameDispatcher
  readonly metrics: CoreMetrics
  readonly logger: Logger
  /** From the call until the link is open and the handshake done. Default 15 000 ms. */
  readonly timeoutMs?: number
  /** Versions we speak, newest first. Default SUPPORTED_PROTOCOL_VERSIONS. */
  readonly versions?: readonly number[]
  /** Accept stock y-webrtc peers as 'y-webrtc' connections. Default true. */
  readonly acceptStockPeers?: boolean
  readonly connection?: ConnectionTuning
}

export interface PendingHandshake {
  readonly link: Link
  /** The connection, or a HandshakeError (counted, link closed) naming the reason. */
  readonly promise: Promise<Connection>
  /** Give up: the link is closed and the promise rejects with reason 'aborted'. */
  abort(): void
}

/** Run the handshake on `link`. */
export const startHandshake = (options: HandshakeOptions): PendingHandshake => new Handshake(options).pending

export const openConnection = (options: HandshakeOptions): Promise<Connection> => startHandshake(options).promise

class Handshake {
  readonly pending: PendingHandshake
  private readonly link: Link
  private readonly versions: readonly number[]
  private readonly nonce: Uint8Array
  private resolve!: (connection: Connection) => void
  private reject!: (error: HandshakeError) => void
  private done = false
  private helloSent = false
  private remoteHello: Hello | null = null
  private version = 0
  private proofSent = false
  private remoteVerified = false
  private verifying = false
  /** Messages that arrived after the remote's proof, for the connection. */
  private readonly buffered: Uint8Array[] = []
  private readonly timer: Timer
  private readonly onOpen = (): void => { this.opened() }
  private readonly onMessage = (data: Uint8Array): void => { this.received(data) }
  private readonly onClose = (event: LinkCloseEvent): void => { this.fail('link-closed', event.reason) }

  constructor (private readonly options: HandshakeOptions) {
    this.link = options.link
    this.versions = options.versions ?? SUPPORTED_PROTOCOL_VERSIONS
    this.nonce = options.rng.bytes(HELLO_NONCE_SIZE)
    const promise = new Promise<Connection>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    // A caller that only aborts must not see an unhandled rejection.
    promise.catch(() => {})
    this.pending = { link: this.link, promise, abort: () => { this.fail('aborted') } }
    this.timer = options.clock.setTimeout(() => { this.fail('timeout') }, options.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS)
    this.link.on('open', this.onOpen)
    this.link.on('message', this.onMessage)
    this.link.on('close', this.onClose)
    if (this.link.state === 'open') this.opened()
    else if (this.link.state === 'closed') this.fail('link-closed')
  }

  private opened (): void {
    if (this.options.remoteIsYmesh) this.sendHello()
  }

  private sendHello (): void {
    if (this.helloSent || this.done) return
    this.helloSent = true
    const hello = encodeHello({ versions: this.versions, nonce: this.nonce, peerId: this.options.identity.peerId, signature: new Uint8Array(0) })
    this.sendFrame(Tag.Hello, hello)
  }

  private sendFrame (tag: number, payload: Uint8Array): void {
    try {
      this.link.send(encodeFrame(tag, payload))
    } catch (error) {
      this.fail('link-closed', (error as Error).message)
    }
  }

  private received (data: Uint8Array): void {
    if (this.done) return
    if (this.verifying || this.remoteVerified) {
      // The remote finished first and is already talking; hand it to the connection.
      this.buffered.push(data.slice())
      return
    }
    let frame: Frame
    try {
      frame = decodeFrame(data, { maxSize: Number.MAX_SAFE_INTEGER })
    } catch {
      this.fail('bad-hello', 'the first frame does not decode')
      return
    }
    if (this.remoteHello === null) this.receiveFirst(frame, data)
    else if (frame.tag === Tag.HelloProof) this.receiveProof(frame)
    else this.fail('unexpected-frame', `a frame of tag ${frame.tag} came between hello and hello-proof`)
  }

  private receiveFirst (frame: Frame, data: Uint8Array): void {
    if (frame.tag !== Tag.Hello) {
      if (frame.tag <= Tag.BcPeerId && !this.options.remoteIsYmesh && this.options.acceptStockPeers !== false) {
        this.succeed('y-webrtc', 0, [data.slice()])
      } else if (this.options.remoteIsYmesh) {
        this.fail('downgrade-refused', `its first frame has tag ${frame.tag}`)
      } else {
        this.fail('unexpected-frame', `the first frame has tag ${frame.tag}, neither hello nor a y-webrtc message`)
      }
      return
    }
    let hello: Hello
    try {
      hello = decodeHello(frame.payload)
    } catch (error) {
      this.fail('bad-hello', (error as Error).message)
      return
    }
    const local = this.options.identity.peerId
    if (!isYmeshPeerId(hello.peerId)) {
      this.fail('invalid-peer-id', `it claims ${hello.peerId}`)
      return
    }
    if (hello.peerId === local || bytesEqual(hello.nonce, this.nonce)) {
      this.fail('reflected')
      return
    }
    if (hello.peerId !== this.link.remotePeer) {
      this.fail('peer-mismatch', `signaling said ${this.link.remotePeer}, the hello says ${hello.peerId}`)
      return
    }
    try {
      this.version = selectVersion(hello.versions, this.versions)
    } catch (error) {
      this.fail('version-mismatch', (error as Error).message)
      return
    }
    this.remoteHello = { ...hello, nonce: hello.nonce.slice() }
    this.sendHello()
    const transcript = encodeTranscript(this.transcript(this.link.initiator ? 'initiator' : 'responder'))
    this.options.clock.settle(sign(this.options.identity, HANDSHAKE_SIGNING_DOMAIN, transcript)).then((signature) => {
      if (this.done) return
      this.sendFrame(Tag.HelloProof, encodeHelloProof({ signature }))
      this.proofSent = true
      this.maybeSucceed()
    }, (error: unknown) => { this.fail('aborted', `signing failed: ${(error as Error).message}`) })
  }

  private receiveProof (frame: Frame): void {
    let signature: Uint8Array
    try {
      signature = decodeHelloProof(frame.payload).signature.slice()
    } catch (error) {
      this.fail('bad-hello', (error as Error).message)
      return
    }
    this.verifying = true
    const remote = this.remoteHello as Hello
    const transcript = encodeTranscript(this.transcript(this.link.initiator ? 'responder' : 'initiator'))
    const check = signature.length === 64 ? verify(remote.peerId, HANDSHAKE_SIGNING_DOMAIN, transcript, signature) : Promise.resolve(false)
    this.options.clock.settle(check).then((ok) => {
      if (this.done) return
      this.verifying = false
      if (!ok) {
        this.fail('bad-signature')
        return
      }
      this.remoteVerified = true
      this.maybeSucceed()
    }, () => { this.fail('bad-signature') })
  }

  private transcript (signer: 'initiator' | 'responder'): Transcript {
    const remote = this.remoteHello as Hello
    const mine: TranscriptSide = {
      peerId: this.options.identity.peerId,
      nonce: this.nonce,
      versions: this.versions,
      fingerprint: this.link.localFingerprint ?? ''
    }
    const theirs: TranscriptSide = {
      peerId: remote.peerId,
      nonce: remote.nonce,
      versions: remote.versions,
      fingerprint: this.link.remoteFingerprint ?? ''
    }
    return this.link.initiator
      ? { version: this.version, initiator: mine, responder: theirs, signer }
      : { version: this.version, initiator: theirs, responder: mine, signer }
  }

  private maybeSucceed (): void {
    if (this.proofSent && this.remoteVerified) this.succeed('ymesh', this.version, this.buffered)
  }

  private succeed (kind: 'ymesh' | 'y-webrtc', version: number, initialMessages: Uint8Array[]): void {
    this.finish()
    const o = this.options
    o.metrics.handshakes.inc({ kind })
    // Built in this same synchronous step, so no link message can slip between the two.
    const connection = new Connection({
      ...o.connection,
      link: this.link,
      kind,
      version,
      room: o.room,
      clock: o.clock,
      dispatcher: o.dispatcher,
      metrics: o.metrics,
      logger: o.logger,
      initialMessages
    })
    this.resolve(connection)
  }

  private fail (reason: HandshakeFailureReason, detail?: string): void {
    if (this.done) return
    this.finish()
    this.link.close()
    this.options.metrics.handshakeFailures.inc({ reason })
    this.options.logger.debug('handshake failed', { remotePeer: this.link.remotePeer, reason, detail })
    this.reject(new HandshakeError(reason, detail))
  }

  private finish (): void {
    this.done = true
    this.options.clock.clearTimeout(this.timer)
    this.link.off('open', this.onOpen)
    this.link.off('message', this.onMessage)
    this.link.off('close', this.onClose)
  }
}

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
