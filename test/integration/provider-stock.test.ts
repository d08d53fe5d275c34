/**
 * MeshProvider ↔ stock y-webrtc 10.x over real WebRTC, each peer in its own process: through
 * the ymesh signaling server and through y-webrtc's own bin/server.js, with and without a
 * password; the document syncs both ways and each sees the other's awareness.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createSignalingServer, silentLogger } from '@ymesh/signaling-server'
import { freePort, startProviderPeer, stopAllProviderPeers } from './helpers/provider-peer.js'

type Server = { url: string, stop: () => Promise<void> }

const ymeshServer = async (): Promise<Server> => {
  const server = createSignalingServer({ port: 0, host: '127.0.0.1', logger: silentLogger })
  const { url } = await server.start()
  return { url, stop: async () => { await server.stop() } }
}

const yWebrtcServer = async (): Promise<Server> => {
  const port = await freePort()
  // bin/server.js is not in y-webrtc's exports map: find it next to the package's CommonJS build.
  const script = join(dirname(createRequire(import.meta.url).resolve('y-webrtc')), '..', 'bin', 'server.js')
  const child: ChildProcess = fork(script, [], { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  const url = `ws://127.0.0.1:${port}`
  // Wait until it accepts a WebSocket (it prints nothing we can rely on).
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const ws = new WebSocket(url)
      ws.once('open', () => { ws.close(); resolve(true) })
      ws.once('error', () => { resolve(false) })
    })
    if (ok) break
    if (i > 100) throw new Error('y-webrtc signaling server did not start')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url,
    stop: async () => {
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.kill()
      await gone
    }
  }
}

afterEach(async () => { await stopAllProviderPeers() })

describe.each([
  ['the ymesh signaling server', ymeshServer],
  ['y-webrtc\'s own server', yWebrtcServer]
])('MeshProvider and a stock y-webrtc peer through %s', (_name, startServer) => {
  let server: Server
  beforeAll(async () => { server = await startServer() })
  afterAll(async () => { await server.stop() })

  it.each([[undefined], ['pa55word']])('sync both ways and see each other\'s awareness (password: %s)', async (password) => {
    const room = `interop-${Math.random().toString(36).slice(2)}`
    const mesh = await startProviderPeer({ kind: 'mesh', room, signaling: server.url, ...(password === undefined ? {} : { password }) })
    const stock = await startProviderPeer({ kind: 'stock', room, signaling: server.url, ...(password === undefined ? {} : { password }) })
    await mesh.insert('from-mesh;')
    await stock.insert('from-stock;')
    await mesh.setUser('mesh-user')
    await stock.setUser('stock-user')
    expect(await stock.waitForText('from-mesh;')).toContain('from-stock;')
    expect(await mesh.waitForText('from-stock;')).toContain('from-mesh;')
    await stock.waitForUser('mesh-user')
    await mesh.waitForUser('stock-user')
    await mesh.stop()
    await stock.stop()
  })
})

describe('requireAuth', () => {
  let server: Server
  beforeAll(async () => { server = await ymeshServer() })
  afterAll(async () => { await server.stop() })

  it('a MeshProvider with requireAuth refuses the stock peer\'s content, and two ymesh peers still sync', async () => {
    const room = `auth-${Math.random().toString(36).slice(2)}`
    const a = await startProviderPeer({ kind: 'mesh', room, signaling: server.url, requireAuth: true })
    const b = await startProviderPeer({ kind: 'mesh', room, signaling: server.url, requireAuth: true })
    const stock = await startProviderPeer({ kind: 'stock', room, signaling: server.url })
    await stock.insert('stock-edit;')
    await a.insert('auth-edit;')
    await b.waitForText('auth-edit;')
    // The stock edit was made before the signed one reached b; b never shows it.
    expect(await b.text()).not.toContain('stock-edit;')
    expect(await a.text()).not.toContain('stock-edit;')
    expect(await stock.text()).not.toContain('auth-edit;')
    await a.stop()
    await b.stop()
    await stock.stop()
  })
})
