/**
 * `ymesh start` (and `npm start`): the signaling server, one anchor peer on an embedded
 * store, and the built demo app, in one process. The e2e tests start exactly this.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { resolve } from 'node:path'
import { createConsoleLogger, createSignalingServer, silentLogger } from '@ymesh/signaling-server'
import { Anchor, type AnchorLogger } from '../anchor/anchor.js'
import type { StartArgs } from './args.js'
import { createStaticServer } from './static-server.js'

export interface Running {
  readonly signalingUrl: string
  readonly webUrl: string
  readonly dataDir: string
  readonly anchorPeerId: string | null
  stop: () => Promise<void>
}

export interface ServerLoad {
  readonly connections: number
  readonly messagesIn: number
  readonly messagesOut: number
  readonly bytesIn: number
  readonly bytesOut: number
}

/** apps/demo/dist of the checkout this file belongs to (src/cli or dist/cli alike). */
export const defaultWebRoot = (): string => fileURLToPath(new URL('../../../../apps/demo/dist', import.meta.url))

const sumMetric = (text: string, name: string): number => {
  let total = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const rest = line.slice(name.length)
    if (rest[0] !== ' ' && rest[0] !== '{') continue
    const value = Number(line.slice(line.lastIndexOf(' ') + 1))
    if (Number.isFinite(value)) total += value
  }
  return total
}

/** The signaling server's traffic, from its Prometheus text. */
export const parseServerLoad = (metrics: string): ServerLoad => ({
  connections: sumMetric(metrics, 'ymesh_signal_connections'),
  messagesIn: sumMetric(metrics, 'ymesh_signal_messages_in_total'),
  messagesOut: sumMetric(metrics, 'ymesh_signal_messages_out_total'),
  bytesIn: sumMetric(metrics, 'ymesh_signal_bytes_in_total'),
  bytesOut: sumMetric(metrics, 'ymesh_signal_bytes_out_total')
})

const wildcard = (host: string): boolean => host === '0.0.0.0' || host === '::'

export const runStart = async (args: StartArgs, options: { quiet?: boolean } = {}): Promise<Running> => {
  const webRoot = resolve(args.webRoot ?? defaultWebRoot())
  if (!existsSync(resolve(webRoot, 'index.html'))) {
    throw new Error(`The demo app is not built (no ${webRoot}/index.html). Run \`npm install\` or \`npm run build -w apps/demo\` first, or pass --web-root.`)
  }
  const dataDir = resolve(args.dataDir)
  const stops: Array<() => Promise<void>> = []
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => {})
  }
  try {
    const signaling = createSignalingServer({ port: args.portSignal, host: args.host, logger: options.quiet === true ? silentLogger : createConsoleLogger('warn') })
    await signaling.start()
    stops.push(() => signaling.stop())
    const signalingHttp = signaling.url.replace(/^ws/, 'http')
    // Peers on this machine use the loopback address even when the server binds every interface.
    const localSignaling = wildcard(args.host) ? signaling.url.replace(/\/\/[^/]+:/, '//127.0.0.1:') : signaling.url

    let anchor: Anchor | null = null
    if (args.anchor) {
      const logger: AnchorLogger = options.quiet === true
        ? { info: () => {}, warn: () => {} }
        : { info: () => {}, warn: (m) => { console.warn(m) } }
      const a = new Anchor({ dataDir, signaling: [localSignaling], logger })
      await a.start()
      stops.push(() => a.stop())
      anchor = a
    }

    const port = Number(new URL(signalingHttp).port)
    const web = createStaticServer({
      root: webRoot,
      port: args.portWeb,
      host: args.host,
      routes: {
        '/config.json': () => ({
          signaling: wildcard(args.host) ? [] : [signaling.url],
          signalingPort: port,
          anchor: anchor?.peerId ?? null
        }),
        '/server-load.json': async () => {
          const res = await fetch(`${signalingHttp}/metrics`)
          return parseServerLoad(await res.text())
        }
      }
    })
    await web.start()
    stops.push(() => web.stop())
    return {
      signalingUrl: signaling.url,
      webUrl: web.url,
      dataDir,
      anchorPeerId: anchor?.peerId ?? null,
      stop: stopAll
    }
  } catch (err) {
    await stopAll()
    throw err
  }
}

export const describeRunning = (r: Running): string => {
  const http = r.signalingUrl.replace(/^ws/, 'http')
  return `ymesh is running
  demo app   ${r.webUrl}
  signaling  ${r.signalingUrl}   (health ${http}/health, metrics ${http}/metrics)
  anchor     ${r.anchorPeerId ?? 'off'}${r.anchorPeerId === null ? '' : `   (data in ${r.dataDir})`}
Open ${r.webUrl} in two browser windows to chat. Press Ctrl-C to stop.
`
}
