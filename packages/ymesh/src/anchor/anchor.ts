/**
 * An always-on peer: it joins every room of the public directory (and rooms it is told
 * about), keeps each room's document on disk, answers late joiners and returning members
 * with the history they missed (store-and-forward falls out of the CRDT merge: whatever
 * the anchor holds, a returning member receives), relays between members that cannot reach
 * each other, and marks each message it has persisted with a "stored" receipt.
 */
import { join } from 'node:path'
import { ObservableV2 } from 'lib0/observable'
import type * as Y from 'yjs'
import type { Identity } from '@ymesh/crypto'
import { Replica } from '@ymesh/data'
import {
  DIRECTORY_ROOM, ROOM_NAME_PATTERN, advanceReceipt, directoryRooms, isChatMessage, roomMessages, roomReceipts, receiptKey
} from './chat-schema.js'
import { FileDocStore } from './file-doc-store.js'
import { loadOrCreateIdentity } from './identity-file.js'
import { openRoomProvider, type RoomProvider } from './room-provider.js'

export interface AnchorLogger {
  info: (message: string) => void
  warn: (message: string) => void
}

export interface AnchorOptions {
  /** Folder for the identity and the documents; created if missing. */
  readonly dataDir: string
  readonly signaling: readonly string[]
  /** Display name members see (default "anchor"). */
  readonly name?: string
  readonly logger?: AnchorLogger
}

export interface AnchorRoomStatus {
  readonly name: string
  readonly messages: number
  readonly peers: number
}

export interface AnchorEvents {
  'room-joined': (event: { room: string }) => void
  /** Messages of `room` are on disk and carry this anchor's "stored" receipt. */
  'stored': (event: { room: string, ids: string[] }) => void
}

const DIRECTORY_DOC = 'directory'
const ROOM_DOC_PREFIX = 'room:'
const silent: AnchorLogger = { info: () => {}, warn: () => {} }

interface JoinedRoom {
  readonly doc: Y.Doc
  readonly provider: RoomProvider
  readonly release: () => void
}

export class Anchor extends ObservableV2<AnchorEvents> {
  private readonly options: AnchorOptions
  private readonly logger: AnchorLogger
  private identityValue: Identity | null = null
  private replica: Replica | null = null
  private directory: JoinedRoom | null = null
  private readonly rooms = new Map<string, Promise<JoinedRoom | null>>()
  private running = false

  constructor (options: AnchorOptions) {
    super()
    if (options.signaling.length === 0) throw new Error('An anchor needs at least one signaling URL (--signaling ws://host:port).')
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

  async start (): Promise<void> {
    if (this.running) throw new Error('Anchor.start() was called twice; stop() it first.')
    this.running = true
    const { identity, created } = await loadOrCreateIdentity(this.options.dataDir)
    this.identityValue = identity
    this.logger.info(`anchor ${identity.peerId} (${created ? 'new identity' : 'identity loaded'}) in ${this.options.dataDir}`)
    const replica = new Replica(new FileDocStore(join(this.options.dataDir, 'docs')))
    this.replica = replica
    this.directory = await this.attach(DIRECTORY_DOC, DIRECTORY_ROOM)
    const rooms = directoryRooms(this.directory.doc)
    const fromDirectory = (): void => {
      for (const name of rooms.keys()) void this.joinRoom(name)
    }
    rooms.observe(fromDirectory)
    fromDirectory()
    for (const id of await replica.ids(ROOM_DOC_PREFIX)) void this.joinRoom(id.slice(ROOM_DOC_PREFIX.length))
  }

  /** Joins (and from now on stores) room `name`; resolves when its document is loaded and announced. */
  async joinRoom (name: string, password?: string): Promise<void> {
    if (!this.running) throw new Error('Call Anchor.start() before joinRoom().')
    if (!ROOM_NAME_PATTERN.test(name)) {
      this.logger.warn(`ignoring room ${JSON.stringify(name)}: not a valid room name`)
      return
    }
    let joined = this.rooms.get(name)
    if (joined === undefined) {
      joined = this.attach(ROOM_DOC_PREFIX + name, name, password).then((room) => {
        if (!this.running) {
          room.release()
          return null
        }
        this.watchMessages(name, room.doc)
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

  async status (): Promise<AnchorRoomStatus[]> {
    const out: AnchorRoomStatus[] = []
    for (const [name, p] of this.rooms) {
      const room = await p
      if (room !== null) out.push({ name, messages: roomMessages(room.doc).length, peers: room.provider.connectedPeers().length })
    }
    return out.sort((a, b) => a.name.localeCompare(b.name))
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    const rooms = await Promise.all(this.rooms.values())
    this.rooms.clear()
    for (const room of rooms) room?.release()
    this.directory?.release()
    this.directory = null
    await this.replica?.close()
    this.replica = null
  }

  private async attach (docId: string, room: string, password?: string): Promise<JoinedRoom> {
    const replica = this.replica
    if (replica === null) throw new Error('The anchor is stopped.')
    const doc = await replica.open(docId)
    // Loading thousands of small updates is slow; one merged update per document is not.
    await replica.compact(docId)
    const provider = await openRoomProvider(room, doc, { signaling: this.options.signaling, password })
    const announce = (): void => {
      provider.awareness.setLocalStateField('user', {
        id: this.peerId, name: this.options.name ?? 'anchor', role: 'anchor', peer: provider.localPeer, links: provider.connectedPeers()
      })
    }
    announce()
    const off = provider.onPeers(announce)
    return {
      doc,
      provider,
      release: () => {
        off()
        provider.destroy()
        replica.release(docId)
      }
    }
  }

  private watchMessages (room: string, doc: Y.Doc): void {
    const replica = this.replica
    if (replica === null) return
    const messages = roomMessages(doc)
    const receipts = roomReceipts(doc)
    let scheduled = false
    const mark = async (): Promise<void> => {
      scheduled = false
      // A receipt may only claim what is on disk.
      await replica.flush()
      if (!this.running) return
      const ids: string[] = []
      doc.transact(() => {
        for (const m of messages.toArray()) {
          if (!isChatMessage(m) || m.from === this.peerId) continue
          if (receipts.get(receiptKey(m.id, this.peerId)) !== undefined) continue
          if (advanceReceipt(doc, m.id, this.peerId, 'stored')) ids.push(m.id)
        }
      })
      if (ids.length > 0) this.emit('stored', [{ room, ids }])
    }
    const schedule = (): void => {
      if (scheduled) return
      scheduled = true
      queueMicrotask(() => { void mark() })
    }
    messages.observe(schedule)
    schedule()
  }
}
