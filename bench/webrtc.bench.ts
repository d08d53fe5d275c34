// WebRTC transport: throughput of a Link against a bare RTCDataChannel, and connection setup
// time, both on @roamhq/wrtc in one process over loopback host candidates (no STUN).
//   npm run bench -- webrtc
import { createRequire } from 'node:module'
import type { Link, PeerId } from '@ymesh/protocol'
import { WebRtcTransport } from '@ymesh/core'
import type { RtcImplementation } from '@ymesh/core'

const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as RtcImplementation
const LOOPBACK = / 127\.0\.0\.1 \d+ typ /
const TOTAL_BYTES = 48 * 1024 * 1024
const HIGH_WATER = 4 * 1024 * 1024
const LOW_WATER = 1024 * 1024
const SIZES = [16 * 1024, 64 * 1024, 256 * 1024]
const ROUNDS = 5
const SETUPS = 15
const log = (line: string): void => { process.stderr.write(`${line}\n`) }
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

interface Channel {
  send (data: Uint8Array): void
  readonly bufferedAmount: number
  waitLow (): Promise<void>
  onMessage (fn: (bytes: number) => void): void
  close (): void
}

async function linkPair (): Promise<{ tx: Channel, rx: Channel, setupMs: number }> {
  const options = { candidateFilter: (c: { candidate: string }) => LOOPBACK.test(c.candidate) }
  const ta = new WebRtcTransport({ localPeer: 'a' as PeerId, ...options })
  const tb = new WebRtcTransport({ localPeer: 'b' as PeerId, ...options })
  const started = performance.now()
  const b: Link = tb.createLink({ remotePeer: 'a' as PeerId, initiator: false, onSignal: (s) => a.signal(s) })
  const a: Link = ta.createLink({ remotePeer: 'b' as PeerId, initiator: true, onSignal: (s) => b.signal(s) })
  await Promise.all([new Promise((resolve) => a.once('open', () => resolve(null))), new Promise((resolve) => b.once('open', () => resolve(null)))])
  const setupMs = performance.now() - started
  a.bufferedAmountLowThreshold = LOW_WATER
  const wrap = (link: Link): Channel => ({
    send: (data) => link.send(data),
    get bufferedAmount () { return link.bufferedAmount },
    waitLow: () => new Promise((resolve) => link.once('buffered-amount-low', () => resolve())),
    onMessage: (fn) => { link.on('message', (m) => fn(m.byteLength)) },
    close: () => { ta.close(); tb.close() }
  })
  return { tx: wrap(a), rx: wrap(b), setupMs }
}

async function rawPair (): Promise<{ tx: Channel, rx: Channel, setupMs: number }> {
  const started = performance.now()
  const pa = new wrtc.RTCPeerConnection({ iceServers: [] })
  const pb = new wrtc.RTCPeerConnection({ iceServers: [] })
  pa.onicecandidate = (e) => { if (e.candidate !== null && LOOPBACK.test(e.candidate.candidate)) void pb.addIceCandidate(e.candidate) }
  pb.onicecandidate = (e) => { if (e.candidate !== null && LOOPBACK.test(e.candidate.candidate)) void pa.addIceCandidate(e.candidate) }
  const ca = pa.createDataChannel('raw')
  ca.binaryType = 'arraybuffer'
  const cbReady = new Promise<RTCDataChannel>((resolve) => { pb.ondatachannel = (e) => resolve(e.channel) })
  const opened = new Promise((resolve) => { ca.onopen = resolve })
  await pa.setLocalDescription(await pa.createOffer())
  await pb.setRemoteDescription({ type: 'offer', sdp: pa.localDescription!.sdp.replace(/a=candidate:.*\r\n/g, '') })
  await pb.setLocalDescription(await pb.createAnswer())
  await pa.setRemoteDescription({ type: 'answer', sdp: pb.localDescription!.sdp.replace(/a=candidate:.*\r\n/g, '') })
  const cb = await cbReady
  cb.binaryType = 'arraybuffer'
  await opened
  const setupMs = performance.now() - started
  const close = (): void => { pa.close(); pb.close() }
  return {
    setupMs,
    // wrtc never fires bufferedamountlow: the baseline polls, at the Link's default 5 ms.
    tx: { send: (d) => ca.send(d as Uint8Array<ArrayBuffer>), get bufferedAmount () { return ca.bufferedAmount }, waitLow: async () => { while (ca.bufferedAmount > LOW_WATER) await sleep(5) }, onMessage: () => {}, close },
    rx: { send: () => {}, bufferedAmount: 0, waitLow: async () => {}, onMessage: (fn) => { cb.onmessage = (e: MessageEvent) => fn((e.data as ArrayBuffer).byteLength) }, close }
  }
}

async function throughput (make: typeof linkPair, size: number): Promise<number> {
  const { tx, rx } = await make()
  const message = new Uint8Array(size).fill(7)
  const count = Math.floor(TOTAL_BYTES / size)
  let received = 0
  const done = new Promise<void>((resolve) => rx.onMessage((bytes) => { received += bytes; if (received >= count * size) resolve() }))
  const started = performance.now()
  for (let sent = 0; sent < count;) {
    if (tx.bufferedAmount > HIGH_WATER) { await tx.waitLow(); continue }
    tx.send(message)
    sent++
  }
  await done
  const seconds = (performance.now() - started) / 1000
  tx.close()
  return count * size / seconds / 1e6
}

const median = (values: number[]): number => { const s = [...values].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]! }

const rows: string[] = []
for (const size of SIZES) {
  const link: number[] = []
  const raw: number[] = []
  for (let round = 0; round < ROUNDS; round++) { // interleaved, so load on the machine hits both alike
    raw.push(await throughput(rawPair, size))
    link.push(await throughput(linkPair, size))
  }
  const l = median(link)
  const r = median(raw)
  log(`${size / 1024} KiB: link ${l.toFixed(1)} MB/s, raw ${r.toFixed(1)} MB/s`)
  rows.push(`| ${size / 1024} KiB | ${l.toFixed(1)} | ${r.toFixed(1)} | ${(l / r).toFixed(2)} | ≥ 0.90 | ${l / r >= 0.9 ? 'met' : 'NOT met'} |`)
}

const setupLink: number[] = []
const setupRaw: number[] = []
for (let i = 0; i < SETUPS; i++) {
  const r = await rawPair(); setupRaw.push(r.setupMs); r.tx.close()
  const l = await linkPair(); setupLink.push(l.setupMs); l.tx.close()
}
const p50Link = median(setupLink)
const p50Raw = median(setupRaw)
log(`setup p50: link ${p50Link.toFixed(1)} ms, raw ${p50Raw.toFixed(1)} ms`)

process.stdout.write(`## WebRTC transport

@roamhq/wrtc, two peers in one process, loopback host candidates, no STUN. Throughput: ${TOTAL_BYTES / 1024 / 1024} MiB
per run, sender keeps at most ${HIGH_WATER / 1024 / 1024} MiB queued and resumes at ${LOW_WATER / 1024 / 1024} MiB (the Link on its
'buffered-amount-low' event, the baseline polling bufferedAmount every 5 ms); median of ${ROUNDS} runs,
interleaved with the baseline. Baseline: a bare RTCDataChannel on the same stack, same run.

| message | Link MB/s | raw channel MB/s | Link / raw | target | |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Setup, first signal to both sides open (p50 of ${SETUPS}): Link ${p50Link.toFixed(1)} ms, raw ${p50Raw.toFixed(1)} ms
(target: Link ≤ 1.5 × raw + 10 ms: ${p50Link <= 1.5 * p50Raw + 10 ? 'met' : 'NOT met'}).
`)
