/**
 * Messages, receipts, presence and typing of every joined room, mirrored from the room
 * documents into plain reactive state. Writes (send, receipts, typing) go to the documents;
 * the observers bring them back here, so local and remote changes take one path.
 */
import { defineStore } from 'pinia'
import { reactive } from 'vue'
import * as Y from 'yjs'
import {
  RECEIPT_STATES, advanceReceipt, isChatMessage, roomMessages, roomReceipts, receiptKey, type ChatMessage, type ReceiptState
} from '../mesh/chat-schema'
import { decodeStoredVector } from '../mesh/directory'
import { presenceOf, type RoomHandle } from '../mesh/session'
import { useMeshStore } from './mesh'

export type MessageStatus = 'sending' | ReceiptState

export interface ViewMessage extends ChatMessage {
  readonly mine: boolean
  /** For this browser's own messages: how far it got. */
  readonly status: MessageStatus | null
  /** Sent while nobody was reachable: it leaves when a peer or the anchor is. */
  readonly queued: boolean
  readonly replyToText: string | null
}

export interface Member {
  readonly id: string
  readonly name: string
  readonly role: string
  readonly typing: boolean
}

export interface RoomView {
  messages: ViewMessage[]
  members: Member[]
  typing: string[]
  unread: number
  /** This browser's messages written while nobody was reachable: they go out when someone is. */
  queued: number
  connected: number
}

const TYPING_MS = 3000

const rank = (s: ReceiptState): number => RECEIPT_STATES.indexOf(s)

export const useChatStore = defineStore('chat', () => {
  const mesh = useMeshStore()
  const rooms = reactive<Record<string, RoomView>>({})
  const detachers = new Map<string, () => void>()
  const typingTimers = new Map<string, ReturnType<typeof setTimeout>>()
  let activeRoom: string | null = null

  function statusOf (m: ChatMessage, receipts: Map<string, ReceiptState>, members: Set<string>, stored: ReadonlyMap<number, number>): MessageStatus {
    let best: MessageStatus = 'sending'
    for (const peer of members) {
      if (peer === m.from) continue
      const r = receipts.get(receiptKey(m.id, peer))
      if (r !== undefined && (best === 'sending' || rank(r) > rank(best))) best = r
    }
    // An anchor has the message on disk when its published vector covers the message's item.
    if (best === 'sending' && m.client !== undefined && m.clock !== undefined && (stored.get(m.client) ?? 0) > m.clock) best = 'stored'
    return best
  }

  function attach (handle: RoomHandle): void {
    const name = handle.spec.name
    if (detachers.has(name)) return
    const me = mesh.requireSession().peerId
    const view: RoomView = { messages: [], members: [], typing: [], unread: 0, queued: 0, connected: 0 }
    rooms[name] = view
    const messages = roomMessages(handle.doc)
    const receipts = roomReceipts(handle.doc)
    // The highest on-disk vector any anchor published here (kept when its presence lapses).
    const anchorStored = new Map<number, number>()
    // Receipts are edits: written only once the provider runs, so they are signed.
    let ready = false

    const refresh = (): void => {
      const all = messages.toArray().filter(isChatMessage)
      const receiptMap = new Map(receipts.entries())
      const receiptPeers = new Set<string>()
      for (const key of receiptMap.keys()) receiptPeers.add(key.slice(key.indexOf('|') + 1))
      const byId = new Map(all.map((m) => [m.id, m]))
      const connected = handle.link.links().length
      const target = rooms[name]
      if (target === undefined) return
      target.connected = connected
      target.messages = all.map((m) => {
        const mine = m.from === me
        const status = mine ? statusOf(m, receiptMap, receiptPeers, anchorStored) : null
        return { ...m, mine, status, queued: mine && status === 'sending' && connected === 0, replyToText: m.replyTo === undefined ? null : byId.get(m.replyTo)?.text ?? null }
      })
      target.queued = target.messages.filter((m) => m.queued).length
      target.unread = all.filter((m) => m.from !== me && receiptMap.get(receiptKey(m.id, me)) !== 'read').length
    }

    // Receipts this browser owes: "delivered" for everything received, "read" while the room is shown.
    const acknowledge = (): void => {
      if (!ready) return
      const read = activeRoom === name && (typeof document === 'undefined' || document.visibilityState === 'visible')
      handle.doc.transact(() => {
        for (const m of messages.toArray()) {
          if (!isChatMessage(m) || m.from === me) continue
          advanceReceipt(handle.doc, m.id, me, read ? 'read' : 'delivered')
        }
      })
    }

    const presence = (): void => {
      const target = rooms[name]
      if (target === undefined) return
      // A member who closed the app lingers in awareness until it times out (30 s): show only
      // this browser, directly connected peers and peers those report as connected, once per identity.
      const direct = new Set(handle.link.links().map((l) => l.peer))
      const states = [...presenceOf(handle.link).values()]
      for (const state of states) if (state.user !== undefined && direct.has(state.user.peer)) for (const p of state.user.links ?? []) direct.add(p)
      for (const state of states) {
        if (state.user?.role !== 'anchor') continue
        for (const [client, clock] of decodeStoredVector(state.stored) ?? []) if ((anchorStored.get(client) ?? 0) < clock) anchorStored.set(client, clock)
      }
      const byId = new Map<string, Member>()
      for (const state of states) {
        const user = state.user
        if (user === undefined || (user.id !== me && !direct.has(user.peer))) continue
        byId.set(user.id, { id: user.id, name: user.name, role: user.role, typing: state.typing === true })
      }
      const members = [...byId.values()]
      target.members = members
      target.typing = members.filter((m) => m.typing && m.id !== me).map((m) => m.name)
      target.connected = handle.link.links().length
      refresh()
    }

    const onMessages = (): void => {
      acknowledge()
      refresh()
    }
    messages.observe(onMessages)
    receipts.observe(refresh)
    handle.link.awareness.on('change', presence)
    const offPeers = handle.link.onPeers(presence)
    void handle.loaded.then(() => {
      ready = true
      onMessages()
    })
    onMessages()
    presence()
    detachers.set(name, () => {
      messages.unobserve(onMessages)
      receipts.unobserve(refresh)
      handle.link.awareness.off('change', presence)
      offPeers()
       
      delete rooms[name]
    })
  }

  function detach (name: string): void {
    detachers.get(name)?.()
    detachers.delete(name)
  }

  /** Appends a message (once the room's provider runs, so it is signed); resolves to its id. */
  async function send (room: string, text: string, replyTo?: string): Promise<string | null> {
    const handle = mesh.requireSession().get(room)
    const body = text.trim()
    if (handle === undefined || body === '') return null
    const id = `${Date.now().toString(36)}-${crypto.getRandomValues(new Uint32Array(2)).join('')}`
    const from = mesh.requireSession().peerId
    const name = mesh.name
    const at = Date.now()
    setTyping(room, false)
    await handle.loaded
    const doc = handle.doc
    // One push is one item: its id is (clientID, the clock before the push).
    const message: ChatMessage = { id, from, name, text: body, at, client: doc.clientID, clock: Y.getState(doc.store, doc.clientID), ...(replyTo === undefined ? {} : { replyTo }) }
    roomMessages(doc).push([message])
    return id
  }

  function setTyping (room: string, typing = true): void {
    const handle = mesh.session?.get(room)
    if (handle === undefined) return
    const awareness = handle.link.awareness
    if ((awareness.getLocalState()?.typing === true) !== typing) awareness.setLocalStateField('typing', typing)
    clearTimeout(typingTimers.get(room))
    if (typing) typingTimers.set(room, setTimeout(() => { setTyping(room, false) }, TYPING_MS))
  }

  /** The room shown now: its messages count as read. */
  function setActive (room: string | null): void {
    activeRoom = room
    if (room !== null) markRead(room)
  }

  function markRead (room: string): void {
    const handle = mesh.session?.get(room)
    if (handle === undefined) return
    const me = mesh.requireSession().peerId
    void handle.loaded.then(() => {
      handle.doc.transact(() => {
        for (const m of roomMessages(handle.doc).toArray()) {
          if (isChatMessage(m) && m.from !== me) advanceReceipt(handle.doc, m.id, me, 'read')
        }
      })
    })
  }

  function dispose (): void {
    for (const name of [...detachers.keys()]) detach(name)
    for (const t of typingTimers.values()) clearTimeout(t)
    typingTimers.clear()
  }

  return { rooms, attach, detach, send, setTyping, setActive, markRead, dispose }
})
