#!/usr/bin/env node
// Runs the benchmarks and writes their figures into docs/benchmarks.md.
//
//   npm run bench                 every bench/*.bench.ts
//   npm run bench -- sim routing  only those whose file name contains a word given
//
// Each bench is its own Node process (TypeScript through tsx, packages resolved to their
// sources), so one bench's heap and module state cannot skew another's. A bench prints
// progress on stderr and its markdown section on stdout; this runner replaces that
// bench's section in docs/benchmarks.md and keeps the others.
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { basename, join } from 'node:path'

const root = fileURLToPath(new URL('..', import.meta.url))
const out = join(root, 'docs', 'benchmarks.md')
const filters = process.argv.slice(2)
if (filters.includes('--help')) {
  console.log('usage: npm run bench [-- <name-filter>...]\nWrites docs/benchmarks.md; figures are ratios against baselines run in the same process.')
  process.exit(0)
}
const benches = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort()
if (benches.length === 0) {
  console.error(`no bench matches ${filters.join(', ')}`)
  process.exit(1)
}

const HEADER = `# Benchmarks

Written by \`npm run bench\` (bench/run.mjs); each section by the bench file it names.
Figures are ratios against a baseline run in the same process where one exists: these
machines are shared and noisy, so absolute numbers move between runs.
`
const sections = new Map()
if (existsSync(out)) {
  const re = /<!-- bench:(\S+) -->\n([\s\S]*?)<!-- \/bench:\1 -->/g
  for (const m of readFileSync(out, 'utf8').matchAll(re)) sections.set(m[1], m[2])
}

let failed = 0
for (const file of benches) {
  const name = basename(file, '.bench.ts')
  console.error(`\n== bench ${name}`)
  const started = Date.now()
  const stdout = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=source', '--expose-gc', '--import', 'tsx', join(root, 'bench', file)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit']
    })
    let text = ''
    child.stdout.on('data', (d) => { text += d })
    child.on('close', (code) => {
      if (code !== 0) { failed++; console.error(`bench ${name} exited with ${code}`) }
      resolve(code === 0 ? text : null)
    })
  })
  if (stdout === null) continue
  const when = new Date().toISOString().slice(0, 10)
  const machine = `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`
  sections.set(name, `${stdout.trim()}\n\n_Run ${when} on ${machine}; took ${((Date.now() - started) / 1000).toFixed(1)} s. Reproduce: \`npm run bench -- ${name}\`._\n`)
  console.error(`== bench ${name} done`)
}

const body = [...sections.keys()].sort().map((k) => `<!-- bench:${k} -->\n${sections.get(k)}<!-- /bench:${k} -->`).join('\n\n')
writeFileSync(out, `${HEADER}\n${body}\n`)
console.error(`\nwrote ${out}`)
process.exit(failed === 0 ? 0 : 1)
