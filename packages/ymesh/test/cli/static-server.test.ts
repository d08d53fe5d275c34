import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createStaticServer, type StaticServer } from '../../src/cli/static-server.js'
import { parseServerLoad } from '../../src/cli/start.js'

let root: string
let server: StaticServer

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ymesh-static-'))
  await mkdir(join(root, 'assets'))
  await writeFile(join(root, 'index.html'), '<!doctype html><p>app</p>')
  await writeFile(join(root, 'assets', 'app-1.js'), 'console.log(1)')
  await writeFile(join(root, 'assets', 'app-1.css'), 'p{}')
  server = createStaticServer({ root, port: 0, host: '127.0.0.1', routes: { '/config.json': () => ({ signaling: ['ws://x'] }) } })
  await server.start()
})

afterEach(async () => {
  await server.stop()
  await rm(root, { recursive: true, force: true })
})

describe('static server for the built demo', () => {
  it('serves files with their content types and caches hashed assets', async () => {
    const js = await fetch(`${server.url}/assets/app-1.js`)
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(js.headers.get('cache-control')).toContain('immutable')
    expect(await js.text()).toBe('console.log(1)')
    expect((await fetch(`${server.url}/assets/app-1.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8')
  })

  it('answers every app route and deep link with index.html', async () => {
    for (const path of ['/', '/?room=general&name=ALICE', '/rooms/x']) {
      const res = await fetch(server.url + path)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(await res.text()).toContain('<p>app</p>')
    }
  })

  it('404s a missing asset instead of serving the app, and refuses other methods', async () => {
    expect((await fetch(`${server.url}/assets/gone.js`)).status).toBe(404)
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405)
    const head = await fetch(server.url, { method: 'HEAD' })
    expect(head.status).toBe(200)
  })

  it('never serves files outside its root', async () => {
    const { request } = await import('node:http')
    const body = await new Promise<string>((resolve, reject) => {
      // A raw request line: fetch() would normalise the dots away before sending.
      const req = request(`${server.url}/`, { path: '/../../../../etc/passwd' }, (res) => {
        let text = ''
        res.on('data', (c: Buffer) => { text += c.toString() })
        res.on('end', () => { resolve(text) })
      })
      req.on('error', reject)
      req.end()
    })
    expect(body).not.toContain('root:')
  })

  it('answers JSON routes', async () => {
    const res = await fetch(`${server.url}/config.json`)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.json()).toEqual({ signaling: ['ws://x'] })
  })

  it('says what to do when the app is not built', async () => {
    await rm(join(root, 'index.html'))
    const res = await fetch(`${server.url}/`)
    expect(res.status).toBe(404)
    expect(await res.text()).toMatch(/build the app first/)
  })

  it('refuses a second start', async () => {
    await expect(server.start()).rejects.toThrow(/started twice/)
  })
})

describe('server load from the signaling server metrics', () => {
  it('sums counters over their labels', () => {
    const text = [
      '# HELP ymesh_signal_connections x', 'ymesh_signal_connections 3',
      'ymesh_signal_connections_accepted_total 9',
      'ymesh_signal_messages_in_total{type="publish"} 10', 'ymesh_signal_messages_in_total{type="subscribe"} 2',
      'ymesh_signal_bytes_in_total{type="publish"} 100', 'ymesh_signal_messages_out_total{type="publish"} 7',
      'ymesh_signal_bytes_out_total{type="publish"} 70'
    ].join('\n')
    expect(parseServerLoad(text)).toEqual({ connections: 3, messagesIn: 12, messagesOut: 7, bytesIn: 100, bytesOut: 70 })
  })
})
