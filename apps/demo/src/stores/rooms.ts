/**
 * Which rooms this browser is in, the public directory (a shared document every peer and
 * the anchor replicate), invite links for private rooms and direct conversations.
 */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import {
  DIRECT_SECRET_DOMAIN, ROOM_NAME_PATTERN, directoryDirect, directoryInvites, directoryRooms, openFor, sealAnchorInvite, sealFor, type DirectEntry, type DirectoryEntry
} from '../mesh/directory'
import type { RoomSpec } from '../mesh/session'
import { useChatStore } from './chat'
import { useMeshStore } from './mesh'

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
  // Direct conversations this browser left: the directory still announces them, so without
  // this list they would come back on the next start.
  const leftKey = (): string => `ymesh-demo:left:${mesh.peerId ?? ''}`
  const left = new Set<string>()
  const save = (): void => {
    if (typeof localStorage === 'undefined') return
    localStorage.setItem(storageKey(), JSON.stringify(joined.value))
    localStorage.setItem(leftKey(), JSON.stringify([...left]))
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
    const direct = directoryDirect(directory.doc)
    const opening = new Set<string>()
    const incoming = (): void => {
      for (const entry of direct.values()) {
        const me = session.peerId
        if (entry === null || typeof entry !== 'object' || (entry.a !== me && entry.b !== me)) continue
        if (opening.has(entry.room) || left.has(entry.room) || joined.value.some((r) => r.name === entry.room)) continue
        opening.add(entry.room)
        const other = entry.a === me ? entry.b : entry.a
        // Only this participant's key opens its copy of the password.
        void openFor(session.identity, DIRECT_SECRET_DOMAIN, entry.sealed?.[me]).then((password) => {
          if (password !== null && ROOM_NAME_PATTERN.test(entry.room)) join({ name: entry.room, kind: 'direct', password, with: entry.names?.[other] ?? other.slice(0, 8) }, false)
        })
      }
    }
    direct.observe(incoming)
    const saved = typeof localStorage === 'undefined' ? null : localStorage.getItem(storageKey())
    const savedLeft = typeof localStorage === 'undefined' ? null : localStorage.getItem(leftKey())
    try {
      for (const name of JSON.parse(savedLeft ?? '[]') as string[]) left.add(name)
    } catch {
      localStorage.removeItem(leftKey())
    }
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
      left.delete(spec.name)
      save()
    }
    chat.attach(session.open(spec))
    if (spec.kind !== 'public') void inviteAnchor(spec)
    if (spec.kind === 'public') {
      const directory = session.directory()
      const createdBy = mesh.name
      // Directory edits wait for the provider, so they are signed.
      void directory.loaded.then(() => {
        const map = directoryRooms(directory.doc)
        if (!map.has(spec.name)) map.set(spec.name, { name: spec.name, createdAt: Date.now(), createdBy })
      })
    }
    if (select) setActive(spec.name)
  }

  /**
   * Asks the anchor to store a private room or direct conversation: an invite sealed to its
   * peer id, so only the anchor can read the password. The anchor then holds the room's content
   * (MeshProvider rooms are not end-to-end encrypted) and serves it to offline members.
   */
  async function inviteAnchor (spec: RoomSpec): Promise<void> {
    const anchor = mesh.anchor
    const session = mesh.session
    if (anchor === null || session === null || spec.password === undefined) return
    const invites = directoryInvites(session.directory().doc)
    const key = `${session.peerId}:${spec.name}`
    if (invites.has(key)) return
    const sealed = await sealAnchorInvite(anchor, { room: spec.name, password: spec.password })
    await session.directory().loaded
    invites.set(key, sealed)
  }

  function create (name: string, isPrivate: boolean): void {
    const trimmed = name.trim()
    join(isPrivate ? { name: trimmed, kind: 'private', password: randomSecret() } : { name: trimmed, kind: 'public' })
  }

  function leave (name: string): void {
    chat.detach(name)
    void mesh.session?.close(name)
    const spec = joined.value.find((r) => r.name === name)
    joined.value = joined.value.filter((r) => r.name !== name)
    if (spec?.kind === 'direct') left.add(name)
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

  /**
   * Opens (and announces) the direct conversation with `peer`. The announcement names the
   * two participants and carries the room password sealed to each of them, never in clear.
   */
  async function openDirect (peer: string, peerName: string): Promise<void> {
    const session = mesh.requireSession()
    const [a, b] = [session.peerId, peer].sort() as [string, string]
    const key = `${a}|${b}`
    const directory = session.directory()
    await directory.loaded
    const direct = directoryDirect(directory.doc)
    const existing = direct.get(key)
    let password = existing === undefined ? null : await openFor(session.identity, DIRECT_SECRET_DOMAIN, existing.sealed?.[session.peerId])
    const room = existing?.room ?? `dm-${a.slice(0, 6)}-${b.slice(0, 6)}`
    if (password === null) {
      password = randomSecret()
      const sealed = { [a]: await sealFor(a, DIRECT_SECRET_DOMAIN, password), [b]: await sealFor(b, DIRECT_SECRET_DOMAIN, password) }
      direct.set(key, { a, b, room, names: { [session.peerId]: mesh.name, [peer]: peerName }, sealed } satisfies DirectEntry)
    }
    join({ name: room, kind: 'direct', password, with: peerName })
  }

  return { joined, publicRooms, active, activeSpec, error, unreadTotal, start, join, create, leave, setActive, inviteLink, acceptInvite, openDirect }
})
