// A hostile client in its own thread: floods the server with publishes (half of them near the
// size limit, some malformed) as fast as TCP takes them, while told to, and reconnects if closed.
import { parentPort, workerData } from 'node:worker_threads'
import { WebSocket } from 'ws'

const { url } = workerData
const big = JSON.stringify({ type: 'publish', topic: 'flood', data: 'z'.repeat(60_000) })
const small = JSON.stringify({ type: 'publish', topic: 'flood', data: { type: 'announce', from: 'x' } })
let flooding = false
let ws
let sent = 0

const pump = () => {
  if (!flooding || ws.readyState !== WebSocket.OPEN) return
  // Keep about 1 MiB queued: as fast as the server reads, without unbounded memory here.
  while (ws.bufferedAmount < 1 << 20) {
    const r = sent++ % 10
    ws.send(r < 5 ? big : r < 9 ? small : '{"type":')
  }
  setTimeout(pump, 1)
}
const connect = () => {
  ws = new WebSocket(url)
  ws.on('open', pump)
  ws.on('error', () => {})
  ws.on('close', () => { if (flooding) setTimeout(connect, 10) })
}
parentPort.on('message', (m) => {
  if (m === 'start') {
    flooding = true
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) connect()
    else pump()
    parentPort.postMessage('started')
  } else if (m === 'stop') {
    flooding = false
    parentPort.postMessage({ stopped: sent })
  } else if (m === 'exit') {
    flooding = false
    ws?.terminate()
    parentPort.close()
  }
})
