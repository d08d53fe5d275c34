/**
 * DistributedRoomRegistry: rooms as signed-op documents (`room/<id>`), plus a directory
 * document (`rooms/directory`) through which public rooms are discovered from peers.
 * Every replica that holds a room's document derives the same state (room-resolver.ts);
 * the signaling server is never involved.
 */
import type * as Y from 'yjs'
import type { PeerId } from '@ymesh/protocol'
import {
  sealTo, openSealed, toBase64Url, generateRoomSecret, roomKeyFromSecret, topicFromRoomSecret, encodeRoomSecret, decodeRoomSecret
} from '@ymesh/crypto'
import type { Identity, RandomSource, RoomKey } from '@ymesh/crypto'
import type { DocSource } from './doc-store.js'
import { createEntry, newEntryIdBytes, tryDecodeEntry, EntryVerifier } from './signed-entry.js'
import type { Entry, EntryId } from './signed-entry.js'
import { decodeRoomOp, encodeRoomOp, roomOpKind } from './room-ops.js'
import type { KeyShare, Role, RoomOp, Visibility } from './room-ops.js'
import { resolveRoom } from './room-resolver.js'
import type { ResolvedRoom, RoomState } from './room-resolver.js'
import { MissingKeyError, NotAuthorizedError, NotFoundError } from './errors.js'

export const roomDocId = (roomId: EntryId): string => `room/${roomId}`
export const DIRECTORY_DOC_ID = 'rooms/directory'
const roomDomain = (roomId: EntryId): string => `ymesh/data/room/v1/${roomId}`
const shareDomain = (roomId: EntryId): string => `ymesh/data/room-secret/v1/${roomId}`
const DIRECTORY_DOMAIN = 'ymesh/data/room-directory/v1'

export interface ModelOptions {
  readonly source: DocSource
  readonly identity: Identity
  /** Wall clock for entry times (shown, never used for order). Default Date.now. */
  readonly now?: () => number
  /** Randomness for ids, secrets and sealing; inject the simulator's seeded source. */
  readonly random?: RandomSource
}

export interface CreateRoomOptions {
  readonly name: string
  readonly topic?: string
  readonly visibility?: Visibility
}

export interface PublicRoom {
  readonly roomId: EntryId
  readonly name: string
  readonly announcedBy: PeerId
  /** Public rooms publish their secret: anyone may read and join. */
  readonly secret: Uint8Array
}

/** A member's view of the room key material of the current epoch. */
export interface RoomSecretInfo {
  readonly epoch: EntryId
  readonly secret: Uint8Array
  readonly key: RoomKey
  /** Signaling topic derived from the secret: changes whenever the key rotates. */
  readonly topic: string
}

export class Room {
  readonly id: EntryId
  readonly doc: Y.Doc
  readonly ops: Y.Array<Uint8Array>
  private readonly opts: ModelOptions
  private readonly verifier: EntryVerifier
  private readonly secrets = new Map<EntryId, Promise<RoomSecretInfo>>()

  constructor (id: EntryId, doc: Y.Doc, opts: ModelOptions) {
    this.id = id
    this.doc = doc
    this.ops = doc.getArray<Uint8Array>('ops')
    this.opts = opts
    this.verifier = new EntryVerifier(roomDomain(id))
  }

  /** Entries with a bad signature or malformed bytes seen so far. */
  get rejected (): number {
    return this.verifier.rejected
  }

  /** The effective state: verifies what it has not verified yet, then resolves. */
  async resolve (): Promise<ResolvedRoom> {
    const entries = this.ops.toArray().map(tryDecodeEntry).filter((e): e is Entry => e !== null)
    const ok = await Promise.all(entries.map((e) => this.verifier.verify(e)))
    return resolveRoom(this.id, entries.filter((_, i) => ok[i]))
  }

  async state (): Promise<RoomState> {
    return (await this.resolve()).state
  }

  async roleOf (peer: PeerId): Promise<Role | null> {
    return (await this.state()).members.get(peer) ?? null
  }

  /** Signs `op` with deps = the current heads and appends it. Throws NotAuthorizedError if it would have no effect. */
  async submit (op: RoomOp, check = true): Promise<EntryId> {
    const resolved = await this.resolve()
    const entry = await createEntry(this.opts.identity, roomDomain(this.id), {
      kind: roomOpKind(op), time: (this.opts.now ?? Date.now)(), deps: resolved.graph.heads(), body: encodeRoomOp(op)
    }, this.opts.random)
    if (check) {
      const after = resolveRoom(this.id, [...resolved.graph.order, entry])
      if (!after.effective.has(entry.id)) throw new NotAuthorizedError(`${this.opts.identity.peerId} may not ${op.type} in room ${this.id} (role: ${resolved.state.members.get(this.opts.identity.peerId) ?? 'none'}); ask an owner or admin.`)
    }
    this.ops.push([entry.bytes])
    return entry.id
  }

  rename (name: string): Promise<EntryId> { return this.submit({ type: 'rename', name }) }
  setTopic (topic: string): Promise<EntryId> { return this.submit({ type: 'set-topic', topic }) }
  setVisibility (visibility: Visibility): Promise<EntryId> { return this.submit({ type: 'set-visibility', visibility }) }
  setRole (target: PeerId, role: Role): Promise<EntryId> { return this.submit({ type: 'set-role', target, role }) }
  unban (target: PeerId): Promise<EntryId> { return this.submit({ type: 'unban', target }) }
  leave (): Promise<EntryId> { return this.submit({ type: 'leave' }) }

  /** Adds `target` and seals the current room secret to it. */
  async addMember (target: PeerId, role: Role = 'member'): Promise<EntryId> {
    const mine = await this.currentSecret()
    const shares = [{ member: target, sealed: await sealTo(target, shareDomain(this.id), mine.secret, { random: this.opts.random }) }]
    return await this.submit({ type: 'add-member', target, role, shares })
  }

  /**
   * Joins a public room as a member (anyone not banned may). With the room's published
   * secret (publicRooms()), the joiner seals it to itself, so it can read and write at once
   * (if the key rotated since, an admin's shareKey() gives it the current one).
   */
  async join (options: { readonly secret?: Uint8Array } = {}): Promise<EntryId> {
    const me = this.opts.identity.peerId
    const shares = options.secret === undefined ? [] : [{ member: me, sealed: await sealTo(me, shareDomain(this.id), options.secret, { random: this.opts.random }) }]
    return await this.submit({ type: 'add-member', target: me, role: 'member', shares })
  }

  /**
   * Seals the current room secret to members that lack it (default: every member without a
   * share of the current epoch, e.g. one added concurrently with a key rotation). Admins only.
   */
  async shareKey (members?: readonly PeerId[]): Promise<EntryId> {
    const state = await this.state()
    const targets = members ?? [...state.members.keys()].filter((m) => !state.shares.has(m))
    const mine = await this.currentSecret()
    return await this.submit({ type: 'share-key', shares: await this.sealToMembers(targets, mine.secret) })
  }

  /** Removes (or bans) `target` and rotates the room secret: the new one is sealed to every other member only. */
  async remove (target: PeerId, options: { readonly ban?: boolean } = {}): Promise<EntryId> {
    const state = await this.state()
    const secret = generateRoomSecret({ random: this.opts.random })
    const shares = await this.sealToMembers([...state.members.keys()].filter((m) => m !== target), secret)
    return await this.submit(options.ban === true ? { type: 'ban', target, shares } : { type: 'remove', target, shares })
  }

  ban (target: PeerId): Promise<EntryId> {
    return this.remove(target, { ban: true })
  }

  private async sealToMembers (members: readonly PeerId[], secret: Uint8Array): Promise<KeyShare[]> {
    return await Promise.all(members.map(async (member) => ({ member, sealed: await sealTo(member, shareDomain(this.id), secret, { random: this.opts.random }) })))
  }

  /** Every room secret ever sealed to this identity (oldest first): to read older messages. */
  async secretHistory (): Promise<Uint8Array[]> {
    const resolved = await this.resolve()
    const out: Uint8Array[] = []
    for (const entry of resolved.graph.order) {
      if (!resolved.effective.has(entry.id)) continue
      const op = decodeRoomOp(entry)
      if (op === null || !('shares' in op)) continue
      for (const s of op.shares) {
        if (s.member !== this.opts.identity.peerId) continue
        try {
          out.push(await openSealed(this.opts.identity, shareDomain(this.id), s.sealed))
        } catch {
          // A share that does not open for us (altered, or sealed to someone else) is skipped.
        }
      }
    }
    return out
  }

  /**
   * The current epoch's secret, key and topic, opened from this identity's share.
   * Throws MissingKeyError when no share was sealed to it (removed, banned, or not yet shared).
   */
  async currentSecret (): Promise<RoomSecretInfo> {
    const state = await this.state()
    const sealed = state.shares.get(this.opts.identity.peerId)
    if (state.epoch === null || sealed === undefined) {
      throw new MissingKeyError(`No key of room ${this.id}'s current epoch was shared with ${this.opts.identity.peerId}; ask an admin to add you (again).`)
    }
    let info = this.secrets.get(state.epoch)
    if (info === undefined) {
      const epoch = state.epoch
      info = (async () => {
        const secret = await openSealed(this.opts.identity, shareDomain(this.id), sealed)
        return { epoch, secret, key: await roomKeyFromSecret(secret), topic: await topicFromRoomSecret(secret) }
      })()
      this.secrets.set(state.epoch, info)
      info.catch(() => this.secrets.delete(epoch))
    }
    return await info
  }
}

export class DistributedRoomRegistry {
  private readonly opts: ModelOptions
  private readonly rooms = new Map<EntryId, Promise<Room>>()
  private readonly directoryVerifier = new EntryVerifier(DIRECTORY_DOMAIN)

  constructor (opts: ModelOptions) {
    this.opts = opts
  }

  /** Creates a room owned by this identity. Public rooms are announced in the directory. */
  async createRoom (options: CreateRoomOptions): Promise<{ room: Room, secret: Uint8Array, invite: string }> {
    const secret = generateRoomSecret({ random: this.opts.random })
    const visibility = options.visibility ?? 'private'
    const me = this.opts.identity.peerId
    // The room id is the genesis entry's id, and the creator's share is sealed under it.
    const genesisId = newEntryIdBytes(this.opts.random)
    const roomId = toBase64Url(genesisId) as EntryId
    const shares = [{ member: me, sealed: await sealTo(me, shareDomain(roomId), secret, { random: this.opts.random }) }]
    const op: RoomOp = { type: 'create', name: options.name, topic: options.topic ?? '', visibility, shares }
    const genesis = await createEntry(this.opts.identity, roomDomain(roomId), { kind: roomOpKind(op), time: this.now(), body: encodeRoomOp(op) }, () => genesisId)
    const room = await this.room(roomId)
    room.ops.push([genesis.bytes])
    if (visibility === 'public') await this.announce(roomId, options.name, secret)
    return { room, secret, invite: inviteLink(roomId, secret) }
  }

  /** The room `roomId` (its document is opened from the source; empty until replicated). */
  room (roomId: EntryId): Promise<Room> {
    let room = this.rooms.get(roomId)
    if (room === undefined) {
      room = this.opts.source.open(roomDocId(roomId)).then((doc) => new Room(roomId, doc, this.opts))
      this.rooms.set(roomId, room)
    }
    return room
  }

  /** Announces a public room in the directory document. */
  async announce (roomId: EntryId, name: string, secret: Uint8Array): Promise<void> {
    const doc = await this.opts.source.open(DIRECTORY_DOC_ID)
    const body = new TextEncoder().encode(JSON.stringify({ roomId, name, secret: encodeRoomSecret(secret) }))
    const entry = await createEntry(this.opts.identity, DIRECTORY_DOMAIN, { kind: 1, time: this.now(), body }, this.opts.random)
    doc.getArray<Uint8Array>('announcements').push([entry.bytes])
  }

  /** Public rooms announced by peers, newest announcement per room. */
  async publicRooms (): Promise<PublicRoom[]> {
    const doc = await this.opts.source.open(DIRECTORY_DOC_ID)
    const entries = doc.getArray<Uint8Array>('announcements').toArray().map(tryDecodeEntry).filter((e): e is Entry => e !== null)
    const ok = await Promise.all(entries.map((e) => this.directoryVerifier.verify(e)))
    const byRoom = new Map<EntryId, PublicRoom>()
    entries.forEach((e, i) => {
      if (!ok[i]) return
      try {
        const o = JSON.parse(new TextDecoder().decode(e.body)) as { roomId: unknown, name: unknown, secret: unknown }
        if (typeof o.roomId !== 'string' || typeof o.name !== 'string' || typeof o.secret !== 'string') return
        byRoom.set(o.roomId as EntryId, { roomId: o.roomId as EntryId, name: o.name, announcedBy: e.author, secret: decodeRoomSecret(o.secret) })
      } catch {
        // A malformed announcement has no effect.
      }
    })
    return [...byRoom.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.roomId < b.roomId ? -1 : 1))
  }

  /** Rooms of this replica named `name` (names are not unique: rooms are identified by id). */
  async findByName (name: string, roomIds: Iterable<EntryId>): Promise<Room[]> {
    const out: Array<{ room: Room, state: RoomState }> = []
    for (const id of roomIds) {
      const room = await this.room(id)
      const state = await room.state()
      if (state.name === name) out.push({ room, state })
    }
    return out.sort((a, b) => a.state.createdAt - b.state.createdAt || (a.room.id < b.room.id ? -1 : 1)).map((x) => x.room)
  }

  private now (): number {
    return (this.opts.now ?? Date.now)()
  }
}

/** `ymesh:room/<id>#<secret>`: the secret stays in the fragment, never sent to a server. */
export const inviteLink = (roomId: EntryId, secret: Uint8Array): string => `ymesh:room/${roomId}#${encodeRoomSecret(secret)}`

export const parseInviteLink = (link: string): { roomId: EntryId, secret: Uint8Array } => {
  const m = /^ymesh:room\/([A-Za-z0-9_-]{22})#([A-Za-z0-9_-]{22})$/.exec(link)
  if (m === null) throw new NotFoundError(`'${link.slice(0, 80)}' is not a ymesh room invite (ymesh:room/<id>#<secret>); check that it was copied whole.`)
  return { roomId: m[1] as EntryId, secret: decodeRoomSecret(m[2] as string) }
}
