/**
 * Which rooms this browser is in, the public directory (a shared document every peer and
 * the anchor replicate), invite links for private rooms and direct conversations.
 */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { ROOM_NAME_PATTERN, directoryRooms, type DirectoryEntry } from '../mesh/chat-schema'
import type { RoomSpec } from '../mesh/session'
import { useChatStore } from './chat'
import { useMeshStore } from './mesh'

/** Direct conversations are announced in the directory document: key "<a>|<b>" (sorted ids). */
interface DirectEntry { readonly a: string, readonly b: string, readonly room: string, readonly password: string, readonly names: Record<string, string> }

const b64 = (text: string): string => btoa(unescape(encodeURIComponent(text))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
const unb64 = (code: string): string => decodeURIComponent(escape(atob(code.replace(/-/g, '+').replace(/_/g, '/'))))

export const encodeInvite = (spec: RoomSpec): string => b64(JSON.stringify({ n: spec.name, p: spec.password }))

export const decodeInvite = (code: string): RoomSpec | null => {
  try {
    const v = JSON.parse(unb64(code)) as { n?: unknown, p?: unknown }
    if (typeof v.n !== 'string' || !ROOM_NAME_PATTERN.test(v.n) || typeof v.p !== 'string') return null
    return { name: v.n, kind: 'private', password: v.p }
  } catch {
    return null
  }
}

const randomSecret = (): string => b64(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(18))))

export const useRoomsStore = defineStore('rooms', () => {
  const mesh = useMeshStore()
  const chat = useChatStore()
  const joined = ref<RoomSpec[]>([])
  const publicRooms = ref<DirectoryEntry[]>([])
  const active = ref<string | null>(null)
  const error = ref<string | null>(null)

  const storageKey = (): string => `ymesh-demo:rooms:${mesh.peerId ?? ''}`
  const save = (): void => {
    if (typeof localStorage !== 'undefined') localStorage.setItem(storageKey(), JSON.stringify(joined.value))
  }

  const activeSpec = computed(() => joined.value.find((r) => r.name === active.value) ?? null)
  const unreadTotal = computed(() => joined.value.reduce((n, r) => n + (chat.rooms[r.name]?.unread ?? 0), 0))

  /** Opens the directory and every room joined before (from localStorage). */
  function start (): void {
    const session = mesh.requireSession()
    const directory = session.directory()
    const map = directoryRooms(directory.doc)
    const refresh = (): void => {
      publicRooms.value = [...map.values()].filter((e) => typeof e?.name === 'string').sort((a, b) => a.name.localeCompare(b.name))
    }
    map.observe(refresh)
    refresh()
    const direct = directory.doc.getMap<DirectEntry>('direct')
    const incoming = (): void => {
      for (const entry of direct.values()) {
        const me = session.peerId
        if (entry.a !== me && entry.b !== me) continue
        const other = entry.a === me ? entry.b : entry.a
        if (!joined.value.some((r) => r.name === entry.room)) join({ name: entry.room, kind: 'direct', password: entry.password, with: entry.names[other] ?? other.slice(0, 8) }, false)
      }
    }
    direct.observe(incoming)
    const saved = typeof localStorage === 'undefined' ? null : localStorage.getItem(storageKey())
    if (saved !== null) {
      try {
        for (const spec of JSON.parse(saved) as RoomSpec[]) join(spec, false)
      } catch {
        localStorage.removeItem(storageKey())
      }
    }
    incoming()
  }

  function join (spec: RoomSpec, select = true): void {
    if (spec.kind !== 'direct' && !ROOM_NAME_PATTERN.test(spec.name)) {
      error.value = `"${spec.name}" is not a room name: use up to 64 characters, no "/", not starting with a space.`
      return
    }
    error.value = null
    const session = mesh.requireSession()
    if (!joined.value.some((r) => r.name === spec.name)) {
      joined.value = [...joined.value, spec]
      save()
    }
    chat.attach(session.open(spec))
    if (spec.kind === 'public') {
      const map = directoryRooms(session.directory().doc)
      if (!map.has(spec.name)) map.set(spec.name, { name: spec.name, createdAt: Date.now(), createdBy: mesh.name })
    }
    if (select) setActive(spec.name)
  }

  function create (name: string, isPrivate: boolean): void {
    const trimmed = name.trim()
    join(isPrivate ? { name: trimmed, kind: 'private', password: randomSecret() } : { name: trimmed, kind: 'public' })
  }

  function leave (name: string): void {
    chat.detach(name)
    mesh.session?.close(name)
    joined.value = joined.value.filter((r) => r.name !== name)
    save()
    if (active.value === name) setActive(joined.value[0]?.name ?? null)
  }

  function setActive (name: string | null): void {
    active.value = name
    chat.setActive(name)
  }

  function inviteLink (name: string, origin = typeof location === 'undefined' ? '' : location.origin): string | null {
    const spec = joined.value.find((r) => r.name === name)
    if (spec === undefined || spec.kind !== 'private') return null
    return `${origin}/?invite=${encodeInvite(spec)}`
  }

  function acceptInvite (code: string): boolean {
    const spec = decodeInvite(code)
    if (spec === null) {
      error.value = 'This invite link is damaged: ask for a new one.'
      return false
    }
    join(spec)
    return true
  }

  /** Opens (and announces) the direct conversation with `peer`. */
  function openDirect (peer: string, peerName: string): void {
    const session = mesh.requireSession()
    const [a, b] = [session.peerId, peer].sort() as [string, string]
    const key = `${a}|${b}`
    const direct = session.directory().doc.getMap<DirectEntry>('direct')
    let entry = direct.get(key)
    if (entry === undefined) {
      entry = { a, b, room: `dm-${a.slice(0, 6)}-${b.slice(0, 6)}`, password: randomSecret(), names: { [session.peerId]: mesh.name, [peer]: peerName } }
      direct.set(key, entry)
    }
    join({ name: entry.room, kind: 'direct', password: entry.password, with: peerName })
  }

  return { joined, publicRooms, active, activeSpec, error, unreadTotal, start, join, create, leave, setActive, inviteLink, acceptInvite, openDirect }
})
