// The parent side of remote-transport-child.ts: a Transport whose links live in a child process.
// State is mirrored from the child's events; send() checks the mirrored state and limits
// synchronously, as the Link interface promises, and forwards in order over IPC.
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ObservableV2 } from 'lib0/observable'
import { LinkClosedError, MessageTooLargeError } from '@ymesh/protocol'
import type { CreateLinkOptions, Link, LinkEvents, LinkState, PeerId, SignalData, Transport } from '@ymesh/protocol'

export type ParentCommand =
  | { op: 'create', id: number, remotePeer: string, initiator: boolean }
  | { op: 'signal', id: number, data: SignalData }
  | { op: 'send', id: number, data: Uint8Array }
  | { op: 'threshold', id: number, value: number }
  | { op: 'close', id: number }
  | { op: 'close-transport' }

export type ChildEvent =
  | { ev: 'ready' }
  | { ev: 'transport-closed' }
  | { ev: 'signal', id: number, data: SignalData }
  | { ev: 'open', id: number, maxMessageSize: number, localFingerprint: string | null, remoteFingerprint: string | null }
  | { ev: 'message', id: number, data: Uint8Array }
  | { ev: 'low', id: number }
  | { ev: 'close', id: number, reason: string, errorName: string | undefined, errorMessage: string | undefined }

class RemoteLink extends ObservableV2<LinkEvents> implements Link {
  state: LinkState = 'connecting'
  maxMessageSize = 0
  localFingerprint: string | null = null
  remoteFingerprint: string | null = null
  private threshold = 0

  constructor (readonly id: string, private readonly n: number, readonly remotePeer: PeerId, readonly initiator: boolean,
    private readonly post: (command: ParentCommand) => void, readonly onSignal: (signal: SignalData) => void) {
    super()
  }

  /** The child's queue is not visible from here. */
  get bufferedAmount (): number { return 0 }
  get bufferedAmountLowThreshold (): number { return this.threshold }
  set bufferedAmountLowThreshold (value: number) {
    this.threshold = value
    this.post({ op: 'threshold', id: this.n, value })
  }

  signal (data: SignalData): void {
    if (this.state !== 'closed') this.post({ op: 'signal', id: this.n, data })
  }

  send (data: Uint8Array): void {
    if (this.state !== 'open') throw new LinkClosedError(this.id, this.state)
    if (data.byteLength > this.maxMessageSize) throw new MessageTooLargeError('a message', data.byteLength, this.maxMessageSize)
    this.post({ op: 'send', id: this.n, data })
  }

  close (): void {
    if (this.state === 'closed') return
    this.post({ op: 'close', id: this.n })
    this.closed('local')
  }

  handle (event: ChildEvent): void {
    if (this.state === 'closed') return
    switch (event.ev) {
      case 'signal': this.onSignal(event.data); break
      case 'open':
        Object.assign(this, { maxMessageSize: event.maxMessageSize, localFingerprint: event.localFingerprint, remoteFingerprint: event.remoteFingerprint })
        this.state = 'open'
        this.emit('open', [])
        break
      case 'message': this.emit('message', [new Uint8Array(event.data)]); break
      case 'low': this.emit('buffered-amount-low', []); break
      case 'close': {
        const error = event.errorName === undefined ? undefined : Object.assign(new Error(event.errorMessage), { name: event.errorName })
        this.closed(event.reason, error)
        break
      }
    }
  }

  private closed (reason: string, error?: Error): void {
    this.state = 'closed'
    this.emit('close', [error === undefined ? { reason } : { reason, error }])
    this.destroy()
  }
}

export interface RemoteTransport extends Transport {
  /** SIGKILL the child: its peers see a vanished peer, not a close. */
  kill (): Promise<void>
  /** Close the transport in the child and wait for the child to exit. */
  shutdown (): Promise<void>
}

/** Starts a child process running a WebRtcTransport for `localPeer`. */
export async function spawnRemoteTransport (localPeer: PeerId): Promise<RemoteTransport> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./remote-transport-child.ts', import.meta.url)), [], {
    execArgv: ['--conditions=source', '--import', 'tsx'],
    env: { ...process.env, YMESH_REMOTE_PEER: localPeer },
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const links = new Map<number, RemoteLink>()
  let next = 0
  let alive = true
  const post = (command: ParentCommand): void => { if (alive && child.connected) child.send(command) }
  let transportClosed: () => void = () => {}
  child.on('message', (event: ChildEvent) => {
    if (event.ev === 'transport-closed') transportClosed()
    else if (event.ev !== 'ready') links.get(event.id)?.handle(event)
  })
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve())
    child.once('exit', (code) => reject(new Error(`the remote transport exited with ${code} before it was ready`)))
  })
  const transport: RemoteTransport = {
    name: 'webrtc (child process)',
    localPeer,
    createLink (options: CreateLinkOptions): Link {
      const n = next++
      const link = new RemoteLink(`${localPeer}>${options.remotePeer}#${n}`, n, options.remotePeer, options.initiator, post, options.onSignal)
      links.set(n, link)
      link.on('close', () => links.delete(n))
      post({ op: 'create', id: n, remotePeer: options.remotePeer, initiator: options.initiator })
      return link
    },
    close (): void {
      for (const link of Array.from(links.values())) link.close()
      post({ op: 'close-transport' })
    },
    async kill (): Promise<void> {
      alive = false
      child.kill('SIGKILL')
      await exited
    },
    async shutdown (): Promise<void> {
      if (alive && child.connected) {
        const done = new Promise<void>((resolve) => { transportClosed = resolve })
        transport.close()
        await Promise.race([done, exited])
      }
      alive = false
      child.kill('SIGTERM') // wrtc's threads may keep a process with no work alive
      await exited
    }
  }
  return transport
}
