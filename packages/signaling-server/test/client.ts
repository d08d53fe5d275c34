// A plain WebSocket client for the server's tests: records every message, waits on them.
import { WebSocket } from 'ws'

export interface Received { type?: string, [k: string]: unknown }

export class TestClient {
  readonly messages: Received[] = []
  readonly closed: Promise<{ code: number, reason: string }>
  private waiters: Array<{ pred: (m: Received) => boolean, resolve: (m: Received) => void }> = []

  private constructor (readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Received
      this.messages.push(m)
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true
        w.resolve(m)
        return false
      })
    })
  }

  static async connect (url: string): Promise<TestClient> {
    const ws = new WebSocket(url)
    const c = new TestClient(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    })
    return c
  }

  /** Connects expecting a refusal at the upgrade; resolves with the HTTP status. */
  static async refused (url: string): Promise<number> {
    const ws = new WebSocket(url)
    return await new Promise((resolve, reject) => {
      ws.once('open', () => { ws.close(); reject(new Error('connection was accepted')) })
      ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate() })
      ws.once('error', () => resolve(0))
    })
  }

  send (m: unknown): void {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m))
  }

  /** The next message (from now on, or already received after `from`) matching pred. */
  async next (pred: (m: Received) => boolean = () => true, from = this.messages.length): Promise<Received> {
    const seen = this.messages.slice(from).find(pred)
    if (seen !== undefined) return seen
    return await new Promise((resolve) => this.waiters.push({ pred, resolve }))
  }

  /** Round trip through the server: everything sent before has been handled when it resolves. */
  async roundTrip (): Promise<void> {
    const from = this.messages.length
    this.send({ type: 'ping' })
    await this.next((m) => m.type === 'pong', from)
  }

  async close (): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return
    this.ws.close()
    await this.closed
  }
}
