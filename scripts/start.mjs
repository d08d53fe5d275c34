#!/usr/bin/env node
// `npm start`: runs ymesh locally. For now that is the signaling server; the anchor peer and
// the demo app join it here as they land.
//
//   npm start                          signaling on ws://127.0.0.1:4444
//   npm start -- --port 0 --host ::1   any free port, IPv6 loopback
import { parseArgs } from 'node:util'

const HELP = `Usage: npm start [-- --port <n>] [-- --host <addr>]

Starts ymesh locally: the signaling server (for now). Ctrl-C stops it cleanly.
  --port <n>     signaling port (default 4444; 0 = any free port)
  --host <addr>  interface to bind (default 127.0.0.1)
  --help         show this help
`

let values
try {
  values = parseArgs({
    options: { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true
  }).values
} catch (err) {
  console.error(`${err.message}\n\n${HELP}`)
  process.exit(2)
}
if (values.help) {
  process.stdout.write(HELP)
  process.exit(0)
}
const port = values.port === undefined ? 4444 : Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a whole number from 0 to 65535, got "${values.port}".`)
  process.exit(2)
}

let signaling
try {
  signaling = await import('@ymesh/signaling-server')
} catch (err) {
  console.error(`Cannot load @ymesh/signaling-server (${err.message}). Run \`npm install\` (it builds the packages) or \`npm run build\`.`)
  process.exit(1)
}

const server = signaling.createSignalingServer({ port, host: values.host ?? '127.0.0.1', logger: signaling.createConsoleLogger('warn') })
try {
  await server.start()
} catch (err) {
  console.error(`Could not start the signaling server on ${values.host ?? '127.0.0.1'}:${port}: ${err.message}`)
  process.exit(1)
}
const http = server.url.replace(/^ws/, 'http')
console.log(`ymesh is running
  signaling  ${server.url}   (health ${http}/health, metrics ${http}/metrics)
Press Ctrl-C to stop.`)

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  console.log('\nstopping...')
  await server.stop()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
