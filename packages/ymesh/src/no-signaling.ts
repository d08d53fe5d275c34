/**
 * The signaling source of a provider given no `signaling`: it never connects anywhere.
 * Unlike y-webrtc, nothing defaults to a public server; such a provider syncs only with
 * BroadcastChannel peers (other tabs) and otherwise stays local.
 */
import { ObservableV2 } from 'lib0/observable'
import type { PeerId } from '@ymesh/protocol'
import type { SignalingEvents, SignalingSource } from '@ymesh/core'

export class NoSignaling extends ObservableV2<SignalingEvents> implements SignalingSource {
  readonly connected = false
  constructor (readonly localPeer: PeerId) { super() }
  start (): void {}
  stop (): void {}
  join (): void {}
  leave (): void {}
  announce (): void {}
  sendSignal (): void {}
}
