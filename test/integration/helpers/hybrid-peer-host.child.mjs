// Hosts one or more peers of one room for the hybrid signaling test and bench, driven over IPC.
// Started by hybrid-peer-host.ts; not a test on its own.
//
//   HYB_KIND=mesh   MeshProviders ('ymesh'), each on its own MeshPeer made here, so that
//                   hybridSignaling can be switched (HYB_HYBRID=1|0); run with tsx and the
//                   'source' condition. Any number of peers per process.
//   HYB_KIND=stock  one stock y-webrtc WebrtcProvider (y-webrtc keeps one room per process),
//                   with maxConns HYB_MAXCONNS.
//
// Parent -> child: { id, cmd: 'join', name, room?, hybrid? } | { id, cmd: 'leave', name } | { id, cmd: 'stats' }
//   | { id, cmd: 'stop' }   (room and hybrid default to HYB_ROOM and HYB_HYBRID; mesh only)
// Child -> parent: { ready: true } first; { id, ok, value?, error? } per command; and
//   { event: 'progress', name, what: 'first' | 'low' | 'synced', ms } when a peer first has one
//   connection, reaches its degree low (HYB_LOW connections), is synced (ms since its join).
import process from 'node:process'
import { monitorEventLoopDelay } from 'node:perf_hooks'

const env = process.env
const [kind, room, signaling] = [env.HYB_KIND, env.HYB_ROOM, env.HYB_SIGNALING]
const maxConns = Number(env.HYB_MAXCONNS || 8)
const low = Number(env.HYB_LOW || 4)
const Y = await import('yjs')
// Loopback only: these peers talk to 127.0.0.1.
const candidateFilter = (c) => c.candidate.includes(' 127.0.0.1 ')

// How late this process runs its callbacks: relayed signals wait in every peer host they pass.
// (The histogram holds timer intervals, so the 10 ms resolution itself is taken off.)
const loop = monitorEventLoopDelay({ resolution: 10 })
loop.enable()
const late = (ns) => Math.max(0, ns / 1e6 - 10)
const loopDelay = () => ({ p50: late(loop.percentile(50)), p99: late(loop.percentile(99)), max: late(loop.max) })

/** name -> { joinedAt, first, low, synced, connections(), stats(), stop() } */
const peers = new Map()
const send = (m) => { if (process.connected) process.send(m) }

const track = (name, p) => {
  const mark = (what) => {
    if (p[what] !== null) return
    p[what] = performance.now() - p.joinedAt
    send({ event: 'progress', name, what, ms: p[what] })
  }
  return () => {
    const n = p.connections()
    if (n >= 1) mark('first')
    if (n >= low) mark('low')
  }
}

// Loaded before 'ready', so that the first join's time is the join's, not the module loading's.
const libs = kind === 'mesh' ? { ...await import('ymesh'), ...await import('@ymesh/core') } : null
// The core counters that say how links came about or why they did not (Prometheus text of the peer).
const COUNTER = /^(ymesh_(?:drops|signaling_drops|glare|connections_opened|relayed_signal_\w+)_total)(\{[^}]*\})? (\d+)$/
const coreCounters = (text) => {
  const out = {}
  for (const line of text.split('\n')) {
    const m = COUNTER.exec(line)
    if (m !== null) out[`${m[1]}${m[2] ?? ''}`] = Number(m[3])
  }
  return out
}

const meshJoin = async (name, room, hybrid) => {
  const { MeshProvider, createPeer, generateIdentity, silentLogger } = libs
  const joinedAt = performance.now()
  const identity = await generateIdentity()
  const high = Math.max(3, maxConns)
  const target = Math.min(6, high)
  const lowDegree = Math.min(4, target)
  // The peer MeshProvider would build for maxConns, made here so the host can read its metrics and hybrid stats.
  const peer = createPeer({
    identity,
    signaling: [signaling],
    logger: silentLogger,
    webrtc: { candidateFilter },
    pool: { degree: { low: lowDegree, target, high }, redundancy: Math.min(3, lowDegree), maxConnections: Math.max(64, high) },
    hybridSignaling: hybrid
  })
  peer.start()
  const doc = new Y.Doc()
  const provider = new MeshProvider(room, doc, { peer, identity, logger: silentLogger, broadcastChannel: false })
  const p = {
    joinedAt, first: null, low: null, synced: null, peerId: identity.peerId,
    connections: () => peer.connectionsIn(room).length,
    stats: () => ({
      hybrid: peer.hybrid === null ? null : { ...peer.hybrid.stats, relayedForOthers: peer.hybrid.relay.relayedForOthers, srttMs: peer.hybrid.timing.smoothedRttMs, parked: peer.hybrid.parkedTopics().length },
      connectionsOpened: opened,
      handshakeFailures,
      closeReasons,
      counters: coreCounters(peer.metricsText())
    }),
    stop: async () => { await provider.destroy(); peer.stop() }
  }
  let opened = 0
  const handshakeFailures = {}
  const closeReasons = {}
  const check = track(name, p)
  peer.on('connection-open', () => { opened++; check() })
  peer.on('connection-close', ({ reason }) => { closeReasons[reason] = (closeReasons[reason] ?? 0) + 1; check() })
  peer.on('handshake-failed', ({ reason }) => { handshakeFailures[reason] = (handshakeFailures[reason] ?? 0) + 1 })
  provider.on('peers', check)
  provider.on('synced', ({ synced }) => {
    if (synced && p.synced === null) { p.synced = performance.now() - joinedAt; send({ event: 'progress', name, what: 'synced', ms: p.synced }) }
  })
  peers.set(name, p)
  return { peerId: identity.peerId }
}

const stockLibs = kind === 'stock'
  ? { WebSocket: globalThis.WebSocket ??= (await import('ws')).WebSocket, wrtc: (await import('@roamhq/wrtc')).default, ...await import('y-webrtc') }
  : null
const stockJoin = async (name) => {
  if (peers.size > 0) throw new Error('a stock y-webrtc process holds one room (module-global room map)')
  const { WebrtcProvider, wrtc } = stockLibs
  const joinedAt = performance.now()
  const doc = new Y.Doc()
  const provider = new WebrtcProvider(room, doc, { signaling: [signaling], maxConns, peerOpts: { wrtc } })
  const connected = () => provider.room === null ? 0 : [...provider.room.webrtcConns.values()].filter((c) => c.connected).length
  const p = {
    joinedAt, first: null, low: null, synced: null,
    get peerId () { return provider.room?.peerId ?? null },
    connections: connected,
    stats: () => ({ hybrid: null, connectionsOpened: opened }),
    stop: async () => { clearInterval(poll); provider.destroy(); doc.destroy() }
  }
  let opened = 0
  let last = 0
  const check = track(name, p)
  // y-webrtc has no "connection open" event on the provider: poll its connection map.
  const poll = setInterval(() => {
    const n = connected()
    if (n > last) opened += n - last
    last = n
    check()
  }, 20)
  provider.on('synced', ({ synced }) => {
    if (synced && p.synced === null) { p.synced = performance.now() - joinedAt; send({ event: 'progress', name, what: 'synced', ms: p.synced }) }
  })
  peers.set(name, p)
  return { peerId: p.peerId }
}

const reply = (id, value) => send({ id, ok: true, value })
process.on('message', (m) => {
  const run = async () => {
    switch (m.cmd) {
      case 'join':
        if (peers.has(m.name)) throw new Error(`peer ${m.name} exists`)
        return reply(m.id, kind === 'stock' ? await stockJoin(m.name) : await meshJoin(m.name, m.room ?? room, m.hybrid ?? env.HYB_HYBRID !== '0'))
      case 'leave': {
        const p = peers.get(m.name)
        peers.delete(m.name)
        await p?.stop()
        return reply(m.id)
      }
      case 'stats':
        return reply(m.id, [...peers].map(([name, p]) => ({
          name, peerId: p.peerId, first: p.first, low: p.low, synced: p.synced, connections: p.connections(), loopDelay: loopDelay(), ...p.stats()
        })))
      case 'stop':
        await Promise.all([...peers.values()].map(async (p) => { await p.stop() }))
        reply(m.id)
        // Give the IPC reply a moment to leave, then go: wrtc keeps native handles alive.
        setTimeout(() => process.exit(0), 50)
        return
      default:
        throw new Error(`unknown command ${m.cmd}`)
    }
  }
  run().catch((err) => send({ id: m.id, ok: false, error: String(err?.stack ?? err) }))
})
process.on('disconnect', () => process.exit(0))
send({ ready: true })
