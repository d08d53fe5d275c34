#!/usr/bin/env node
// `npm start`: the signaling server (4444), one anchor peer (./.ymesh-data) and the built demo
// (http://localhost:8080) — the same code as `npx ymesh start`. Options: `npm start -- --help`.
import { existsSync } from 'node:fs'

const cli = new URL('../packages/ymesh/dist/cli/main.js', import.meta.url)
if (!existsSync(cli)) {
  console.error('ymesh is not built yet. Run `npm install` (it builds everything) or `npm run build`.')
  process.exit(1)
}
const { main } = await import(cli.href)
await main(['start', ...process.argv.slice(2)])
