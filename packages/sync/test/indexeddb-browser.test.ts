// IndexedDbStorage on Chromium's real IndexedDB (headless, driven over a DevTools pipe):
// append, reload, replace, remove, corruption, and a restarted peer, in the browser.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { afterAll, describe, expect, it } from 'vitest'
import { evaluateInChromium } from '../../../test/helpers/chromium.js'

const CHROMIUM = '/usr/bin/chromium'
const entry = fileURLToPath(new URL('./indexeddb-browser-entry.ts', import.meta.url))

describe.skipIf(!existsSync(CHROMIUM))('IndexedDbStorage in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ymesh-sync-browser-'))
  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('appends, reloads, replaces atomically, detects corruption and restores a peer from real IndexedDB', async () => {
    // 'source' resolves the workspace packages to their TypeScript, as in the tests.
    await build({ entryPoints: [entry], bundle: true, format: 'esm', conditions: ['source'], outfile: join(dir, 'entry.js'), logLevel: 'silent' })
    writeFileSync(join(dir, 'index.html'), '<!doctype html><body></body><script type="module" src="entry.js"></script>')
    const body = await evaluateInChromium(CHROMIUM, pathToFileURL(join(dir, 'index.html')).href, 'globalThis.ymeshSyncIndexedDb', join(dir, 'profile'))
    expect(body.startsWith('DONE'), body).toBe(true)
    const lines = new Map(body.split('\n').slice(1).map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)]))
    // Concurrent appends keep their call order: IndexedDB runs readwrite transactions in order.
    expect(lines.get('append')).toBe('01,0203,04')
    expect(lines.get('docs')).toBe('a,b')
    expect(lines.get('reload')).toBe('01,0203,04')
    expect(lines.get('replace')).toBe('64,65 2a 0')
    expect(lines.get('removed')).toBe('a')
    // Record 1 fails its MAC, record 2 is not bytes: both skipped and counted, 0 and 3 load.
    expect(lines.get('corrupt')).toBe('2 0000,0303')
    expect(lines.get('restart')).toBe('in IndexedDB verified=0')
  }, 90_000)
})
