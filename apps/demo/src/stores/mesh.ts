/** Who this browser is (identity, display name) and its MeshSession, held outside deep reactivity. */
import { defineStore } from 'pinia'
import { markRaw, ref, shallowRef } from 'vue'
import { loadConfig } from '../mesh/config'
import { loadIdentity } from '../mesh/identity'
import type { OpenRoomLink } from '../mesh/provider'
import { MeshSession } from '../mesh/session'

export interface StartOptions {
  /** Skip the identity in localStorage (tests give each store its own). */
  readonly peerId?: string
  readonly name?: string
  readonly signaling?: readonly string[]
  readonly openLink?: OpenRoomLink
  readonly persist?: boolean
}

const NAME_KEY = 'ymesh-demo:name'

export const useMeshStore = defineStore('mesh', () => {
  const peerId = ref<string | null>(null)
  const name = ref('')
  const anchor = ref<string | null>(null)
  const status = ref<'idle' | 'starting' | 'ready' | 'error'>('idle')
  const error = ref<string | null>(null)
  const session = shallowRef<MeshSession | null>(null)

  async function start (options: StartOptions = {}): Promise<MeshSession> {
    if (session.value !== null) return session.value
    status.value = 'starting'
    try {
      const config = options.signaling === undefined ? await loadConfig() : { signaling: [...options.signaling], anchor: null }
      anchor.value = config.anchor
      peerId.value = options.peerId ?? (await loadIdentity()).peerId
      name.value = options.name ?? (typeof localStorage === 'undefined' ? null : localStorage.getItem(NAME_KEY)) ?? ''
      if (name.value === '') name.value = `guest-${peerId.value.slice(0, 4)}`
      session.value = markRaw(new MeshSession({
        signaling: config.signaling,
        user: { id: peerId.value, name: name.value },
        ...(options.openLink === undefined ? {} : { openLink: options.openLink }),
        ...(options.persist === undefined ? {} : { persist: options.persist })
      }))
      status.value = 'ready'
      return session.value
    } catch (err) {
      status.value = 'error'
      error.value = err instanceof Error ? err.message : String(err)
      throw err
    }
  }

  function requireSession (): MeshSession {
    if (session.value === null) throw new Error('The mesh session has not started: call useMeshStore().start() first.')
    return session.value
  }

  function setName (next: string): void {
    const trimmed = next.trim().slice(0, 40)
    if (trimmed === '') return
    name.value = trimmed
    if (typeof localStorage !== 'undefined') localStorage.setItem(NAME_KEY, trimmed)
    session.value?.setName(trimmed)
  }

  function stop (): void {
    session.value?.stop()
    session.value = null
    status.value = 'idle'
  }

  return { peerId, name, anchor, status, error, session, start, requireSession, setName, stop }
})
