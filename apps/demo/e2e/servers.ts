/**
 * Starts what `npm start` starts (the `ymesh start` command: signaling server, anchor with
 * its store, and the built demo) as a child process on free ports, and stops it with SIGINT
 * as Ctrl-C would.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO = fileURLToPath(new URL('../../..', import.meta.url))

export interface Servers {
  readonly webUrl: string
  readonly signalingUrl: string
  readonly dataDir: string
  /** Everything `ymesh start` printed so far, and how it ended if it did (attached to failed tests). */
  log: () => string
  stop: () => Promise<void>
}

export const startServers = async (): Promise<Servers> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'ymesh-e2e-'))
  const child: ChildProcess = spawn(process.execPath, [join(REPO, 'packages/ymesh/bin/ymesh.js'), 'start', '--port-signal', '0', '--port-web', '0', '--data', dataDir], {
    cwd: REPO, stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  const ready = await new Promise<{ webUrl: string, signalingUrl: string }>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      out += chunk.toString()
      const web = /demo app\s+(\S+)/.exec(out)
      const sig = /signaling\s+(ws:\S+)/.exec(out)
      if (web?.[1] !== undefined && sig?.[1] !== undefined) resolve({ webUrl: web[1], signalingUrl: sig[1] })
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (c: Buffer) => { out += c.toString() })
    child.once('exit', (code, signal) => {
      out += `\n[ymesh start exited: code ${code}, signal ${signal}]\n`
      reject(new Error(`ymesh start exited (${code ?? signal}) before it was ready:\n${out}`))
    })
  })
  return {
    ...ready,
    dataDir,
    log: () => out,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGINT')
        await exited
      }
      await rm(dataDir, { recursive: true, force: true })
    }
  }
}
