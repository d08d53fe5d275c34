/**
 * Two MeshProviders in separate processes sync through the ymesh signaling server; each
 * restarts with the Node store and shows its document at once, before any network, then
 * catches up on what it missed while it was down.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { exportIdentity, generateIdentity } from '@ymesh/crypto'
import { createSignalingServer, silentLogger } from '@ymesh/signaling-server'
import { startProviderPeer, stopAllProviderPeers } from './helpers/provider-peer.js'

const dirs: string[] = []
afterEach(async () => {
  await stopAllProviderPeers()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('MeshProvider persistence across restarts (Node store)', () => {
  it('a restarted peer shows its document offline at once and syncs what it missed', async () => {
    const server = createSignalingServer({ port: 0, host: '127.0.0.1', logger: silentLogger })
    const { url } = await server.start()
    try {
      const room = `persist-${Math.random().toString(36).slice(2)}`
      const dirA = mkdtempSync(join(tmpdir(), 'ymesh-a-'))
      const dirB = mkdtempSync(join(tmpdir(), 'ymesh-b-'))
      dirs.push(dirA, dirB)
      const idA = JSON.stringify(await exportIdentity(await generateIdentity()))
      const idB = JSON.stringify(await exportIdentity(await generateIdentity()))
      let a = await startProviderPeer({ kind: 'mesh', room, signaling: url, identity: idA, dataDir: dirA })
      const b = await startProviderPeer({ kind: 'mesh', room, signaling: url, identity: idB, dataDir: dirB })
      await a.insert('one;')
      await b.waitForText('one;')
      await a.stop()
      await b.insert('two;') // while a is down
      // 'ready' comes before any connection: initialText is the stored document.
      a = await startProviderPeer({ kind: 'mesh', room, signaling: url, identity: idA, dataDir: dirA })
      expect(a.initialText).toBe('one;')
      expect(await a.waitForText('two;')).toContain('one;')
      await a.insert('three;')
      await b.waitForText('three;')
      await b.stop()
      // Offline: the signaling address refuses connections; the stored document shows anyway.
      const again = await startProviderPeer({ kind: 'mesh', room, signaling: 'ws://127.0.0.1:9', identity: idB, dataDir: dirB })
      expect(again.initialText).toContain('three;')
      await again.stop()
      await a.stop()
    } finally {
      await server.stop()
    }
  })
})
