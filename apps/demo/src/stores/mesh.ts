/** Who this browser is (identity, display name) and its MeshSession, held outside deep reactivity. */
import { defineStore } from 'pinia'
import { markRaw, ref, shallowRef } from 'vue'
import { loadConfig } from '../mesh/config'
import { loadIdentity } from '../mesh/identity'
import { createBrowserNode, type MeshNode } from '../mesh/mesh-node'
import type { OpenRoomLink } from '../mesh/provider'
import { MeshSession } from '../mesh/session'

export interface StartOptions {
  /** A ready peer (tests: one on the simulator); default: this tab's, from /config.json and the saved identity. */
  readonly node?: MeshNode
  readonly name?: string
  /** The anchor's peer id when `node` is given. */
  readonly anchor?: string | null
  readonly openLink?: OpenRoomLink
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
      let node = options.node
      if (node === undefined) {
        const config = await loadConfig()
        anchor.value = config.anchor
        node = createBrowserNode({ identity: await loadIdentity(), signaling: config.signaling, anchor: config.anchor })
      } else {
        anchor.value = options.anchor ?? null
      }
      peerId.value = node.identity.peerId
      name.value = options.name ?? (typeof localStorage === 'undefined' ? null : localStorage.getItem(NAME_KEY)) ?? ''
      if (name.value === '') name.value = `guest-${peerId.value.slice(0, 4)}`
      session.value = markRaw(new MeshSession({
        node: markRaw(node),
        name: name.value,
        ...(options.openLink === undefined ? {} : { openLink: options.openLink })
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

  async function stop (): Promise<void> {
    const s = session.value
    session.value = null
    status.value = 'idle'
    await s?.stop()
  }

  return { peerId, name, anchor, status, error, session, start, requireSession, setName, stop }
})
