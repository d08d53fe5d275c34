/**
 * Packaging: a browser bundle of 'ymesh' pulls in neither @roamhq/wrtc nor ws (core picks
 * its WebRTC and WebSocket through its imports map's browser condition), and after a build
 * plain Node imports MeshProvider from the package name.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const run = promisify(execFile)

describe('ymesh packaging', () => {
  it('a browser bundle contains no @roamhq/wrtc, ws or node: modules', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      conditions: ['browser', 'source'],
      write: false,
      metafile: true,
      logLevel: 'silent'
    })
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.some((i) => i.includes('packages/ymesh/src/mesh-provider.ts'))).toBe(true)
    expect(inputs.filter((i) => /@roamhq[/\\]wrtc|node_modules[/\\]ws[/\\]|^node:|rtc-node|ws-node/.test(i))).toEqual([])
  }, 60_000)

  it('after a build, plain Node imports MeshProvider from \'ymesh\' at the repo root', async () => {
    await run('npx', ['tsc', '-b', 'packages/ymesh/tsconfig.build.json'], { cwd: root })
    const { stdout } = await run(process.execPath, ['-e', "import('ymesh').then(m => console.log(typeof m.MeshProvider))"], { cwd: root })
    expect(stdout.trim()).toBe('function')
  }, 180_000)
})
