/** `ymesh start` in-process: signaling, anchor and the demo's static server on free ports, and the CLI entry's help and usage errors. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { describeRunning, runStart, defaultWebRoot } from '../../src/cli/start.js'
import { main } from '../../src/cli/main.js'
import { DEFAULTS } from '../../src/cli/args.js'

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'ymesh-start-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

const webRoot = async (): Promise<string> => {
  const root = join(dir, 'web')
  await mkdir(root, { recursive: true })
  await writeFile(join(root, 'index.html'), '<!doctype html><title>demo</title>')
  return root
}

describe('ymesh start', () => {
  it('runs signaling, the anchor and the app, serves /config.json and /server-load.json, and stops', async () => {
    const running = await runStart({ portSignal: 0, portWeb: 0, host: '127.0.0.1', dataDir: join(dir, 'data'), webRoot: await webRoot(), anchor: true }, { quiet: true })
    try {
      expect(running.anchorPeerId).toMatch(/^[A-Za-z0-9_-]{43}$/)
      const config = await (await fetch(`${running.webUrl}/config.json`)).json() as { signaling: string[], anchor: string }
      expect(config).toMatchObject({ signaling: [running.signalingUrl], anchor: running.anchorPeerId })
      // The anchor's peer has subscribed to the directory room: the server counts its socket.
      const load = await (await fetch(`${running.webUrl}/server-load.json`)).json() as { connections: number, messagesIn: number }
      expect(load.connections).toBeGreaterThanOrEqual(1)
      expect(await (await fetch(`${running.webUrl}/`)).text()).toContain('<title>demo</title>')
      expect(describeRunning(running)).toContain(running.webUrl)
    } finally {
      await running.stop()
    }
    await expect(fetch(`${running.webUrl}/config.json`)).rejects.toThrow()
  })

  it('without the anchor, reports it off', async () => {
    const running = await runStart({ portSignal: 0, portWeb: 0, host: '127.0.0.1', dataDir: join(dir, 'data'), webRoot: await webRoot(), anchor: false }, { quiet: true })
    try {
      expect(running.anchorPeerId).toBeNull()
      expect(describeRunning(running)).toContain('anchor     off')
    } finally {
      await running.stop()
    }
  })

  it('says how to build the app when it is missing, and frees what it started', async () => {
    await expect(runStart({ portSignal: 0, portWeb: 0, host: '127.0.0.1', dataDir: dir, webRoot: join(dir, 'nowhere'), anchor: false }))
      .rejects.toThrow(/npm run build/)
    expect(defaultWebRoot()).toMatch(/apps[/\\]demo[/\\]dist$/)
    expect(DEFAULTS.portWeb).toBe(8080)
  })
})

describe('ymesh (main)', () => {
  it('prints help, and exits 2 with the fix on a usage error', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const err = vi.spyOn(console, 'error').mockImplementation(() => {})
    const before = process.exitCode
    try {
      await main(['--help'])
      expect(String(out.mock.calls[0]?.[0])).toContain('Usage: ymesh <command>')
      await main(['frobnicate'])
      expect(process.exitCode).toBe(2)
      expect(String(err.mock.calls[0]?.[0])).toContain('Unknown command "frobnicate"')
      process.exitCode = undefined
      await main(['start', '--web-root', join(dir, 'nowhere'), '--port-signal', '0', '--port-web', '0'])
      expect(process.exitCode).toBe(1)
      expect(String(err.mock.calls[1]?.[0])).toContain('not built')
    } finally {
      process.exitCode = before
      out.mockRestore()
      err.mockRestore()
    }
  })
})
