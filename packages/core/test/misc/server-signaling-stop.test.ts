import { createServer, type Server, type Socket } from 'node:net'
import { afterEach, expect, it } from 'vitest'
import type { PeerId } from '@ymesh/protocol'
import { createCoreMetrics, ServerSignaling, silentLogger } from '@ymesh/core'

let server: Server | null = null
const sockets = new Set<Socket>()
afterEach(async () => {
  for (const s of sockets) s.destroy()
  sockets.clear()
  await new Promise<void>((resolve) => { if (server === null) resolve(); else server.close(() => { resolve() }) })
  server = null
})

it('stopping while the WebSocket is still connecting neither throws nor leaves an unhandled error', async () => {
  // A server that accepts TCP and never answers the upgrade keeps the socket in CONNECTING.
  let accepted!: () => void
  const connected = new Promise<void>((resolve) => { accepted = resolve })
  server = createServer((socket) => { sockets.add(socket); accepted() })
  await new Promise<void>((resolve) => { server!.listen(0, '127.0.0.1', resolve) })
  const { port } = server.address() as { port: number }

  const errors: unknown[] = []
  const onError = (err: unknown): void => { errors.push(err) }
  process.on('uncaughtException', onError)
  try {
    const source = new ServerSignaling({ localPeer: 'a'.repeat(43) as PeerId, urls: [`ws://127.0.0.1:${port}`], metrics: createCoreMetrics(), logger: silentLogger })
    source.start()
    await connected
    source.stop()
    // ws reports the aborted handshake on a later tick; give it a few.
    await new Promise((resolve) => setTimeout(resolve, 50))
  } finally {
    process.off('uncaughtException', onError)
  }
  expect(errors).toEqual([])
})
