/** Simulated browsers for store tests: one pinia and one simulator peer each, cleaned up together. */
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { useMeshStore } from '../../src/stores/mesh'
import { useRoomsStore } from '../../src/stores/rooms'
import { useChatStore } from '../../src/stores/chat'
import { useNetworkStore } from '../../src/stores/network'
import type { MeshNode } from '../../src/mesh/mesh-node'
import { createSimMesh, type SimMesh } from './sim-node'

export interface SimBrowser {
  readonly pinia: Pinia
  readonly node: MeshNode
  readonly m: ReturnType<typeof useMeshStore>
  readonly rooms: ReturnType<typeof useRoomsStore>
  readonly chat: ReturnType<typeof useChatStore>
  readonly network: ReturnType<typeof useNetworkStore>
}

export interface SimBrowsers {
  readonly mesh: SimMesh
  /** A started browser (mesh store started, rooms store started); `node` reuses a peer (a reload). */
  browser: (label: string, name: string, options?: { node?: MeshNode, anchor?: string }) => Promise<SimBrowser>
  /** Stops every browser's stores, then the simulator. */
  close: () => Promise<void>
}

export const createBrowsers = (seed: number): SimBrowsers => {
  const mesh = createSimMesh(seed)
  const pinias: Pinia[] = []
  return {
    mesh,
    async browser (label, name, options = {}) {
      const pinia = createPinia()
      pinias.push(pinia)
      setActivePinia(pinia)
      const node = options.node ?? await mesh.node(label)
      const m = useMeshStore(pinia)
      await m.start({ node, name, ...(options.anchor === undefined ? {} : { anchor: options.anchor }) })
      const rooms = useRoomsStore(pinia)
      rooms.start()
      return { pinia, node, m, rooms, chat: useChatStore(pinia), network: useNetworkStore(pinia) }
    },
    async close () {
      let pending = 0
      for (const p of pinias.splice(0)) {
        setActivePinia(p)
        useChatStore().dispose()
        useNetworkStore().stop()
        pending++
        // Destroying providers waits on simulator time: run it until every stop resolved.
        void useMeshStore().stop().finally(() => { pending-- })
      }
      await mesh.until(() => pending === 0)
      await mesh.close()
    }
  }
}
