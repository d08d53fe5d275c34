// Two Node peers over real WebRTC (@roamhq/wrtc, loopback candidates) through a real
// @ymesh/signaling-server: the authenticated handshake, frames both ways, a tampering
// signaling path detected, and a stock y-webrtc peer recognised as such.
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { generateIdentity } from '@ymesh/crypto'
import { Tag, type IceCandidate } from '@ymesh/protocol'
import { createSignalingServer, silentLogger as serverSilent, type SignalingServer } from '@ymesh/signaling-server'
import { createPeer, silentLogger, type MeshPeer } from '@ymesh/core'
import { startStockPeer, stopAllStockPeers } from './helpers/stock-peer.js'
import { editDescriptions } from '../helpers/signals.js'

const loopbackOnly = (c: IceCandidate): boolean => / 127\.0\.0\.1 \d+ typ /.test(c.candidate)

const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
  await stopAllStockPeers()
})

const waitFor = async (predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const server = async (): Promise<SignalingServer> => {
  const s = createSignalingServer({ port: 0, host: '127.0.0.1', logger: serverSilent })
  await s.start()
  cleanup.push(() => s.stop())
  return s
}

const peer = async (url: string, connectTimeoutMs = 15_000): Promise<MeshPeer> => {
  const p = createPeer({
    identity: await generateIdentity(),
    signaling: [url],
    webrtc: { candidateFilter: loopbackOnly },
    pool: { connectTimeoutMs, backoffMinMs: 200 },
    logger: silentLogger
  })
  cleanup.push(() => { p.stop() })
  p.start()
  return p
}

/** A signaling path that edits the DTLS fingerprint in every description it relays. */
const tamperingProxy = async (upstream: string): Promise<{ url: string, edits: () => number }> => {
  let edits = 0
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise((resolve) => wss.once('listening', resolve))
  wss.on('connection', (client) => {
    const up = new WebSocket(upstream)
    const queue: string[] = []
    up.on('open', () => { for (const m of queue.splice(0)) up.send(m) })
    up.on('message', (data) => { client.send(data.toString()) })
    up.on('close', () => { client.close() })
    client.on('close', () => { up.close() })
    client.on('message', (raw) => {
      let text = raw.toString()
      const m = JSON.parse(text) as { type?: string, data?: unknown }
      if (m.type === 'publish' && editDescriptions(m.data, (sdp) => sdp.replace(/a=fingerprint:sha-256 [0-9A-F:]+/g, 'a=fingerprint:sha-256 ' + Array(32).fill('AB').join(':'))) > 0) {
        edits++
        text = JSON.stringify(m)
      }
      if (up.readyState === WebSocket.OPEN) up.send(text); else queue.push(text)
    })
  })
  cleanup.push(() => new Promise<void>((resolve) => { for (const c of wss.clients) c.terminate(); wss.close(() => resolve()) }))
  const { port } = wss.address() as { port: number }
  return { url: `ws://127.0.0.1:${port}`, edits: () => edits }
}

// A tag this test owns: 10 (envelope) belongs to the peer's routing and gossip.
const TEST_TAG = Tag.FileChunk

describe('createPeer over real WebRTC', () => {
  it('two peers connect through the signaling server, authenticate, and exchange frames', async () => {
    const s = await server()
    const a = await peer(s.url)
    const b = await peer(s.url)
    await a.joinRoom('integration-room')
    await b.joinRoom('integration-room')
    const got: string[] = []
    a.handle(TEST_TAG, (frame, c) => { got.push(`from-${c.remotePeer === b.peerId ? 'b' : '?'}:${frame.payload.length}`) })
    b.handle(TEST_TAG, (frame, c) => {
      got.push(`from-${c.remotePeer === a.peerId ? 'a' : '?'}:${frame.payload.length}`)
      c.send(TEST_TAG, new Uint8Array(5))
    })
    await waitFor(() => a.connections.length === 1 && b.connections.length === 1, 'one connection each')
    const [ab] = a.connections
    expect(ab?.kind).toBe('ymesh')
    expect(ab?.remotePeer).toBe(b.peerId)
    ab?.send(TEST_TAG, new Uint8Array(100_000))
    await waitFor(() => got.length === 2, 'both frames')
    expect(got).toEqual(['from-a:100000', 'from-b:5'])
    expect(a.metrics.handshakes.get({ kind: 'ymesh' })).toBe(1)
  })

  it('a signaling path that edits DTLS fingerprints never yields an authenticated connection, and the failure is counted', async () => {
    const s = await server()
    const proxy = await tamperingProxy(s.url)
    const a = await peer(proxy.url, 5_000)
    const b = await peer(s.url, 5_000)
    await a.joinRoom('tampered-room')
    await b.joinRoom('tampered-room')
    const failures = (): number => a.metrics.handshakeFailures.total() + b.metrics.handshakeFailures.total()
    await waitFor(() => failures() >= 2, 'handshake failures on both sides', 40_000)
    expect(proxy.edits()).toBeGreaterThan(0)
    // With real DTLS the edited fingerprint already stops the link from opening; either way,
    // nothing comes up authenticated.
    expect(a.connections).toEqual([])
    expect(b.connections).toEqual([])
    expect(a.metrics.handshakes.total() + b.metrics.handshakes.total()).toBe(0)
  }, 60_000)

  it('recognises a stock y-webrtc peer as a y-webrtc connection for that room', async () => {
    const s = await server()
    const a = await peer(s.url)
    await a.joinRoom('stock-room')
    const frames: number[] = []
    a.handle(Tag.Sync, (frame) => { frames.push(frame.tag) })
    const stock = await startStockPeer({ room: 'stock-room', signaling: s.url })
    await waitFor(() => a.connections.length === 1 && frames.length > 0, 'a y-webrtc connection and its first sync message')
    const [c] = a.connections
    expect(c?.kind).toBe('y-webrtc')
    expect(c?.room).toBe('stock-room')
    expect(a.metrics.handshakes.get({ kind: 'y-webrtc' })).toBe(1)
    expect(a.metrics.handshakeFailures.total()).toBe(0)
    await stock.stop()
  })
})
