/**
 * Everything the stores must not make deeply reactive: the tab's peer, Y.Docs, providers.
 * One RoomHandle per open room; stores mirror what they need into plain refs from the
 * documents' and awareness's observers.
 */
import * as Y from 'yjs'
import type { Identity } from '@ymesh/crypto'
import { DIRECTORY_ROOM } from './directory'
import type { MeshNode } from './mesh-node'
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

export interface PresenceState {
  readonly user?: PresenceUser
  readonly typing?: boolean
  /** Anchors: the state vector of what they have on disk (base64url). */
  readonly stored?: string
}

export interface RoomHandle {
  readonly spec: RoomSpec
  readonly doc: Y.Doc
  readonly link: RoomLink
  /** Resolves once stored history is loaded and the provider runs (edits after this are signed). */
  readonly loaded: Promise<void>
  destroy: () => Promise<void>
}

export interface SessionOptions {
  readonly node: MeshNode
  /** Display name. */
  readonly name: string
  readonly openLink?: OpenRoomLink
}

export class MeshSession {
  private readonly options: SessionOptions
  private readonly rooms = new Map<string, RoomHandle>()
  private readonly openLink: OpenRoomLink
  private userName: string

  constructor (options: SessionOptions) {
    this.options = options
    this.openLink = options.openLink ?? openRoomLink
    this.userName = options.name
  }

  get peerId (): string {
    return this.options.node.identity.peerId
  }

  get identity (): Identity {
    return this.options.node.identity
  }

  get node (): MeshNode {
    return this.options.node
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
    const link = this.openLink(this.options.node, spec.name, doc, spec.password === undefined ? {} : { password: spec.password })
    const announce = (): void => {
      const user: PresenceUser = { id: this.peerId, name: this.userName, role: 'browser', peer: link.localPeer, links: link.links().map((l) => l.peer) }
      link.awareness.setLocalStateField('user', user)
    }
    const off = link.onPeers(announce)
    const loaded = link.ready.then(announce)
    const handle: RoomHandle = {
      spec,
      doc,
      link,
      loaded,
      destroy: async () => {
        off()
        await link.destroy()
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

  async close (name: string): Promise<void> {
    const room = this.rooms.get(name)
    this.rooms.delete(name)
    await room?.destroy()
  }

  async stop (): Promise<void> {
    await Promise.all([...this.rooms.keys()].map(async (name) => { await this.close(name) }))
    this.options.node.stop()
  }
}

/** Presence entries of a room (one per connected client, including this one), by Yjs client id. */
export const presenceOf = (link: RoomLink): Map<number, PresenceState> =>
  link.awareness.getStates() as Map<number, PresenceState>
