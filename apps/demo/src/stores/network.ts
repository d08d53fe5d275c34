/**
 * What the mesh is doing in the shown room: connections (kind, RTT and loss from the
 * connection's own pings, how they were signaled), routes (the peer's router when it has one),
 * the topology every member reports in its presence, and how much traffic went peer-to-peer
 * instead of through the signaling server. Sampled every two seconds.
 */
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { presenceOf, type PresenceUser, type RoomHandle } from '../mesh/session'
import type { PeerLink, SignaledVia } from '../mesh/provider'
import { percentOf, signalCountsOf } from '../mesh/signal-path'
import { useMeshStore } from './mesh'

export type Quality = 'good' | 'fair' | 'poor' | 'unknown'

export interface PeerRow {
  readonly peer: string
  readonly name: string
  readonly role: string
  readonly kind: PeerLink['kind']
  readonly via: SignaledVia
  readonly rttMs: number | null
  readonly loss: number
  readonly quality: Quality
  readonly bytes: number
}

export interface Route {
  readonly to: string
  readonly toName: string
  /** Next hop's name, null when direct (or unknown). */
  readonly via: string | null
  readonly hops: number
  /** 'router': the peer's routing table; 'presence': inferred from members' reported links. */
  readonly source: 'router' | 'presence'
}
export interface GraphNode { readonly peer: string, readonly name: string, readonly role: string, readonly self: boolean }
export interface GraphEdge { readonly a: string, readonly b: string }

export interface Totals {
  /** Bytes this browser exchanged directly with peers in this room (both directions). */
  readonly peerBytes: number
  /** Bytes the signaling server moved for everyone (null when it does not say). */
  readonly serverBytes: number | null
  readonly serverMessages: number | null
  /** Percent of the bytes above that went peer-to-peer (null: nothing to compare). */
  readonly bytesSaving: number | null
  /** This room's connections by how they were signaled. */
  readonly signaled: Readonly<Record<'relayed' | 'server' | 'mixed' | 'unknown', number>>
  /** Signals this browser sent (every room): through peers, through the server; null without hybrid signaling. */
  readonly signalsRelayed: number | null
  readonly signalsServer: number | null
  /** Connections this browser opened since it started, by signaling path; null without hybrid signaling. */
  readonly opened: Readonly<Record<'relayed' | 'server' | 'mixed', number>> | null
  /** Percent of this browser's signals the server never saw (null: none sent yet, or no hybrid signaling). */
  readonly signalSaving: number | null
}

export const emptyTotals = (): Totals => ({
  peerBytes: 0,
  serverBytes: null,
  serverMessages: null,
  bytesSaving: null,
  signaled: { relayed: 0, server: 0, mixed: 0, unknown: 0 },
  signalsRelayed: null,
  signalsServer: null,
  opened: null,
  signalSaving: null
})

export const qualityOf = (rttMs: number | null, loss = 0): Quality =>
  rttMs === null ? 'unknown' : loss > 0.1 || rttMs >= 200 ? 'poor' : loss > 0.02 || rttMs >= 50 ? 'fair' : 'good'

const POLL_MS = 2000

/** What @ymesh/core's MessageRouter reports, read structurally: peers without routing have no router. */
interface RouterLike { routes: () => Array<{ destination: string, nextHop: string | null, hops: number }> }
const routerOf = (peer: object): RouterLike | null => {
  const r = (peer as { router?: unknown }).router
  return r !== null && typeof r === 'object' && typeof (r as RouterLike).routes === 'function' ? r as RouterLike : null
}

export const useNetworkStore = defineStore('network', () => {
  const mesh = useMeshStore()
  const room = ref<string | null>(null)
  const peers = ref<PeerRow[]>([])
  const routes = ref<Route[]>([])
  const nodes = ref<GraphNode[]>([])
  const edges = ref<GraphEdge[]>([])
  const totals = ref<Totals>(emptyTotals())
  let timer: ReturnType<typeof setInterval> | null = null

  async function sample (handle: RoomHandle, fetchLoad: typeof fetch | null = typeof fetch === 'undefined' ? null : fetch): Promise<void> {
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
      peerBytes += link.bytes
      const user = users.get(link.peer)
      const role = user?.role ?? (link.kind === 'y-webrtc' ? 'stock' : 'browser')
      const name = user?.name ?? (link.kind === 'y-webrtc' ? 'y-webrtc peer' : link.peer.slice(0, 8))
      rows.push({ peer: link.peer, name, role, kind: link.kind, via: link.via, rttMs: link.rttMs, loss: link.loss, quality: qualityOf(link.rttMs, link.loss), bytes: link.bytes })
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
    routes.value = routesFor(users, direct, self)

    let serverBytes: number | null = null
    let serverMessages: number | null = null
    try {
      const res = fetchLoad === null ? null : await fetchLoad('/server-load.json', { cache: 'no-store' })
      if (res?.ok === true) {
        const load = await res.json() as { bytesIn: number, bytesOut: number, messagesIn: number, messagesOut: number }
        serverBytes = load.bytesIn + load.bytesOut
        serverMessages = load.messagesIn + load.messagesOut
      }
    } catch {
      // Not served by `ymesh start` (vite dev): the server's share is unknown.
    }
    // The room changed while the server answered: the next sample fills the new one.
    if (room.value !== null && room.value !== handle.spec.name) return
    const signaled = { relayed: 0, server: 0, mixed: 0, unknown: 0 }
    for (const link of links) if (link.via !== 'broadcast-channel') signaled[link.via]++
    const signals = mesh.session === null ? null : signalCountsOf(mesh.session.node.peer)
    totals.value = {
      peerBytes,
      serverBytes,
      serverMessages,
      bytesSaving: serverBytes === null ? null : percentOf(peerBytes, serverBytes),
      signaled,
      signalsRelayed: signals?.relayed ?? null,
      signalsServer: signals?.server ?? null,
      opened: signals?.opened ?? null,
      signalSaving: signals === null ? null : percentOf(signals.relayed, signals.server)
    }
  }

  function routesFor (users: Map<string, PresenceUser>, direct: Set<string>, self: string): Route[] {
    const nameOf = (p: string): string => users.get(p)?.name ?? p.slice(0, 8)
    const router = mesh.session === null ? null : routerOf(mesh.session.node.peer)
    const out: Route[] = []
    const covered = new Set<string>()
    if (router !== null) {
      for (const r of router.routes()) {
        if (!users.has(r.destination) || r.destination === self) continue
        covered.add(r.destination)
        out.push({ to: r.destination, toName: nameOf(r.destination), via: r.nextHop === null || r.nextHop === r.destination ? null : nameOf(r.nextHop), hops: r.hops, source: 'router' })
      }
    }
    for (const [peer] of users) {
      if (peer === self || covered.has(peer)) continue
      if (direct.has(peer)) out.push({ to: peer, toName: nameOf(peer), via: null, hops: 1, source: 'presence' })
      else {
        const relay = [...direct].find((d) => users.get(d)?.links.includes(peer) === true)
        out.push({ to: peer, toName: nameOf(peer), via: relay === undefined ? null : nameOf(relay), hops: relay === undefined ? 0 : 2, source: 'presence' })
      }
    }
    return out.sort((a, b) => a.toName.localeCompare(b.toName))
  }

  function watch (name: string | null): void {
    room.value = name
    if (timer !== null) clearInterval(timer)
    timer = null
    peers.value = []
    routes.value = []
    nodes.value = []
    edges.value = []
    totals.value = emptyTotals()
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
