/**
 * Same-browser tabs (and, in Node, same-process providers) talk over a BroadcastChannel
 * without WebRTC. The channel carries the same signed @ymesh/sync messages as the mesh, so
 * tab-to-tab content is authenticated like any other; with a room password every message is
 * encrypted with y-webrtc's room key (the signaling key), as y-webrtc does.
 *
 *   bc-message = kind:varUint (0 message | 1 hello | 2 bye) • from:varString • to:varString ('' = all) • body:byte[*]
 *
 * The channel is named `ymesh:<room>`, not y-webrtc's `<room>`: stock tabs log an error for
 * every frame they do not know and would answer it, so ymesh tabs stay off their channel.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { decryptYWebrtc, encryptYWebrtc } from '@ymesh/crypto'
import { readBoundedVarString, readBoundedVarUint } from '@ymesh/protocol'

export const BcKind = Object.freeze({ Message: 0, Hello: 1, Bye: 2 } as const)
export type BcKind = (typeof BcKind)[keyof typeof BcKind]

export interface BcMessage {
  readonly kind: BcKind
  readonly from: string
  readonly to: string
  readonly body: Uint8Array
}

export const bcChannelName = (room: string): string => `ymesh:${room}`

export const encodeBcMessage = (m: BcMessage): Uint8Array => encoding.encode((e) => {
  encoding.writeVarUint(e, m.kind)
  encoding.writeVarString(e, m.from)
  encoding.writeVarString(e, m.to)
  encoding.writeUint8Array(e, m.body)
})

export const decodeBcMessage = (bytes: Uint8Array): BcMessage => {
  const d = decoding.createDecoder(bytes)
  const kind = readBoundedVarUint(d, 2, 'bc kind') as BcKind
  const from = readBoundedVarString(d, 64, 'bc from')
  const to = readBoundedVarString(d, 64, 'bc to')
  return { kind, from, to, body: bytes.subarray(d.pos) }
}

export interface BroadcastLinkOptions {
  readonly room: string
  readonly id: string
  /** y-webrtc's room key (deriveYWebrtcKey(password, room)); null: plaintext. */
  readonly key: CryptoKey | null
  readonly receive: (message: BcMessage) => void
  readonly error: (detail: string) => void
}

/** One provider's end of the room's BroadcastChannel; encryption and decryption keep order. */
export class BroadcastLink {
  private channel: BroadcastChannel | null = null
  private sendTail: Promise<void> = Promise.resolve()
  private receiveTail: Promise<void> = Promise.resolve()

  constructor (private readonly options: BroadcastLinkOptions) {}

  static available (): boolean {
    return typeof globalThis.BroadcastChannel === 'function'
  }

  get open (): boolean {
    return this.channel !== null
  }

  start (): void {
    if (this.channel !== null || !BroadcastLink.available()) return
    const channel = new BroadcastChannel(bcChannelName(this.options.room))
    channel.onmessage = (event: MessageEvent) => { this.onData(event.data) }
    this.channel = channel
  }

  post (kind: BcKind, to: string, body: Uint8Array): void {
    const channel = this.channel
    if (channel === null) return
    const plain = encodeBcMessage({ kind, from: this.options.id, to, body })
    const key = this.options.key
    this.sendTail = this.sendTail.then(async () => {
      const data = key === null ? plain : await encryptYWebrtc(plain, key)
      if (this.channel === channel) channel.postMessage(data)
    }).catch((err: unknown) => { this.options.error(`could not post on the BroadcastChannel: ${String(err)}`) })
  }

  /** Closes the channel after what was posted so far went out. */
  async stop (): Promise<void> {
    const channel = this.channel
    if (channel === null) return
    await this.sendTail
    this.channel = null
    channel.onmessage = null
    channel.close()
  }

  private onData (data: unknown): void {
    if (!(data instanceof Uint8Array)) {
      this.options.error('a BroadcastChannel message that is not bytes was ignored')
      return
    }
    const key = this.options.key
    this.receiveTail = this.receiveTail.then(async () => {
      let plain: Uint8Array
      try {
        plain = key === null ? data : await decryptYWebrtc(data, key)
      } catch {
        this.options.error('a BroadcastChannel message did not decrypt with the room password; ignored')
        return
      }
      let m: BcMessage
      try {
        m = decodeBcMessage(plain)
      } catch (err) {
        this.options.error(`a malformed BroadcastChannel message was ignored: ${String(err)}`)
        return
      }
      if (m.from === this.options.id || (m.to !== '' && m.to !== this.options.id) || this.channel === null) return
      this.options.receive(m)
    })
  }
}
