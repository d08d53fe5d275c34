/**
 * Serves a built single-page app with node:http: files with their content types, hashed
 * assets cached for good, index.html for every other path (client-side routes and deep
 * links like /?room=x), and a few dynamic JSON routes (the app's runtime configuration).
 */
import { createServer, type Server } from 'node:http'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, resolve, sep } from 'node:path'

export const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm'
})

export type JsonRoute = () => unknown

export interface StaticServerOptions {
  readonly root: string
  readonly port: number
  readonly host: string
  /** Exact paths answered with JSON instead of files, e.g. '/config.json'. */
  readonly routes?: Readonly<Record<string, JsonRoute>>
}

export interface StaticServer {
  readonly url: string
  start: () => Promise<{ url: string, port: number }>
  stop: () => Promise<void>
}

const isFile = async (path: string): Promise<boolean> => {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

export const createStaticServer = (options: StaticServerOptions): StaticServer => {
  const root = resolve(options.root)
  let server: Server | null = null
  let url = ''

  const respond = async (method: string, rawPath: string): Promise<{ status: number, headers: Record<string, string>, body: Uint8Array | string }> => {
    if (method !== 'GET' && method !== 'HEAD') return { status: 405, headers: { allow: 'GET, HEAD' }, body: 'method not allowed\n' }
    let path: string
    try {
      path = decodeURIComponent(rawPath)
    } catch {
      return { status: 400, headers: {}, body: 'bad path\n' }
    }
    const route = options.routes?.[path]
    if (route !== undefined) {
      return { status: 200, headers: { 'content-type': CONTENT_TYPES['.json']!, 'cache-control': 'no-store' }, body: JSON.stringify(await route()) }
    }
    const file = normalize(join(root, path))
    if (file !== root && !file.startsWith(root + sep)) return { status: 403, headers: {}, body: 'forbidden\n' }
    if (path !== '/' && await isFile(file)) {
      const cache = path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'
      return { status: 200, headers: { 'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', 'cache-control': cache }, body: await readFile(file) }
    }
    // A missing file that looks like an asset is a 404, not the app (a stale bundle must fail loudly).
    if (extname(path) !== '' && extname(path) !== '.html') return { status: 404, headers: {}, body: 'not found\n' }
    const index = join(root, 'index.html')
    if (!await isFile(index)) return { status: 404, headers: {}, body: `no index.html in ${root}: build the app first (npm run build).\n` }
    return { status: 200, headers: { 'content-type': CONTENT_TYPES['.html']!, 'cache-control': 'no-cache' }, body: await readFile(index) }
  }

  return {
    get url () { return url },
    start: async () => {
      if (server !== null) throw new Error('The static server was started twice; stop() it first.')
      const s = createServer((req, res) => {
        const path = new URL(req.url ?? '/', 'http://localhost').pathname
        respond(req.method ?? 'GET', path).then(({ status, headers, body }) => {
          res.writeHead(status, { 'x-content-type-options': 'nosniff', ...headers })
          res.end(req.method === 'HEAD' ? undefined : body)
        }, (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' })
          res.end(`internal error: ${String(err)}\n`)
        })
      })
      server = s
      await new Promise<void>((ok, fail) => {
        s.once('error', fail)
        s.listen(options.port, options.host, () => {
          s.off('error', fail)
          ok()
        })
      })
      const address = s.address()
      const port = typeof address === 'object' && address !== null ? address.port : options.port
      const host = options.host.includes(':') ? `[${options.host}]` : options.host
      url = `http://${host}:${port}`
      return { url, port }
    },
    stop: async () => {
      const s = server
      server = null
      if (s === null) return
      s.closeAllConnections()
      await new Promise<void>((ok) => s.close(() => ok()))
    }
  }
}
