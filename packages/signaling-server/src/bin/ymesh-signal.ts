#!/usr/bin/env node
// The ymesh-signal command: parses flags, runs the server, stops it cleanly on SIGINT/SIGTERM.
import { parseCliArgs, HELP } from '../cli.js'
import { createSignalingServer } from '../server.js'

const main = async (): Promise<void> => {
  let parsed
  try {
    parsed = parseCliArgs(process.argv.slice(2), process.env)
  } catch (err) {
    console.error((err as Error).message)
    process.exitCode = 2
    return
  }
  if (parsed.help) {
    process.stdout.write(HELP)
    return
  }
  const server = createSignalingServer(parsed.options)
  const { url } = await server.start()
  const http = url.replace(/^ws/, 'http')
  console.log(`ymesh-signal listening on ${url} (health: ${http}/health, metrics: ${http}/metrics)`)
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    server.stop().then(() => process.exit(0), (err: unknown) => {
      console.error(err)
      process.exit(1)
    })
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((err: unknown) => {
  console.error(`ymesh-signal failed to start: ${(err as Error).message}`)
  process.exitCode = 1
})
