import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8')
const blocks = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)]
const example = blocks.find(([, lang, body]) => lang === 'ts' && body?.includes('new ContactCache') === true)?.[2] ?? ''
const printed = blocks.find(([, lang, body]) => lang === '' && body?.startsWith('['))?.[2] ?? ''

describe('README example', () => {
  // Inside the package, so Node resolves '@ymesh/data' (the workspace link) from it.
  const dir = mkdtempSync(join(packageDir, '.readme-example-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('runs, exits on its own, and prints what the README says it prints', async () => {
    expect(example).toContain('openRoomLog')
    const file = join(dir, 'example.ts')
    writeFileSync(file, example)
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', file], { cwd: packageDir, timeout: 20_000 })
    expect(stdout).toBe(printed)
  }, 30_000)
})
