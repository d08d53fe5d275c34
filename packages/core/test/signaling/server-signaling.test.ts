import WebSocket from 'ws'
import { describe, expect, it } from 'vitest'
import type { PeerId } from '@ymesh/protocol'
import { createSignalingServer, silentLogger as serverSilent, type SignalingServer } from '@ymesh/signaling-server'
import { createCoreMetrics, InvalidOptionsError, ServerSignaling, silentLogger } from '@ymesh/core'
import { describeSignalingAcceptance } from './suite.js'

const startServer = async (port = 0): Promise<SignalingServer> => {
  const server = createSignalingServer({ port, host: '127.0.0.1', logger: serverSilent })
  await server.start()
  return server
}

const waitFor = async (predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describeSignalingAcceptance({
  name: 'ServerSignaling against @ymesh/signaling-server',
  async create () {
    let server = await startServer()
    const port = Number(new URL(server.url).port)
    const sources: { stop(): void }[] = []
    return {
      createSource (peer: PeerId) {
        const metrics = createCoreMetrics()
        const source = new ServerSignaling({ localPeer: peer, urls: [server.url], metrics, logger: silentLogger, reconnectMinMs: 50, reconnectMaxMs: 200 })
        sources.push(source)
        return { source, metrics }
      },
      waitFor,
      async rawPublish (topic, data) {
        const ws = new WebSocket(server.url)
        await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
        ws.send(JSON.stringify({ type: 'publish', topic, data }))
        await new Promise((resolve) => { ws.once('close', resolve); ws.close() })
      },
      async restartServer () {
        await server.stop()
        server = await startServer(port)
      },
      async close () {
        for (const s of sources) s.stop()
        await server.stop()
      }
    }
  }
})

describe('ServerSignaling', () => {
  it('has no default server and refuses URLs that are not WebSocket URLs', () => {
    const localPeer = 'a'.repeat(43) as PeerId
    expect(() => new ServerSignaling({ localPeer, urls: [] })).toThrow(InvalidOptionsError)
    expect(() => new ServerSignaling({ localPeer, urls: ['http://127.0.0.1:1'] })).toThrow(/ws:\/\//)
  })

  it('moves on to the next URL when one is down', async () => {
    const server = await startServer()
    const source = new ServerSignaling({ localPeer: 'a'.repeat(43) as PeerId, urls: ['ws://127.0.0.1:1', server.url], logger: silentLogger, reconnectMinMs: 20 })
    try {
      source.start()
      await waitFor(() => source.connected, 'connected to the second URL')
    } finally {
      source.stop()
      await server.stop()
    }
  })
})
