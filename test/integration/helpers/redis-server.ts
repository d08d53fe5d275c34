// A real redis-server per test file, on a free port, without persistence.
//
//   const redis = await startRedis(); ... redis.url ...; await redis.kill(); await redis.restart(); await redis.stop()
//
// Finds /usr/bin/redis-server (or $REDIS_SERVER_PATH); if missing, runs
// scripts/ensure-system-deps.mjs redis-server, which installs it where it can (CI runs as root)
// and otherwise fails with the apt-get line to run.
import type { ChildProcess } from 'node:child_process'
import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../../', import.meta.url))

export interface RedisProcess {
  readonly port: number
  /** redis://127.0.0.1:<port> */
  readonly url: string
  /** Kills the server abruptly (SIGKILL), as a crash would. */
  kill: () => Promise<void>
  /** Starts it again on the same port (after kill()). */
  restart: () => Promise<void>
  /** Stops it for good. */
  stop: () => Promise<void>
}

export const redisServerPath = (): string => {
  const bin = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server'
  if (!existsSync(bin)) {
    execFileSync(process.execPath, [`${root}scripts/ensure-system-deps.mjs`, 'redis-server'], { stdio: 'inherit' })
  }
  if (!existsSync(bin)) throw new Error(`redis-server is not at ${bin}; install it: apt-get install -y redis-server`)
  return bin
}

const freePort = async (): Promise<number> => await new Promise((resolve, reject) => {
  const s = createServer()
  s.once('error', reject)
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number }
    s.close(() => resolve(port))
  })
})

/** Runs redis-server on `port`; resolves once it accepts connections, rejects if it exits first. */
const spawnRedis = async (bin: string, port: number): Promise<ChildProcess> => {
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    const onData = (d: Buffer): void => {
      out += d.toString()
      if (out.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData)
        child.off('exit', onExit)
        resolve()
      }
    }
    const onExit = (code: number | null): void => reject(new Error(`redis-server exited with ${code}: ${out.slice(-500)}`))
    child.stdout?.on('data', onData)
    child.once('exit', onExit)
  })
  // Keep draining its output so a chatty server never blocks on a full pipe.
  child.stdout?.resume()
  child.stderr?.resume()
  return child
}

const killChild = async (child: ChildProcess | undefined): Promise<void> => {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await gone
}

export const startRedis = async (): Promise<RedisProcess> => {
  const bin = redisServerPath()
  let child: ChildProcess | undefined
  let port = 0
  for (let attempt = 0; child === undefined; attempt++) {
    port = await freePort()
    try {
      child = await spawnRedis(bin, port)
    } catch (err) {
      // Someone took the port between our probe and redis' bind: try another.
      if (attempt >= 4) throw err
    }
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: async () => {
      await killChild(child)
      child = undefined
    },
    restart: async () => {
      await killChild(child)
      child = await spawnRedis(bin, port)
    },
    stop: async () => {
      await killChild(child)
      child = undefined
    }
  }
}
