// Stock y-webrtc peers for integration tests and benches: each one a child process running
// y-webrtc's WebrtcProvider over real WebRTC (@roamhq/wrtc), driven over IPC.
//
//   const peer = await startStockPeer({ room: 'r', signaling: server.url })
//   await peer.insert('hello'); await other.waitForText('hello'); await peer.stop()
//
// stopAllStockPeers() in afterEach/afterAll kills whatever a test left running.
import type { ChildProcess } from 'node:child_process'
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('./stock-peer.child.mjs', import.meta.url))
const running = new Set<ChildProcess>()

export interface StockPeerOptions {
  room: string
  /** The signaling server's ws:// URL (a query string such as ?token=... is kept). */
  signaling: string
  /** y-webrtc's room password: signaling is then encrypted end to end. */
  password?: string
  /** Per-command timeout, ms. Default 20000. */
  timeoutMs?: number
}

export interface StockPeer {
  readonly pid: number
  insert: (text: string) => Promise<void>
  text: () => Promise<string>
  /** Resolves with the document's text once it contains `text`. */
  waitForText: (text: string) => Promise<string>
  /** Resolves once the peer has `count` WebRTC connections. */
  waitForPeers: (count: number) => Promise<void>
  /** Destroys the provider and ends the process (killed if it does not end in time). */
  stop: () => Promise<void>
  /** Resolves when the process has exited, with its exit code. */
  readonly exited: Promise<number | null>
}

interface Reply { id?: number, ok?: boolean, value?: unknown, error?: string, ready?: boolean }

export const startStockPeer = async (o: StockPeerOptions): Promise<StockPeer> => {
  const timeoutMs = o.timeoutMs ?? 20_000
  const child = fork(script, [], {
    env: { ...process.env, YPEER_ROOM: o.room, YPEER_SIGNALING: o.signaling, YPEER_PASSWORD: o.password ?? '' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  running.add(child)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    running.delete(child)
    resolve(code)
  }))
  let nextId = 1
  const pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()
  child.on('message', (m: Reply) => {
    if (m.id === undefined) return
    const p = pending.get(m.id)
    pending.delete(m.id)
    if (m.ok === true) p?.resolve(m.value)
    else p?.reject(new Error(`stock peer: ${m.error ?? 'failed'}`))
  })
  void exited.then((code) => {
    for (const p of pending.values()) p.reject(new Error(`stock peer exited with ${code}`))
    pending.clear()
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('stock peer did not start in time')), timeoutMs)
    child.on('message', (m: Reply) => {
      if (m.ready === true) {
        clearTimeout(timer)
        resolve()
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`stock peer exited with ${code} before it was ready`))
    })
  })
  const call = async (cmd: string, args: Record<string, unknown> = {}): Promise<unknown> => {
    const id = nextId++
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new Error(`stock peer: '${cmd}' ${JSON.stringify(args)} timed out after ${timeoutMs} ms`))
      }, timeoutMs)
      pending.set(id, {
        resolve: (v) => { clearTimeout(timer); resolve(v) },
        reject: (e) => { clearTimeout(timer); reject(e) }
      })
      child.send({ id, cmd, ...args })
    })
  }
  return {
    pid: child.pid as number,
    exited,
    insert: async (text) => { await call('insert', { text }) },
    text: async () => await call('text') as string,
    waitForText: async (text) => await call('wait-text', { text }) as string,
    waitForPeers: async (count) => { await call('wait-peers', { count }) },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const kill = setTimeout(() => child.kill('SIGKILL'), 2000)
      await call('destroy').catch(() => child.kill('SIGKILL'))
      await exited
      clearTimeout(kill)
    }
  }
}

/** Kills every stock peer still running (for afterEach/afterAll). */
export const stopAllStockPeers = async (): Promise<void> => {
  await Promise.all([...running].map(async (child) => {
    const gone = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await gone
  }))
}
