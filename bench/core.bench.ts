// Handshake cost on real WebRTC (@roamhq/wrtc, loopback): time from createLink to an open
// data channel (the baseline every connection pays), and to an authenticated ymesh
// Connection (the same plus hello, hello-proof, one Ed25519 sign and one verify per side).
import { generateIdentity, type Identity } from '@ymesh/crypto'
import type { IceCandidate, Link } from '@ymesh/protocol'
import {
  createCoreMetrics, createSystemClock, createSystemRng, FrameDispatcher, openConnection, silentLogger, WebRtcTransport
} from '@ymesh/core'

const ROUNDS = Number(process.env.ROUNDS ?? 40)
const loopbackOnly = (c: IceCandidate): boolean => / 127\.0\.0\.1 \d+ typ /.test(c.candidate)

const pair = (a: Identity, b: Identity): { ta: WebRtcTransport, tb: WebRtcTransport, la: Link, lb: Link } => {
  const ta = new WebRtcTransport({ localPeer: a.peerId, candidateFilter: loopbackOnly })
  const tb = new WebRtcTransport({ localPeer: b.peerId, candidateFilter: loopbackOnly })
  let lb: Link | null = null
  const early: Parameters<Link['signal']>[0][] = []
  const la = ta.createLink({ remotePeer: b.peerId, initiator: true, onSignal: (s) => { if (lb === null) early.push(s); else lb.signal(s) } })
  lb = tb.createLink({ remotePeer: a.peerId, initiator: false, onSignal: (s) => { la.signal(s) } })
  for (const s of early) lb.signal(s)
  return { ta, tb, la, lb }
}

const opened = (link: Link): Promise<void> => new Promise((resolve, reject) => {
  if (link.state === 'open') { resolve(); return }
  link.once('open', resolve)
  link.once('close', ({ reason }) => { reject(new Error(`closed: ${reason}`)) })
})

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((x, y) => x - y)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number
}

const main = async (): Promise<void> => {
  const a = await generateIdentity()
  const b = await generateIdentity()
  const side = (identity: Identity, link: Link) => {
    const metrics = createCoreMetrics()
    return openConnection({
      identity, link, remoteIsYmesh: true, room: null, clock: createSystemClock(), rng: createSystemRng(),
      dispatcher: new FrameDispatcher(metrics, silentLogger), metrics, logger: silentLogger
    })
  }
  const raw: number[] = []
  const auth: number[] = []
  const extra: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    // Interleaved, so both see the same machine load.
    {
      const p = pair(a, b)
      const t0 = performance.now()
      await Promise.all([opened(p.la), opened(p.lb)])
      raw.push(performance.now() - t0)
      p.ta.close(); p.tb.close()
    }
    {
      const p = pair(a, b)
      const t0 = performance.now()
      const connections = Promise.all([side(a, p.la), side(b, p.lb)])
      await Promise.all([opened(p.la), opened(p.lb)])
      const t1 = performance.now()
      const [ca] = await connections
      const t2 = performance.now()
      auth.push(t2 - t0)
      extra.push(t2 - t1)
      ca.close()
      p.ta.close(); p.tb.close()
    }
    process.stderr.write(`round ${i + 1}/${ROUNDS}\r`)
  }
  process.stderr.write('\n')
  const f = (x: number): string => x.toFixed(1)
  console.log(`## Core: authenticated handshake on real WebRTC

${ROUNDS} rounds, two @roamhq/wrtc peers in one process over loopback, interleaved with the
baseline. "Open" is createLink → data channel open on both sides; "authenticated" is
createLink → ymesh Connection (hello, hello-proof, Ed25519 sign + verify per side).

| | p50 ms | p99 ms |
|---|---|---|
| baseline: raw link open | ${f(quantile(raw, 0.5))} | ${f(quantile(raw, 0.99))} |
| authenticated connection | ${f(quantile(auth, 0.5))} | ${f(quantile(auth, 0.99))} |
| handshake after open (the added cost) | ${f(quantile(extra, 0.5))} | ${f(quantile(extra, 0.99))} |

Target: the handshake adds at most one round trip plus the crypto (≤ 5 ms p50 on loopback):
${quantile(extra, 0.5) <= 5 ? 'met' : 'not met'}.`)
}

await main()
