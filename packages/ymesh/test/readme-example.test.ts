/** Runs the README's example as a Node program and checks what it prints. */
import { execFile } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

it('the README example runs and prints what the README says', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const code = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  const printed = /prints\n\n```\n([\s\S]*?)```/.exec(readme)?.[1]
  expect(code).toBeDefined()
  const file = fileURLToPath(new URL('./.readme-example.tmp.ts', import.meta.url))
  writeFileSync(file, code as string)
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', file], { timeout: 30_000 })
    expect(stdout).toBe(printed)
  } finally {
    rmSync(file, { force: true })
  }
}, 40_000)
