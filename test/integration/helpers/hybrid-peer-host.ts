// Processes hosting peers of one room over real WebRTC, for the hybrid signaling test and
// bench: ymesh MeshProviders (hybrid signaling on or off, any number per process) or one stock
// y-webrtc provider per process. Each reports when its peers get their first connection,
// reach their degree low and are synced (ms since their join), and their hybrid signaling stats.
//
//   const host = await startPeerHost({ kind: 'mesh', room, signaling: server.url, hybrid: true })
//   await host.join('p0'); await host.reached('p0', 'low'); const [s] = await host.stats()
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('./hybrid-peer-host.child.mjs', import.meta.url))
const running = new Set<ChildProcess>()
/** Processes this module killed on purpose; any other death by a signal is a crash worth naming. */
const killedByUs = new WeakSet<ChildProcess>()
const killHard = (child: ChildProcess): void => { killedByUs.add(child); child.kill('SIGKILL') }

export interface PeerHostOptions {
  kind: 'mesh' | 'stock'
  room: string
  signaling: string
  /** Mesh only: hybrid signaling (default true); false = server-only addressed signaling. */
  hybrid?: boolean
  /** Mesh: MeshProvider's maxConns (degree high; target min(6, it), low min(4, target)). Stock: y-webrtc's maxConns. Default 8. */
  maxConns?: number
  /** Connections that count as "degree low reached". Default 4 (a mesh peer's low with maxConns 8). */
  low?: number
  /** Per-command timeout, ms. Default 30000. */
  timeoutMs?: number
}

export type Milestone = 'first' | 'low' | 'synced'

export interface HybridPeerStats {
  name: string
  peerId: string | null
  /** ms from join to the first connection, to degree low, to synced; null if not (yet) reached. */
  first: number | null
  low: number | null
  synced: number | null
  connections: number
  /** Connections this peer opened since its join (closed ones included). */
  connectionsOpened: number
  /** Mesh only: link attempts that failed before a connection, and connections closed, by reason. */
  handshakeFailures?: Record<string, number>
  closeReasons?: Record<string, number>
  /** Mesh only: core counters by 'name{labels}' — drops, signaling drops, glare, connections opened by signal path, relayed-signal counters. */
  counters?: Record<string, number>
  /** The host process's event loop delay since it started (ms), the same for every peer of one host. */
  loopDelay?: { p50: number, p99: number, max: number }
  /** HybridSignaling.stats plus the capsules relayed for others; null for server-only and stock peers. */
  hybrid: null | {
    relayed: number
    fallbacks: number
    /** Acks that came after the capsule had also gone through the server. */
    lateAcks?: number
    /** Fallbacks not sent to the server: the target was parked (the server would drop them). */
    withheld?: number
    serverSignals: number
    declines: number
    learned: number
    answered: number
    relayedForOthers: number
    /** Smoothed relay round trip (capsule out, ack back), null before the first ack. */
    srttMs: number | null
    /** Rooms this peer left at the server (rendezvous rule). */
    parked: number
    fallbackReasons: Record<string, number>
    /** Repeated announces by why (HybridStats.reannounceReasons). */
    reannounceReasons?: Record<string, number>
  }
}

export interface PeerHost {
  readonly pid: number
  /** Mesh hosts may take another room and hybrid setting than the host's. */
  join: (name: string, o?: { room?: string, hybrid?: boolean }) => Promise<{ peerId: string | null }>
  /** Stops peer `name` (its milestones stay known). */
  leave: (name: string) => Promise<void>
  /** Resolves with the ms since join once peer `name` reached `what`; rejects after `timeoutMs`. */
  reached: (name: string, what: Milestone, timeoutMs?: number) => Promise<number>
  /** Whether peer `name` reached `what` already (ms), else null. */
  progress: (name: string, what: Milestone) => number | null
  stats: () => Promise<HybridPeerStats[]>
  /** Stops the peers and ends the process (killed if it does not end in time). */
  stop: () => Promise<void>
  /** SIGKILL, no goodbye: a crash. */
  kill: () => Promise<void>
  readonly exited: Promise<number | null>
}

interface Message { id?: number, ok?: boolean, value?: unknown, error?: string, ready?: boolean, event?: string, name?: string, what?: Milestone, ms?: number }

export const startPeerHost = async (o: PeerHostOptions): Promise<PeerHost> => {
  const timeoutMs = o.timeoutMs ?? 30_000
  const child = fork(script, [], {
    execArgv: o.kind === 'mesh' ? ['--conditions=source', '--import', 'tsx'] : [],
    env: {
      ...process.env,
      HYB_KIND: o.kind,
      HYB_ROOM: o.room,
      HYB_SIGNALING: o.signaling,
      HYB_HYBRID: o.hybrid === false ? '0' : '1',
      HYB_MAXCONNS: String(o.maxConns ?? 8),
      HYB_LOW: String(o.low ?? 4)
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  running.add(child)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => {
    running.delete(child)
    // A native crash (wrtc) ends the process by a signal: name it, since nothing else will.
    if (signal !== null && !killedByUs.has(child)) process.stderr.write(`${o.kind} peer host ${child.pid ?? '?'} died of ${signal}\n`)
    resolve(code)
  }))
  let nextId = 1
  const pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()
  const seen = new Map<string, number>()
  const waiters = new Set<{ key: string, resolve: (ms: number) => void }>()
  child.on('message', (m: Message) => {
    if (m.event === 'progress') {
      const key = `${m.name ?? ''}/${m.what ?? ''}`
      seen.set(key, m.ms ?? 0)
      for (const w of [...waiters]) if (w.key === key) { waiters.delete(w); w.resolve(m.ms ?? 0) }
      return
    }
    if (m.id === undefined) return
    const p = pending.get(m.id)
    pending.delete(m.id)
    if (m.ok === true) p?.resolve(m.value)
    else p?.reject(new Error(`${o.kind} peer host: ${m.error ?? 'failed'}`))
  })
  void exited.then((code) => {
    for (const p of pending.values()) p.reject(new Error(`${o.kind} peer host exited with ${code}`))
    pending.clear()
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`${o.kind} peer host did not start in time`)) }, timeoutMs)
    child.on('message', (m: Message) => { if (m.ready === true) { clearTimeout(timer); resolve() } })
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`${o.kind} peer host exited with ${code} before it was ready`)) })
  })
  const call = async (cmd: string, args: Record<string, unknown> = {}): Promise<unknown> => {
    const id = nextId++
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => { pending.delete(id); reject(new Error(`${o.kind} peer host: '${cmd}' timed out after ${timeoutMs} ms`)) }, timeoutMs)
      pending.set(id, { resolve: (v) => { clearTimeout(timer); resolve(v) }, reject: (e) => { clearTimeout(timer); reject(e) } })
      child.send({ id, cmd, ...args })
    })
  }
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null
  return {
    pid: child.pid as number,
    exited,
    join: async (name, j = {}) => await call('join', { name, ...j }) as { peerId: string | null },
    leave: async (name) => { await call('leave', { name }) },
    progress: (name, what) => seen.get(`${name}/${what}`) ?? null,
    reached: async (name, what, waitMs = timeoutMs) => {
      const key = `${name}/${what}`
      const ms = seen.get(key)
      if (ms !== undefined) return ms
      return await new Promise<number>((resolve, reject) => {
        const w = { key, resolve: (v: number) => { clearTimeout(timer); resolve(v) } }
        const timer = setTimeout(() => { waiters.delete(w); reject(new Error(`${o.kind} peer ${name} did not reach '${what}' within ${waitMs} ms`)) }, waitMs)
        waiters.add(w)
      })
    },
    stats: async () => await call('stats') as HybridPeerStats[],
    stop: async () => {
      if (gone()) return
      const kill = setTimeout(() => killHard(child), 5000)
      await call('stop').catch(() => killHard(child))
      await exited
      clearTimeout(kill)
    },
    kill: async () => {
      if (gone()) return
      killHard(child)
      await exited
    }
  }
}

/** Kills every peer host still running (for afterEach/afterAll and bench clean-up). */
export const stopAllPeerHosts = async (): Promise<void> => {
  await Promise.all([...running].map(async (child) => {
    const gone = new Promise((resolve) => child.once('exit', resolve))
    killHard(child)
    await gone
  }))
}
