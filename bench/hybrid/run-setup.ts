// One setup of the hybrid signaling bench: N peers join a fresh room on the shared server in a
// staggered way; the server's counters are read before the first join and after the room has
// formed (every peer at its degree low, or the deadline) and settled; then every peer is closed
// and the server is back to no connections before the next setup starts.
import { loadavg } from 'node:os'
import type { SignalingServer } from '@ymesh/signaling-server'
import { startPeerHost, stopAllPeerHosts, type HybridPeerStats, type PeerHost } from '../../test/integration/helpers/hybrid-peer-host.js'
import { counterDelta, readServerCounters, type ServerCounters } from './server-counters.js'

export interface SetupSpec {
  /** Row label. */
  label: string
  kind: 'stock' | 'mesh'
  hybrid: boolean
  peers: number
  /** Processes for mesh peers (round-robin); stock peers always get one each. */
  hosts: number
  staggerMs: number
  maxConns: number
  low: number
  /** After the last join, how long to wait for every peer to reach its degree low. */
  formDeadlineMs: number
  /** After the room formed: time for rendezvous parking, before the counters are read. */
  settleMs: number
}

export interface SetupResult {
  spec: SetupSpec
  counters: ServerCounters
  /** Server connections (and topics) held once the room formed and settled. */
  heldConnections: number
  heldTopics: number
  peers: HybridPeerStats[]
  /** Wall time from the first join to the room formed (or the deadline). */
  formMs: number
  /** The machine's 1-minute load average when the room formed (2 cores here). */
  load: number
}

const log = (m: string): void => { process.stderr.write(`[hybrid-signaling bench] ${m}\n`) }
const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** Resolves once `test` holds, checking every `everyMs` (the server has no event for "connections dropped to 0"). */
const until = async (test: () => boolean, deadlineMs: number, everyMs = 100): Promise<boolean> => {
  const end = Date.now() + deadlineMs
  while (!test()) {
    if (Date.now() > end) return false
    await sleep(everyMs)
  }
  return true
}

export const runSetup = async (server: SignalingServer, spec: SetupSpec, room: string): Promise<SetupResult> => {
  const hostCount = spec.kind === 'stock' ? spec.peers : Math.min(spec.hosts, spec.peers)
  log(`${spec.label}: starting ${hostCount} processes`)
  const hosts: PeerHost[] = []
  // A few at a time: dozens of Node processes loading wrtc at once starve the 2 cores.
  for (let i = 0; i < hostCount; i += 5) {
    hosts.push(...await Promise.all(Array.from({ length: Math.min(5, hostCount - i) }, async () => await startPeerHost({
      kind: spec.kind, room, signaling: server.url, hybrid: spec.hybrid, maxConns: spec.maxConns, low: spec.low, timeoutMs: 60_000
    }))))
  }
  const names = Array.from({ length: spec.peers }, (_, i) => `p${i}`)
  const hostOf = (i: number): PeerHost => hosts[i % hosts.length] as PeerHost
  try {
    const before = readServerCounters(server)
    const started = Date.now()
    for (let i = 0; i < spec.peers; i++) {
      const t = Date.now()
      await hostOf(i).join(names[i] as string)
      if (i % 10 === 9 || i === spec.peers - 1) {
        const low = names.slice(0, i + 1).filter((n, k) => hostOf(k).progress(n, 'low') !== null).length
        log(`${spec.label}: ${i + 1}/${spec.peers} joined, ${low} at degree low, server ${server.health().connections} connections`)
      }
      await sleep(Math.max(0, spec.staggerMs - (Date.now() - t)))
    }
    const formed = await until(() => names.every((n, i) => hostOf(i).progress(n, 'low') !== null && hostOf(i).progress(n, 'synced') !== null), spec.formDeadlineMs)
    const formMs = Date.now() - started
    const load = loadavg()[0] as number
    const atLow = names.filter((n, i) => hostOf(i).progress(n, 'low') !== null).length
    log(`${spec.label}: ${formed ? 'room formed' : 'deadline'} after ${(formMs / 1000).toFixed(1)} s (${atLow}/${spec.peers} at degree low); settling ${spec.settleMs / 1000} s`)
    await sleep(spec.settleMs)
    const counters = counterDelta(before, readServerCounters(server))
    const health = server.health()
    const peers = (await Promise.all(hosts.map(async (h) => await h.stats()))).flat()
    log(`${spec.label}: ${counters.messagesIn + counters.messagesOut} server messages, ${health.connections} connections held`)
    return { spec, counters, heldConnections: health.connections, heldTopics: health.topics, peers, formMs, load }
  } finally {
    await Promise.all(hosts.map(async (h) => { await h.stop() }))
    await stopAllPeerHosts()
    if (!await until(() => server.health().connections === 0, 10_000)) log(`${spec.label}: server still has ${server.health().connections} connections after the peers stopped`)
  }
}
