/**
 * Everything the stores must not make deeply reactive: Y.Docs, providers, IndexedDB
 * bindings. One RoomHandle per open room; stores mirror what they need into plain refs
 * from the documents' and awareness's observers.
 */
import * as Y from 'yjs'
import { IndexeddbPersistence } from 'y-indexeddb'
import { DIRECTORY_ROOM } from './chat-schema'
import { openRoomLink, type OpenRoomLink, type RoomLink } from './provider'

export type RoomKind = 'public' | 'private' | 'direct'

export interface RoomSpec {
  readonly name: string
  readonly kind: RoomKind
  /** y-webrtc room password of private rooms and direct conversations. */
  readonly password?: string
  /** The other member of a direct conversation. */
  readonly with?: string
}

export interface PresenceUser {
  readonly id: string
  readonly name: string
  readonly role: 'browser' | 'anchor' | 'stock'
  readonly peer: string
  readonly links: string[]
}

export interface RoomHandle {
  readonly spec: RoomSpec
  readonly doc: Y.Doc
  readonly link: RoomLink
  /** Resolves once stored history is loaded (at once without persistence). */
  readonly loaded: Promise<void>
  destroy: () => void
}

export interface SessionOptions {
  readonly signaling: readonly string[]
  /** Who this browser is: a peer id and display name. */
  readonly user: { id: string, name: string }
  readonly openLink?: OpenRoomLink
  /** Keep documents in IndexedDB (default true). */
  readonly persist?: boolean
}

export class MeshSession {
  private readonly options: SessionOptions
  private readonly rooms = new Map<string, RoomHandle>()
  private readonly openLink: OpenRoomLink
  private userName: string

  constructor (options: SessionOptions) {
    this.options = options
    this.openLink = options.openLink ?? openRoomLink
    this.userName = options.user.name
  }

  get peerId (): string {
    return this.options.user.id
  }

  directory (): RoomHandle {
    return this.open({ name: DIRECTORY_ROOM, kind: 'public' })
  }

  get (name: string): RoomHandle | undefined {
    return this.rooms.get(name)
  }

  open (spec: RoomSpec): RoomHandle {
    const existing = this.rooms.get(spec.name)
    if (existing !== undefined) return existing
    const doc = new Y.Doc()
    const persistence = this.options.persist === false ? null : new IndexeddbPersistence(`ymesh-demo:${this.peerId}:${spec.name}`, doc)
    const link = this.openLink(spec.name, doc, { signaling: this.options.signaling, ...(spec.password === undefined ? {} : { password: spec.password }) })
    const announce = (): void => {
      const user: PresenceUser = { id: this.peerId, name: this.userName, role: 'browser', peer: link.localPeer, links: link.links().map((l) => l.peer) }
      link.awareness.setLocalStateField('user', user)
    }
    announce()
    const off = link.onPeers(announce)
    const handle: RoomHandle = {
      spec,
      doc,
      link,
      loaded: persistence === null ? Promise.resolve() : persistence.whenSynced.then(() => undefined),
      destroy: () => {
        off()
        link.destroy()
        void persistence?.destroy()
        doc.destroy()
      }
    }
    this.rooms.set(spec.name, handle)
    return handle
  }

  setName (name: string): void {
    this.userName = name
    for (const room of this.rooms.values()) {
      const current = room.link.awareness.getLocalState()?.user as PresenceUser | undefined
      if (current !== undefined) room.link.awareness.setLocalStateField('user', { ...current, name })
    }
  }

  close (name: string): void {
    this.rooms.get(name)?.destroy()
    this.rooms.delete(name)
  }

  stop (): void {
    for (const name of [...this.rooms.keys()]) this.close(name)
  }
}

/** Presence entries of a room (one per connected client, including this one), by Yjs client id. */
export const presenceOf = (link: RoomLink): Map<number, { user?: PresenceUser, typing?: boolean }> =>
  link.awareness.getStates() as Map<number, { user?: PresenceUser, typing?: boolean }>
