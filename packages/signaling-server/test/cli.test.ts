import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS, HELP, parseCliArgs } from '@ymesh/signaling-server'

const bin = fileURLToPath(new URL('../src/bin/ymesh-signal.ts', import.meta.url))

describe('ymesh-signal CLI', () => {
  it('parses --port, --host, --redis, limits and the auth key', () => {
    const r = parseCliArgs(['--port', '0', '--host', '::1', '--redis', 'redis://127.0.0.1:6379', '--max-message-bytes', '1024',
      '--messages-per-second', '10', '--auth-public-key', 'k', '--trust-proxy', '--log-level', 'silent', '--ping-interval-ms', '100',
      '--auth-timeout-ms', '50', '--redis-prefix', 'p'])
    if (r.help) throw new Error('unexpected help')
    expect(r.options).toMatchObject({ port: 0, host: '::1', redisUrl: 'redis://127.0.0.1:6379', trustProxy: true, pingIntervalMs: 100,
      authTimeoutMs: 50, redisPrefix: 'p', limits: { maxMessageBytes: 1024, messagesPerSecond: 10 } })
    expect(typeof r.options.authenticate).toBe('function')
  })

  it('defaults to 127.0.0.1:4444, takes PORT from the environment, and answers --help', () => {
    const r = parseCliArgs([])
    expect(!r.help && r.options).toMatchObject({ port: 4444, host: '127.0.0.1' })
    const e = parseCliArgs([], { PORT: '5555' })
    expect(!e.help && e.options.port).toBe(5555)
    expect(parseCliArgs(['--help'])).toEqual({ help: true })
    expect(HELP).toContain('--max-connections-per-ip')
    expect(HELP).toContain(`[${DEFAULT_LIMITS.maxMessageBytes}]`)
  })

  it('refuses unknown flags, bad numbers and bad log levels with a hint', () => {
    expect(() => parseCliArgs(['--bogus'])).toThrow(/--help/)
    expect(() => parseCliArgs(['--port', 'abc'])).toThrow(/--port takes a whole number/)
    expect(() => parseCliArgs(['--log-level', 'loud'])).toThrow(/--log-level/)
  })

  it('runs as a process: prints its address, serves /health, and exits 0 on SIGINT', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', bin, '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          if (out.includes('\n')) resolve(out)
        })
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)))
      })
      const url = /ws:\/\/[^\s]+/.exec(line)?.[0]
      expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/)
      const health = await (await fetch(`${(url as string).replace('ws', 'http')}/health`)).json() as { status: string }
      expect(health.status).toBe('ok')
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
      child.kill('SIGINT')
      expect(await exited).toBe(0)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  }, 30_000) // a cold tsx start of a child process takes seconds on a busy 2-core machine
})
