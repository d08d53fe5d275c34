// Signaling fan-out: publish -> deliver throughput and latency with 1,000 subscribed
// connections, @ymesh/signaling-server against y-webrtc's bin/server.js in the same run.
//
// Both servers run as child processes. 999 subscribers live in two receiver processes (this
// file, forked with BENCH_ROLE=receivers); the 1,000th subscriber, the tracker, is here and
// subscribed last, so it is the last receiver of every publish: publish -> tracker delivery is
// the full fan-out latency. Publishers keep a fixed window of publishes in flight (closed loop),
// so neither server is pushed into unbounded buffering.
import { fork, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { WebSocket } from 'ws'

const SUBSCRIBERS = 1000
const RECEIVER_PROCESSES = 2
const PUBLISHERS = 16
const WINDOW = 32
const WARMUP_MS = 1500
const MEASURE_MS = 5000
const TOPIC = 'bench-room'
const root = fileURLToPath(new URL('..', import.meta.url))
const self = fileURLToPath(import.meta.url)
const log = (m: string): void => { process.stderr.write(`[signaling bench] ${m}\n`) }

const openSubscriber = async (url: string, onMessage: (data: Buffer) => void): Promise<WebSocket> => {
  const ws = new WebSocket(url)
  await once(ws, 'open')
  ws.send(JSON.stringify({ type: 'subscribe', topics: [TOPIC] }))
  // Subscribed once the server has answered a ping sent after the subscribe.
  await new Promise<void>((resolve) => {
    const onPong = (d: Buffer): void => {
      if (d.toString() === '{"type":"pong"}') {
        ws.off('message', onPong)
        ws.on('message', onMessage)
        resolve()
      }
    }
    ws.on('message', onPong)
    ws.send('{"type":"ping"}')
  })
  return ws
}

// ---- receiver process: N subscribers that only count what they get ----
if (process.env.BENCH_ROLE === 'receivers') {
  const url = process.env.BENCH_URL as string
  const n = Number(process.env.BENCH_N)
  let count = 0
  const sockets: WebSocket[] = []
  const onMessage = (): void => { count++ }
  for (let i = 0; i < n; i += 50) {
    sockets.push(...await Promise.all(Array.from({ length: Math.min(50, n - i) }, async () => await openSubscriber(url, onMessage))))
  }
  process.on('message', (m: string) => {
    if (m === 'count') process.send?.({ count })
    if (m === 'exit') {
      for (const s of sockets) s.terminate()
      process.exit(0)
    }
  })
  process.send?.({ ready: true })
} else {
  await main()
}

async function main (): Promise<void> {
  const freePort = async (): Promise<number> => await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => resolve(p))
    })
  })
  const waitListening = async (child: ChildProcess, port: number): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error('server exited')
      try {
        const ws = new WebSocket(`ws://127.0.0.1:${port}`)
        await once(ws, 'open')
        ws.close()
        return
      } catch { await new Promise((resolve) => setTimeout(resolve, 50)) }
    }
    throw new Error('server did not start')
  }

  // Only the connections-per-IP limits are raised (everything here comes from 127.0.0.1):
  // --max-connections-per-ip and the per-IP connection rate; all other limits are the defaults.
  const RAISED = ['--max-connections-per-ip', '2000', '--connections-per-second-per-ip', '1000', '--connection-burst-per-ip', '2000']
  const servers = [
    {
      name: 'y-webrtc bin/server.js',
      start: (port: number) => spawn(process.execPath, [`${root}node_modules/y-webrtc/bin/server.js`], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] })
    },
    {
      name: '@ymesh/signaling-server',
      start: (port: number) => spawn(process.execPath, ['--import', 'tsx', `${root}packages/signaling-server/src/bin/ymesh-signal.ts`, '--port', String(port), '--log-level', 'warn', ...RAISED],
        { stdio: ['ignore', 'ignore', 'inherit'] })
    }
  ]

  interface Result { name: string, deliveriesPerSec: number, publishesPerSec: number, p50: number, p99: number, lost: number }
  const results: Result[] = []
  for (const srv of servers) {
    const port = await freePort()
    const url = `ws://127.0.0.1:${port}`
    log(`${srv.name}: starting on ${port}`)
    const server = srv.start(port)
    const children: ChildProcess[] = []
    try {
      await waitListening(server, port)
      const per = Math.ceil((SUBSCRIBERS - 1) / RECEIVER_PROCESSES)
      let left = SUBSCRIBERS - 1
      for (let i = 0; i < RECEIVER_PROCESSES; i++) {
        const n = Math.min(per, left)
        left -= n
        const child = fork(self, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, BENCH_ROLE: 'receivers', BENCH_URL: url, BENCH_N: String(n) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
        children.push(child)
      }
      await Promise.all(children.map(async (c) => await once(c, 'message')))
      log(`${srv.name}: ${SUBSCRIBERS - 1} receivers subscribed`)
      const counts = async (): Promise<number> => (await Promise.all(children.map(async (c) => {
        c.send('count')
        const [m] = await once(c, 'message') as [{ count: number }]
        return m.count
      }))).reduce((a, b) => a + b, 0)

      const sent = new Map<number, bigint>()
      const latencies: number[] = []
      let measuring = false
      let sending = true
      let seq = 0
      let trackerCount = 0
      const publishers = await Promise.all(Array.from({ length: PUBLISHERS }, async () => {
        const ws = new WebSocket(url)
        await once(ws, 'open')
        return ws
      }))
      const pad = 'x'.repeat(300) // about the size of an ICE candidate message
      const publishOne = (): void => {
        const s = seq++
        sent.set(s, process.hrtime.bigint())
        const ws = publishers[s % PUBLISHERS] as WebSocket
        ws.send(JSON.stringify({ type: 'publish', topic: TOPIC, data: { type: 'signal', from: 'bench', seq: s, pad } }))
      }
      let drained: () => void = () => {}
      await openSubscriber(url, (d: Buffer) => {
        const m = JSON.parse(d.toString()) as { type: string, data?: { seq?: number } }
        const s = m.data?.seq
        if (m.type !== 'publish' || s === undefined) return
        trackerCount++
        const t0 = sent.get(s)
        sent.delete(s)
        if (t0 !== undefined && measuring) latencies.push(Number(process.hrtime.bigint() - t0) / 1e6)
        if (sending) publishOne()
        else if (sent.size === 0) drained()
      })
      for (let i = 0; i < WINDOW; i++) publishOne()
      await new Promise((resolve) => setTimeout(resolve, WARMUP_MS))
      const [c0, t0, s0] = [await counts(), trackerCount, performance.now()]
      measuring = true
      await new Promise((resolve) => setTimeout(resolve, MEASURE_MS))
      measuring = false
      const [c1, t1, s1] = [await counts(), trackerCount, performance.now()]
      sending = false
      await Promise.race([new Promise<void>((resolve) => { drained = resolve }), new Promise((resolve) => setTimeout(resolve, 10_000))])
      const secs = (s1 - s0) / 1000
      const publishes = t1 - t0
      const deliveries = (c1 - c0) + publishes
      latencies.sort((a, b) => a - b)
      const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN
      const lost = seq * (SUBSCRIBERS - 1) - (await counts())
      results.push({ name: srv.name, deliveriesPerSec: deliveries / secs, publishesPerSec: publishes / secs, p50: pct(0.5), p99: pct(0.99), lost })
      log(`${srv.name}: ${(deliveries / secs).toFixed(0)} deliveries/s, ${(publishes / secs).toFixed(0)} publishes/s, p50 ${pct(0.5).toFixed(2)} ms, p99 ${pct(0.99).toFixed(2)} ms, undelivered ${lost}`)
      for (const p of publishers) p.terminate()
    } finally {
      for (const c of children) c.send('exit')
      await Promise.all(children.map(async (c) => { if (c.exitCode === null) await once(c, 'exit') }))
      server.kill('SIGTERM')
      if (server.exitCode === null) await once(server, 'exit')
    }
  }

  const [base, ours] = results as [Result, Result]
  const ratio = ours.deliveriesPerSec / base.deliveriesPerSec
  const row = (r: Result): string =>
    `| ${r.name} | ${Math.round(r.deliveriesPerSec).toLocaleString('en-US')} | ${Math.round(r.publishesPerSec).toLocaleString('en-US')} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.lost} |`
  process.stdout.write(`## Signaling server: publish → deliver with ${SUBSCRIBERS.toLocaleString('en-US')} subscribers

One topic, ${SUBSCRIBERS.toLocaleString('en-US')} subscribed WebSocket connections (${SUBSCRIBERS - 1} in ${RECEIVER_PROCESSES} receiver processes, plus the tracker,
subscribed last), ${PUBLISHERS} publisher connections keeping ${WINDOW} publishes (~400-byte signal messages) in flight;
${MEASURE_MS / 1000} s measured after ${WARMUP_MS / 1000} s of warm-up. Latency is publish → delivery to the last subscriber
under that saturating load, so it is mostly queueing (≈ ${WINDOW} in flight / publishes per second).
Each server is a child process; the baseline is y-webrtc 10.3.0's bin/server.js in the same run.

| server | deliveries/s | publishes/s | p50 ms | p99 ms | undelivered |
|---|---|---|---|---|---|
${row(base)}
${row(ours)}

- Throughput ratio (ours / y-webrtc): **${ratio.toFixed(2)}×** — target ≥ 2×: **${ratio >= 2 ? 'met' : 'not met'}**.
- Our server ran with the shipped default limits (64 KiB messages, 200 msg/s per connection, ...), except the
  connections-per-IP limits, raised because all ${SUBSCRIBERS + PUBLISHERS} connections come from 127.0.0.1:
  \`${RAISED.join(' ')}\`.
- Why it is faster: y-webrtc serializes each publish once per receiver and writes each frame with its own
  syscall; ours serializes once per message and coalesces the frames a receiver gets in one event-loop turn
  into one corked write.
`)
}
