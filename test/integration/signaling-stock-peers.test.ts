// Stock y-webrtc 10.x peers (each in its own process, real WebRTC through @roamhq/wrtc) sync
// a Y.Doc through @ymesh/signaling-server, unmodified.
import { afterEach, describe, expect, it } from 'vitest'
import { createEd25519Verifier, createSignalingServer, createToken, generateIssuerKeys, silentLogger } from '@ymesh/signaling-server'
import type { SignalingServer, SignalingServerOptions } from '@ymesh/signaling-server'
import { startStockPeer, stopAllStockPeers } from './helpers/stock-peer.js'

let server: SignalingServer | undefined
const start = async (o: SignalingServerOptions = {}): Promise<SignalingServer> => {
  server = createSignalingServer({ port: 0, logger: silentLogger, ...o })
  await server.start()
  return server
}

afterEach(async () => {
  await stopAllStockPeers()
  await server?.stop()
  server = undefined
})

const syncPair = async (signaling: string, room: string, password?: string): Promise<void> => {
  const opts = password === undefined ? {} : { password }
  // One after the other: two stock peers announcing at the same moment both dial, and y-webrtc's
  // glare handling then sometimes leaves neither connection up (an upstream flake, FACTS.md).
  const a = await startStockPeer({ room, signaling, ...opts })
  const b = await startStockPeer({ room, signaling, ...opts })
  await a.insert('hello from a;')
  await b.insert('hello from b;')
  await Promise.all([a.waitForText('hello from b;'), b.waitForText('hello from a;')])
  expect((await a.text()).length).toBe('hello from a;hello from b;'.length)
  expect(await a.text()).toBe(await b.text())
  await Promise.all([a.stop(), b.stop()])
}

// Stock y-webrtc pairs also fail to connect now and then on their own, whatever the server (in
// FACTS.md 1 of 10 password pairs; here 2 plain or token pairs in about 8 full CI runs): a retry
// with fresh processes and a fresh server keeps that upstream flake out of CI. Our server's part
// is asserted on every attempt.
describe('stock y-webrtc peers through @ymesh/signaling-server', { retry: 2 }, () => {
  it('sync a Y.Doc in a plain room', async () => {
    const s = await start()
    await syncPair(s.url, 'plain-room')
    expect(s.metrics.messagesIn.get('publish') ?? 0).toBeGreaterThan(0)
    expect(s.metrics.rejections.size).toBe(0)
  })

  it('sync a Y.Doc in a password room (encrypted signaling)', async () => {
    const s = await start()
    await syncPair(s.url, 'secret-room', 'correct horse battery staple')
    expect(s.metrics.rejections.size).toBe(0)
  })

  it('sync with a room-scoped Ed25519 token in the signaling URL', async () => {
    const keys = await generateIssuerKeys()
    const s = await start({ authenticate: createEd25519Verifier({ publicKey: keys.publicKeyBase64url }) })
    const token = await createToken({ privateKey: keys.privateKey, sub: 'test', rooms: ['token-room'] })
    await syncPair(`${s.url}/?token=${token}`, 'token-room')
    expect(s.metrics.rejections.get('unauthorized') ?? 0).toBe(0)
  })
})
