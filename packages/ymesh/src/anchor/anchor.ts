/**
 * An always-on peer: it joins every room of the public directory, every room it is invited
 * to (an invite sealed to its peer id) and rooms it is told about, keeps each room's signed
 * log on disk (MeshProvider persistence on FileStorage), answers late joiners and returning
 * members with what they missed (store-and-forward falls out of the CRDT merge), relays, and
 * publishes in its presence the state vector of what it has on disk, from which members
 * derive the "stored" status of their messages. It never parses room content: it needs no
 * chat schema and stores end-to-end encrypted documents just as well.
 *
 * All rooms share one @ymesh/core peer (one identity, one connection per member).
 */
import { join } from 'node:path'
import * as Y from 'yjs'
import { ObservableV2 } from 'lib0/observable'
import type { Identity } from '@ymesh/crypto'
import type { Clock, Rng, Transport } from '@ymesh/protocol'
import { createPeer, type Logger, type MeshPeer, type SignalingSource, type WebRtcTransportOptions } from '@ymesh/core'
import { DocStore, decodeSignedUpdate, storeKeyFromIdentity, type StoreKey, type SyncStorage } from '@ymesh/sync'
import { FileStorage } from '@ymesh/sync/node'
import { DocRouter } from '../doc-router.js'
import { MeshProvider } from '../mesh-provider.js'
import {
  DIRECTORY_INVITES, DIRECTORY_ROOM, DIRECTORY_ROOMS, ROOM_NAME_PATTERN, STORED_FIELD, encodeStoredVector, openAnchorInvite, type AnchorPresence
} from './directory.js'
import { loadOrCreateIdentity } from './identity-file.js'
import { ObservedStorage } from './observed-storage.js'

export interface AnchorLogger {
  info: (message: string) => void
  warn: (message: string) => void
}

export interface AnchorOptions {
  /** Folder for the identity and the documents; created if missing. */
  readonly dataDir: string
  /** Signaling server URLs, or a SignalingSource factory (the simulator's, in tests). */
  readonly signaling: readonly string[] | ((peerId: string) => SignalingSource)
  /** Display name members see (default "anchor"). */
  readonly name?: string
  readonly logger?: AnchorLogger
  /** Test seams: the simulator's transport, clock and rng. */
  readonly peer?: { transport?: (peerId: string) => Transport, clock?: Clock, rng?: Rng }
  /** WebRTC options of the anchor's peer (ICE servers, candidate filter, ...). */
  readonly webrtc?: Partial<Omit<WebRtcTransportOptions, 'localPeer'>>
  /** Storage for the signed logs (default FileStorage in DATA/docs). */
  readonly storage?: SyncStorage
}

export interface AnchorRoomStatus {
  readonly name: string
  readonly peers: number
  /** Clients (Yjs sessions) with content on disk. */
  readonly clients: number
}

export interface AnchorEvents {
  'room-joined': (event: { room: string }) => void
  /** What of `room` is on disk changed; `vector` is what the anchor now publishes. */
  'stored': (event: { room: string, vector: Map<number, number> }) => void
}

const silent: AnchorLogger = { info: () => {}, warn: () => {} }

interface JoinedRoom {
  readonly name: string
  readonly doc: Y.Doc
  readonly provider: MeshProvider
  vector: Map<number, number>
  release: () => Promise<void>
}

export class Anchor extends ObservableV2<AnchorEvents> {
  private readonly options: AnchorOptions
  private readonly logger: AnchorLogger
  private identityValue: Identity | null = null
  private peer: MeshPeer | null = null
  private router: DocRouter | null = null
  private storage: ObservedStorage | null = null
  private storeKey: StoreKey | null = null
  private directory: JoinedRoom | null = null
  private readonly rooms = new Map<string, Promise<JoinedRoom | null>>()
  private running = false

  constructor (options: AnchorOptions) {
    super()
    if (Array.isArray(options.signaling) && options.signaling.length === 0) throw new Error('An anchor needs at least one signaling URL (--signaling ws://host:port).')
    this.options = options
    this.logger = options.logger ?? silent
  }

  get peerId (): string {
    if (this.identityValue === null) throw new Error('The anchor has no identity until start() resolves.')
    return this.identityValue.peerId
  }

  get isRunning (): boolean {
    return this.running
  }

  /** The shared peer (connections, metrics); null when stopped. */
  get meshPeer (): MeshPeer | null {
    return this.peer
  }

  async start (): Promise<void> {
    if (this.running) throw new Error('Anchor.start() was called twice; stop() it first.')
    this.running = true
    const { identity, created } = await loadOrCreateIdentity(this.options.dataDir)
    this.identityValue = identity
    this.logger.info(`anchor ${identity.peerId} (${created ? 'new identity' : 'identity loaded'}) in ${this.options.dataDir}`)
    this.storage = new ObservedStorage(this.options.storage ?? new FileStorage({ directory: join(this.options.dataDir, 'docs') }))
    this.storeKey = await storeKeyFromIdentity(identity)
    const s = this.options.signaling
    const seams = this.options.peer ?? {}
    const logger: Logger = { debug: () => {}, warn: (m) => { this.logger.warn(m) } }
    this.peer = createPeer({
      identity,
      signaling: typeof s === 'function' ? s(identity.peerId) : s,
      logger,
      // An anchor serves whole rooms: many neighbours per room, many rooms.
      pool: { degree: { low: 4, target: 24, high: 64 }, maxConnections: 256 },
      ...(this.options.webrtc === undefined ? {} : { webrtc: this.options.webrtc }),
      ...(seams.transport === undefined ? {} : { transport: seams.transport(identity.peerId) }),
      ...(seams.clock === undefined ? {} : { clock: seams.clock }),
      ...(seams.rng === undefined ? {} : { rng: seams.rng })
    })
    this.router = new DocRouter(this.peer)
    this.peer.start()
    const directory = await this.attach(DIRECTORY_ROOM)
    this.directory = directory
    const rooms = directory.doc.getMap(DIRECTORY_ROOMS)
    const invites = directory.doc.getMap(DIRECTORY_INVITES)
    const opened = new Set<string>()
    const fromDirectory = (): void => {
      for (const name of rooms.keys()) void this.joinRoom(name)
      for (const [key, sealed] of invites) {
        if (opened.has(key)) continue
        opened.add(key)
        void openAnchorInvite(identity, sealed).then((invite) => {
          if (invite !== null && this.running) void this.joinRoom(invite.room, invite.password)
        })
      }
    }
    rooms.observe(fromDirectory)
    invites.observe(fromDirectory)
    fromDirectory()
  }

  /** Joins (and from now on stores) room `name`; resolves when its stored log is loaded and it is announced. */
  async joinRoom (name: string, password?: string): Promise<void> {
    if (!this.running) throw new Error('Call Anchor.start() before joinRoom().')
    if (!ROOM_NAME_PATTERN.test(name)) {
      this.logger.warn(`ignoring room ${JSON.stringify(name)}: not a valid room name`)
      return
    }
    let joined = this.rooms.get(name)
    if (joined === undefined) {
      joined = this.attach(name, password).then(async (room) => {
        if (!this.running) {
          await room.release()
          return null
        }
        this.emit('room-joined', [{ room: name }])
        this.logger.info(`anchor: storing room ${name}`)
        return room
      }, (err: unknown) => {
        this.logger.warn(`anchor: could not join room ${name}: ${String(err)}`)
        this.rooms.delete(name)
        return null
      })
      this.rooms.set(name, joined)
    }
    await joined
  }

  roomNames (): string[] {
    return [...this.rooms.keys()].sort()
  }

  /** The state vector of `room` on disk, as published (empty for an unknown room). */
  async storedVector (room: string): Promise<Map<number, number>> {
    const r = room === DIRECTORY_ROOM ? this.directory : await this.rooms.get(room)
    return new Map(r?.vector ?? [])
  }

  async status (): Promise<AnchorRoomStatus[]> {
    const out: AnchorRoomStatus[] = []
    for (const [name, p] of this.rooms) {
      const room = await p
      if (room !== null) out.push({ name, peers: this.peer?.connectionsIn(name).length ?? 0, clients: room.vector.size })
    }
    return out.sort((a, b) => a.name.localeCompare(b.name))
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    const rooms = await Promise.all(this.rooms.values())
    this.rooms.clear()
    for (const room of rooms) await room?.release()
    await this.directory?.release()
    this.directory = null
    this.peer?.stop()
    this.peer = null
    this.router = null
    await this.storage?.close()
    this.storage = null
  }

  private async attach (name: string, password?: string): Promise<JoinedRoom> {
    const peer = this.peer
    const router = this.router
    const storage = this.storage
    const identity = this.identityValue
    if (peer === null || router === null || storage === null || identity === null) throw new Error('The anchor is stopped.')
    const doc = new Y.Doc()
    const seams = this.options.peer ?? {}
    const provider = new MeshProvider(name, doc, {
      peer, identity, router, persistence: storage, broadcastChannel: false,
      logger: { debug: () => {}, warn: (m) => { this.logger.warn(m) } },
      ...(password === undefined ? {} : { password }),
      ...(seams.clock === undefined ? {} : { clock: seams.clock }),
      ...(seams.rng === undefined ? {} : { rng: seams.rng })
    })
    await provider.whenReady
    const room: JoinedRoom = { name, doc, provider, vector: new Map(), release: async () => {} }
    const announce = (): void => {
      const user: AnchorPresence = {
        id: identity.peerId, name: this.options.name ?? 'anchor', role: 'anchor', peer: identity.peerId, links: peer.connectionsIn(name).map((c) => c.remotePeer)
      }
      provider.awareness.setLocalState({ ...provider.awareness.getLocalState(), user, [STORED_FIELD]: encodeStoredVector(room.vector) })
    }
    // What is on disk, re-read after writes (coalesced): a published vector never claims more.
    let reading: Promise<void> | null = null
    let again = false
    const refresh = (): void => {
      if (reading !== null) { again = true; return }
      reading = this.readVector(name).then((vector) => {
        if (!sameVector(vector, room.vector)) {
          room.vector = vector
          announce()
          this.emit('stored', [{ room: name, vector: new Map(vector) }])
        }
      }, (err: unknown) => { this.logger.warn(`anchor: could not read ${name} from disk: ${String(err)}`) }).finally(() => {
        reading = null
        if (again && this.running) { again = false; refresh() }
      })
    }
    const offWritten = storage.onWritten(name, refresh)
    provider.on('peers', announce)
    refresh()
    announce()
    room.release = async () => {
      offWritten()
      provider.off('peers', announce)
      await reading
      await provider.destroy()
      doc.destroy()
    }
    return room
  }

  private async readVector (docId: string): Promise<Map<number, number>> {
    const storage = this.storage
    const key = this.storeKey
    if (storage === null || key === null) return new Map()
    const log = await new DocStore(storage, docId, key).load()
    const vector = new Map<number, number>()
    const bump = (client: number, clock: number): void => { if ((vector.get(client) ?? 0) < clock) vector.set(client, clock) }
    const fromUpdate = (u: Uint8Array): void => { for (const [c, k] of Y.decodeStateVector(Y.encodeStateVectorFromUpdate(u))) bump(c, k) }
    if (log.snapshot !== null) fromUpdate(log.snapshot.update)
    for (const bytes of log.signed) {
      try {
        const u = decodeSignedUpdate(bytes)
        bump(u.clientId, u.clockEnd)
      } catch {
        // A record this version cannot decode claims nothing.
      }
    }
    for (const u of log.unsigned) {
      try { fromUpdate(u) } catch { /* as above */ }
    }
    return vector
  }
}

const sameVector = (a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): boolean => {
  if (a.size !== b.size) return false
  for (const [k, v] of a) if (b.get(k) !== v) return false
  return true
}
