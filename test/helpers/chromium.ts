// Drives headless Chromium over the DevTools protocol on a pipe (no port): open a page,
// wait for its load event, await a promise in it and return its value as a string.
// Test-only; shared by the packages' browser tests (crypto, sync).
import { spawn } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'

export const evaluateInChromium = async (chromium: string, url: string, expression: string, profileDir: string): Promise<string> => {
  const child = spawn(chromium, [
    '--headless', '--no-sandbox', '--disable-gpu', '--allow-file-access-from-files',
    '--remote-debugging-pipe', `--user-data-dir=${profileDir}`, 'about:blank'
  ], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] })
  const toBrowser = child.stdio[3] as Writable
  const fromBrowser = child.stdio[4] as Readable
  let nextId = 1
  const pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>()
  const waiters: Array<{ method: string; resolve: () => void }> = []
  let buffer = ''
  fromBrowser.setEncoding('utf8')
  fromBrowser.on('data', (chunk: string) => {
    buffer += chunk
    let end: number
    while ((end = buffer.indexOf('\0')) >= 0) {
      const msg = JSON.parse(buffer.slice(0, end)) as { id?: number; method?: string; result?: Record<string, unknown>; error?: { message: string } }
      buffer = buffer.slice(end + 1)
      if (msg.id !== undefined) {
        const p = pending.get(msg.id)
        pending.delete(msg.id)
        if (msg.error) p?.reject(new Error(msg.error.message))
        else p?.resolve(msg.result ?? {})
      } else if (msg.method !== undefined) {
        for (const w of waiters.filter((w) => w.method === msg.method)) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve()
        }
      }
    }
  })
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`chromium exited with ${code}`))))
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> => {
    const id = nextId++
    const reply = new Promise<Record<string, unknown>>((resolve, reject) => pending.set(id, { resolve, reject }))
    toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0')
    return Promise.race([reply, exited])
  }
  const event = (method: string): Promise<void> => Promise.race([new Promise<void>((resolve) => waiters.push({ method, resolve })), exited])
  try {
    const { targetInfos } = await send('Target.getTargets') as { targetInfos: Array<{ targetId: string; type: string }> }
    const page = targetInfos.find((t) => t.type === 'page')
    if (!page) throw new Error('chromium opened no page')
    const { sessionId } = await send('Target.attachToTarget', { targetId: page.targetId, flatten: true }) as { sessionId: string }
    await send('Page.enable', {}, sessionId)
    const loaded = event('Page.loadEventFired')
    await send('Page.navigate', { url }, sessionId)
    await loaded
    const { result } = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId) as { result: { value?: unknown } }
    return String(result.value)
  } finally {
    exited.catch(() => {})
    // Wait for the exit, so the caller can delete the profile directory.
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill()
      await gone
    }
  }
}
