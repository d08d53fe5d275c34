/**
 * What the mesh is doing in the shown room: connected peers (role, RTT, quality, how they
 * were signaled), routes, the topology every member reports, and how much traffic went
 * peer-to-peer instead of through the signaling server. Polled every two seconds.
 */
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { presenceOf, type PresenceUser, type RoomHandle } from '../mesh/session'
import type { SignaledVia } from '../mesh/provider'
import { useMeshStore } from './mesh'

export type Quality = 'good' | 'fair' | 'poor' | 'unknown'

export interface PeerRow {
  readonly peer: string
  readonly name: string
  readonly role: string
  readonly via: SignaledVia
  readonly rttMs: number | null
  readonly quality: Quality
  readonly bytes: number
}

export interface Route { readonly to: string, readonly toName: string, readonly via: string | null, readonly hops: number }
export interface GraphNode { readonly peer: string, readonly name: string, readonly role: string, readonly self: boolean }
export interface GraphEdge { readonly a: string, readonly b: string }

export interface Totals {
  /** Bytes this browser exchanged directly with peers (data channels, both directions). */
  readonly peerBytes: number
  /** Bytes the signaling server moved for everyone (null when it does not say). */
  readonly serverBytes: number | null
  readonly serverMessages: number | null
}

export const qualityOf = (rttMs: number | null): Quality =>
  rttMs === null ? 'unknown' : rttMs < 50 ? 'good' : rttMs < 200 ? 'fair' : 'poor'

const POLL_MS = 2000

interface PcStats { rttMs: number | null, bytes: number }

const readStats = async (pc: RTCPeerConnection): Promise<PcStats> => {
  let rttMs: number | null = null
  let bytes = 0
  const report = await pc.getStats()
  report.forEach((s: { type: string, state?: string, nominated?: boolean, currentRoundTripTime?: number, bytesSent?: number, bytesReceived?: number }) => {
    if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.currentRoundTripTime !== undefined) rttMs = s.currentRoundTripTime * 1000
    if (s.type === 'data-channel') bytes += (s.bytesSent ?? 0) + (s.bytesReceived ?? 0)
  })
  return { rttMs, bytes }
}

export const useNetworkStore = defineStore('network', () => {
  const mesh = useMeshStore()
  const room = ref<string | null>(null)
  const peers = ref<PeerRow[]>([])
  const routes = ref<Route[]>([])
  const nodes = ref<GraphNode[]>([])
  const edges = ref<GraphEdge[]>([])
  const totals = ref<Totals>({ peerBytes: 0, serverBytes: null, serverMessages: null })
  let timer: ReturnType<typeof setInterval> | null = null

  async function sample (handle: RoomHandle): Promise<void> {
    const users = new Map<string, PresenceUser>()
    const links = handle.link.links()
    const reachable = new Set(links.map((l) => l.peer))
    const states = [...presenceOf(handle.link).values()]
    for (const s of states) if (s.user !== undefined && reachable.has(s.user.peer)) for (const p of s.user.links ?? []) reachable.add(p)
    for (const state of states) {
      // Entries of peers that left linger in awareness for 30 s: keep the reachable ones.
      if (state.user?.peer !== undefined && reachable.has(state.user.peer)) users.set(state.user.peer, state.user)
    }
    const self = handle.link.localPeer
    const rows: PeerRow[] = []
    let peerBytes = 0
    for (const link of links) {
      const stats = link.pc === null ? { rttMs: null, bytes: 0 } : await readStats(link.pc).catch(() => ({ rttMs: null, bytes: 0 }))
      peerBytes += stats.bytes
      const user = users.get(link.peer)
      // A peer without ymesh presence is a stock y-webrtc client.
      rows.push({ peer: link.peer, name: user?.name ?? 'y-webrtc peer', role: user?.role ?? 'stock', via: link.via, rttMs: stats.rttMs, quality: qualityOf(stats.rttMs), bytes: stats.bytes })
    }
    peers.value = rows.sort((a, b) => a.name.localeCompare(b.name))

    const direct = new Set(links.map((l) => l.peer))
    const nodeMap = new Map<string, GraphNode>([[self, { peer: self, name: mesh.name, role: 'browser', self: true }]])
    const edgeSet = new Set<string>()
    const addEdge = (a: string, b: string): void => { edgeSet.add(a < b ? `${a} ${b}` : `${b} ${a}`) }
    for (const p of direct) addEdge(self, p)
    for (const [peer, user] of users) {
      if (peer !== self) nodeMap.set(peer, { peer, name: user.name, role: user.role, self: false })
      for (const other of user.links ?? []) addEdge(peer, other)
    }
    for (const row of rows) if (!nodeMap.has(row.peer)) nodeMap.set(row.peer, { peer: row.peer, name: row.name, role: row.role, self: false })
    nodes.value = [...nodeMap.values()]
    edges.value = [...edgeSet].map((e) => e.split(' ') as [string, string]).filter(([a, b]) => nodeMap.has(a) && nodeMap.has(b)).map(([a, b]) => ({ a, b }))

    const rs: Route[] = []
    for (const [peer, user] of users) {
      if (peer === self) continue
      if (direct.has(peer)) rs.push({ to: peer, toName: user.name, via: null, hops: 1 })
      else {
        const relay = [...direct].find((d) => users.get(d)?.links.includes(peer) === true)
        rs.push({ to: peer, toName: user.name, via: relay === undefined ? null : users.get(relay)?.name ?? relay.slice(0, 6), hops: relay === undefined ? 0 : 2 })
      }
    }
    routes.value = rs

    let serverBytes: number | null = null
    let serverMessages: number | null = null
    try {
      const res = await fetch('/server-load.json', { cache: 'no-store' })
      if (res.ok) {
        const load = await res.json() as { bytesIn: number, bytesOut: number, messagesIn: number, messagesOut: number }
        serverBytes = load.bytesIn + load.bytesOut
        serverMessages = load.messagesIn + load.messagesOut
      }
    } catch {
      // Not served by `ymesh start` (vite dev): the server's share is unknown.
    }
    totals.value = { peerBytes, serverBytes, serverMessages }
  }

  function watch (name: string | null): void {
    room.value = name
    if (timer !== null) clearInterval(timer)
    timer = null
    peers.value = []
    if (name === null) return
    const tick = (): void => {
      const handle = mesh.session?.get(name)
      if (handle !== undefined) void sample(handle)
    }
    tick()
    timer = setInterval(tick, POLL_MS)
  }

  function stop (): void {
    watch(null)
  }

  return { room, peers, routes, nodes, edges, totals, watch, stop, sample }
})
