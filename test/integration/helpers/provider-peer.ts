// Providers in child processes for the MeshProvider integration tests: a stock y-webrtc
// WebrtcProvider or a MeshProvider, each in its own process, over real WebRTC.
import { fork, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('./provider-peer.child.mjs', import.meta.url))
const running = new Set<ChildProcess>()

export interface ProviderPeerOptions {
  kind: 'stock' | 'mesh'
  room: string
  signaling: string
  password?: string
  requireAuth?: boolean
  /** exportIdentity() JSON, so a restarted mesh peer is the same identity. */
  identity?: string
  /** Directory for the Node store (mesh only). */
  dataDir?: string
  timeoutMs?: number
}

export interface ProviderPeer {
  /** The document's text when the provider was ready (before any network). */
  readonly initialText: string
  insert: (text: string) => Promise<void>
  text: () => Promise<string>
  waitForText: (text: string) => Promise<string>
  setUser: (name: string) => Promise<void>
  waitForUser: (name: string) => Promise<void>
  stop: () => Promise<void>
}

interface Reply { id?: number, ok?: boolean, value?: unknown, error?: string, ready?: boolean, text?: string }

export const startProviderPeer = async (o: ProviderPeerOptions): Promise<ProviderPeer> => {
  const timeoutMs = o.timeoutMs ?? 30_000
  const child = fork(script, [], {
    execArgv: o.kind === 'mesh' ? ['--conditions=source', '--import', 'tsx'] : [],
    env: {
      ...process.env,
      YPEER_KIND: o.kind,
      YPEER_ROOM: o.room,
      YPEER_SIGNALING: o.signaling,
      YPEER_PASSWORD: o.password ?? '',
      YPEER_REQUIRE_AUTH: o.requireAuth === true ? '1' : '',
      YPEER_IDENTITY: o.identity ?? '',
      YPEER_DATA: o.dataDir ?? ''
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  running.add(child)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { running.delete(child); resolve(code) }))
  let nextId = 1
  const pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()
  child.on('message', (m: Reply) => {
    if (m.id === undefined) return
    const p = pending.get(m.id)
    pending.delete(m.id)
    if (m.ok === true) p?.resolve(m.value)
    else p?.reject(new Error(`${o.kind} peer: ${m.error ?? 'failed'}`))
  })
  void exited.then((code) => {
    for (const p of pending.values()) p.reject(new Error(`${o.kind} peer exited with ${code}`))
    pending.clear()
  })
  const initialText = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`${o.kind} peer did not start in time`)) }, timeoutMs)
    child.on('message', (m: Reply) => { if (m.ready === true) { clearTimeout(timer); resolve(m.text ?? '') } })
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`${o.kind} peer exited with ${code} before it was ready`)) })
  })
  const call = async (cmd: string, args: Record<string, unknown> = {}): Promise<unknown> => {
    const id = nextId++
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => { pending.delete(id); reject(new Error(`${o.kind} peer: '${cmd}' ${JSON.stringify(args)} timed out after ${timeoutMs} ms`)) }, timeoutMs)
      pending.set(id, { resolve: (v) => { clearTimeout(timer); resolve(v) }, reject: (e) => { clearTimeout(timer); reject(e) } })
      child.send({ id, cmd, ...args })
    })
  }
  return {
    initialText,
    insert: async (text) => { await call('insert', { text }) },
    text: async () => await call('text') as string,
    waitForText: async (text) => await call('wait-text', { text }) as string,
    setUser: async (name) => { await call('set-user', { name }) },
    waitForUser: async (name) => { await call('wait-user', { name }) },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const kill = setTimeout(() => child.kill('SIGKILL'), 3000)
      await call('destroy').catch(() => child.kill('SIGKILL'))
      await exited
      clearTimeout(kill)
    }
  }
}

export const stopAllProviderPeers = async (): Promise<void> => {
  await Promise.all([...running].map(async (child) => {
    const gone = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await gone
  }))
}

/** A port that was free a moment ago (for y-webrtc's bin/server.js, which takes PORT and cannot report port 0's choice). */
export const freePort = async (): Promise<number> => await new Promise((resolve, reject) => {
  const s = createServer()
  s.once('error', reject)
  s.listen(0, '127.0.0.1', () => {
    const port = (s.address() as { port: number }).port
    s.close(() => { resolve(port) })
  })
})
