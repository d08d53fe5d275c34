import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const packageDir = fileURLToPath(new URL('../..', import.meta.url))
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8')
const blocks = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map(([, lang, body]) => ({ lang, body: body ?? '' }))

/** The ts block containing `marker` and the plain block right after it (what it prints). */
const exampleWith = (marker: string): { code: string, printed: string } => {
  const i = blocks.findIndex((b) => b.lang === 'ts' && b.body.includes(marker))
  return { code: blocks[i]?.body ?? '', printed: blocks[i + 1]?.lang === '' ? blocks[i + 1]?.body ?? '' : '' }
}

describe('README examples', () => {
  const dir = mkdtempSync(join(packageDir, '.readme-example-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const run = async (marker: string): Promise<void> => {
    const { code, printed } = exampleWith(marker)
    expect(code).toContain(marker)
    const file = join(dir, `${marker.replace(/\W/g, '')}.ts`)
    writeFileSync(file, code)
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', file], { cwd: packageDir, timeout: 30_000 })
    expect(stdout).toBe(printed)
  }

  it('the Connection example runs and prints what the README says', () => run('openConnection({'), 40_000)
  it('the createPeer example runs over real WebRTC, exits on its own, and prints what the README says', () => run('createPeer({'), 40_000)
})
