#!/usr/bin/env node
// Finds, or installs, the system packages that tests need and npm cannot provide:
// Debian's chromium (browser tests) and redis-server (scale-out tests).
// Installs only when running as root on a Debian-like machine (CI, fresh containers);
// otherwise it says what is missing and how to install it, and fails.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const wanted = [
  { bin: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', pkg: 'chromium', why: 'browser end-to-end tests' },
  { bin: process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server', pkg: 'redis-server', why: 'Redis scale-out tests' }
]
const only = process.argv.slice(2)
const missing = wanted.filter((w) => (only.length === 0 || only.includes(w.pkg)) && !existsSync(w.bin))
if (missing.length === 0) process.exit(0)

const pkgs = missing.map((m) => m.pkg)
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0
if (!isRoot || !hasApt) {
  console.error(`Missing system packages: ${missing.map((m) => `${m.pkg} (${m.why})`).join(', ')}.`)
  console.error(`Install them with: sudo apt-get install -y ${pkgs.join(' ')}`)
  process.exit(1)
}
console.log(`Installing system packages for the tests: ${pkgs.join(' ')}`)
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env })
