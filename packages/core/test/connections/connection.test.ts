import { describe, expect, it } from 'vitest'
import { encodeChunk, encodeFrame, MAX_FRAME_SIZE, Tag } from '@ymesh/protocol'
import { testSeed } from '../../../../test/helpers/seed.js'
import { connectedPair, makeKit, network } from '../helpers/sim-kit.js'

const pattern = (size: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => (i * 31 + 7) & 0xff)

describe('Connection', () => {
  it('chunks a message larger than one frame and reassembles it on the other side', async () => {
    const net = network(testSeed())
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const [ca] = await connectedPair(net, a, b)
    const got: Uint8Array[] = []
    b.dispatcher.handle(Tag.Envelope, (frame) => { got.push(frame.payload.slice()) })
    const big = pattern(300 * 1024 + 17)
    const frames: number[] = []
    ca.link.on('message', () => {})
    const send = ca.link.send.bind(ca.link)
    ca.link.send = (data) => { frames.push(data.length); send(data) }
    expect(ca.send(Tag.Envelope, big)).toBe(true)
    expect(ca.send(Tag.Envelope, new Uint8Array([1, 2, 3]))).toBe(true)
    await net.sim.runUntil(() => got.length === 2)
    expect(got[0]).toEqual(big)
    expect(got[1]).toEqual(new Uint8Array([1, 2, 3]))
    expect(Math.max(...frames)).toBeLessThanOrEqual(MAX_FRAME_SIZE)
    expect(b.metrics.framesIn.get({ tag: 'envelope' })).toBe(2)
    expect(a.metrics.bytesOut.get({ tag: 'envelope' })).toBeGreaterThan(big.length)
  })

  it('queues against link backpressure and delivers everything in order', async () => {
    const net = network(testSeed(), { link: { latencyMs: 5, bandwidth: 1_000_000 } })
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const tuning = { connection: { highWaterMark: 64 * 1024, lowWaterMark: 16 * 1024 } }
    const [ca] = await connectedPair(net, a, b, tuning)
    const got: number[] = []
    b.dispatcher.handle(Tag.Envelope, (frame) => { got.push(frame.payload[0] as number) })
    let maxBuffered = 0
    let maxQueued = 0
    for (let i = 0; i < 100; i++) {
      const message = pattern(8 * 1024)
      message[0] = i
      ca.send(Tag.Envelope, message)
      maxBuffered = Math.max(maxBuffered, ca.link.bufferedAmount)
      maxQueued = Math.max(maxQueued, ca.quality.queuedBytes)
    }
    await net.sim.runUntil(() => got.length === 100)
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(maxQueued).toBeGreaterThan(0) // the connection held data back...
    expect(maxBuffered).toBeLessThan(64 * 1024 + MAX_FRAME_SIZE) // ...instead of flooding the link
    expect(ca.quality.queuedBytes).toBe(0)
  })

  it('refuses sends beyond maxQueuedBytes and on a closed connection, without throwing', async () => {
    const net = network(testSeed(), { link: { bandwidth: 100_000 } })
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const [ca] = await connectedPair(net, a, b, { connection: { highWaterMark: 1024, lowWaterMark: 512, maxQueuedBytes: 64 * 1024 } })
    let refused = 0
    for (let i = 0; i < 20; i++) if (!ca.send(Tag.Envelope, pattern(8 * 1024))) refused++
    expect(refused).toBeGreaterThan(0)
    expect(a.metrics.drops.get({ reason: 'send-queue-full' })).toBe(refused)
    ca.close()
    expect(ca.send(Tag.Envelope, pattern(10))).toBe(false)
    expect(a.metrics.drops.get({ reason: 'connection-closed' })).toBe(1)
    expect(a.metrics.drops.get({ reason: 'unsent-at-close' })).toBeGreaterThan(0)
  })

  it('isolates a throwing handler: counted, and later frames still delivered', async () => {
    const net = network(testSeed())
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const [ca, cb] = await connectedPair(net, a, b)
    const got: number[] = []
    b.dispatcher.handle(Tag.Envelope, (frame) => {
      if (frame.payload[0] === 0) throw new Error('handler bug')
      got.push(frame.payload[0] as number)
    })
    ca.send(Tag.Envelope, new Uint8Array([0]))
    ca.send(Tag.Envelope, new Uint8Array([1]))
    ca.send(Tag.FileChunk, new Uint8Array([2])) // nobody handles it
    ca.link.send(new Uint8Array([0x80])) // not a frame
    await net.sim.runUntil(() => got.length === 1)
    await net.sim.advance(100)
    expect(got).toEqual([1])
    expect(b.metrics.handlerErrors.get({ tag: 'envelope' })).toBe(1)
    expect(b.metrics.drops.get({ reason: 'unhandled-tag' })).toBe(1)
    expect(b.metrics.drops.get({ reason: 'malformed-frame' })).toBe(1)
    expect(cb.state).toBe('open')
  })

  it('allows one handler per tag and unregisters it', async () => {
    const net = network(testSeed())
    const a = await makeKit(net, 'a')
    const off = a.dispatcher.handle(Tag.Envelope, () => {})
    expect(() => a.dispatcher.handle(Tag.Envelope, () => {})).toThrow(/already has a handler/)
    off()
    expect(a.dispatcher.has(Tag.Envelope)).toBe(false)
  })

  it('measures RTT with pings', async () => {
    const net = network(testSeed(), { link: { latencyMs: 25, jitterMs: 0 } })
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const [ca] = await connectedPair(net, a, b)
    const samples: number[] = []
    ca.on('rtt', ({ rttMs }) => { samples.push(rttMs) })
    await net.sim.advance(10_000)
    expect(samples.length).toBeGreaterThanOrEqual(4)
    expect(ca.quality.rttMs).toBeGreaterThanOrEqual(50)
    expect(ca.quality.rttMs).toBeLessThan(60)
    expect(ca.quality.loss).toBe(0)
    expect(a.metrics.registry.render()).toMatch(/ymesh_rtt_ms_count \d+/)
  })

  it('detects a dead peer within the dead-peer timeout and closes with reason timeout', async () => {
    // The network's own dead-path timeout is much longer: what closes is the connection's health check.
    const net = network(testSeed(), { deadPathTimeoutMs: 120_000 })
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const [ca] = await connectedPair(net, a, b)
    const closes: string[] = []
    ca.on('close', ({ reason }) => { closes.push(reason) })
    net.crash(b.identity.peerId)
    const crashedAt = net.sim.now
    await net.sim.runUntil(() => closes.length > 0)
    expect(closes).toEqual(['timeout'])
    expect(net.sim.now - crashedAt).toBeLessThanOrEqual(10_000 + 1e-6) // float noise of jittered virtual times
    expect(ca.quality.loss).toBeGreaterThan(0)
    expect(a.metrics.connectionsClosed.get({ reason: 'timeout' })).toBe(1)
  })

  it('drops a chunked message that stalls, and one that breaks the chunk rules', async () => {
    const net = network(testSeed())
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const [ca, cb] = await connectedPair(net, a, b, { connection: { reassemblyStallMs: 5_000 } })
    ca.link.send(encodeFrame(Tag.Chunk, encodeChunk({ sequence: 1, index: 0, count: 2, data: new Uint8Array(10) })))
    await net.sim.advance(6_000)
    expect(b.metrics.drops.get({ reason: 'reassembly-stalled' })).toBe(1)
    ca.link.send(encodeFrame(Tag.Chunk, encodeChunk({ sequence: 2, index: 1, count: 2, data: new Uint8Array(10) })))
    await net.sim.advance(100)
    expect(b.metrics.drops.get({ reason: 'bad-chunk' })).toBe(1)
    expect(cb.state).toBe('open')
  })

  it('closes its link on close() and reports the remote close on the other side', async () => {
    const net = network(testSeed())
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const [ca, cb] = await connectedPair(net, a, b)
    const reasons: string[] = []
    cb.on('close', ({ reason }) => { reasons.push(reason) })
    ca.close('pruned')
    expect(ca.state).toBe('closed')
    await net.sim.runUntil(() => reasons.length > 0 && ca.link.state === 'closed')
    expect(reasons).toEqual(['remote'])
    expect(a.metrics.connectionsClosed.get({ reason: 'pruned' })).toBe(1)
  })

  it('a peer that stops says it is leaving in its bye: the other side closes with reason left', async () => {
    const net = network(testSeed())
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const [ca, cb] = await connectedPair(net, a, b)
    const reasons: string[] = []
    cb.on('close', ({ reason }) => { reasons.push(reason) })
    ca.close('stopped')
    await net.sim.runUntil(() => reasons.length > 0)
    expect(reasons).toEqual(['left'])
    expect(a.metrics.connectionsClosed.get({ reason: 'stopped' })).toBe(1)
  })

  it('closes in order: bye, then the answer as the last frame, and only then the links; nothing is sent once a side closed', async () => {
    const net = network(testSeed(), { link: { latencyMs: 20, jitterMs: 0 } })
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const [ca, cb] = await connectedPair(net, a, b)
    const sent = (link: typeof ca.link, log: string[]): void => {
      const send = link.send.bind(link)
      link.send = (data) => { log.push(data[0] === Tag.Close ? `close:${data[data.length - 1] as number}` : String(data[0])); send(data) }
    }
    const [fromA, fromB] = [[] as string[], [] as string[]]
    sent(ca.link, fromA)
    sent(cb.link, fromB)
    const at: Record<string, number> = {}
    ca.link.on('close', () => { at.aClosed = net.sim.clock.now() })
    cb.link.on('close', () => { at.bClosed = net.sim.clock.now() })
    ca.link.on('message', (data) => { if (data[0] === Tag.Close) at.answer = net.sim.clock.now() })
    const start = net.sim.clock.now()
    ca.close('pruned')
    // The connection is closed at once; its link waits for the answer.
    expect(ca.state).toBe('closed')
    expect(ca.link.state).toBe('open')
    // Neither side sends anything after this: a's connection is closed, b's stops with the bye.
    expect(ca.send(Tag.Envelope, new Uint8Array([1]))).toBe(false)
    await net.sim.runUntil(() => ca.link.state === 'closed' && cb.link.state === 'closed')
    expect(fromA).toEqual(['close:0']) // bye
    expect(fromB).toEqual(['close:1']) // bye-ack, its last frame
    expect(cb.state).toBe('closed')
    // a closed its link on the answer: not before it (a round trip), not after the grace (≥ 1 s).
    expect(at.answer).toBeGreaterThanOrEqual(start + 40)
    expect(at.aClosed).toBeGreaterThanOrEqual(at.answer as number)
    expect((at.aClosed as number) - start).toBeLessThan(500)
    expect(at.bClosed).toBeGreaterThan(start)
  })

  it('closes anyway after the grace when the remote does not answer (a peer that does not know the close tag)', async () => {
    const net = network(testSeed())
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const [ca, cb] = await connectedPair(net, a, b)
    // The bye never gets an answer, as from a peer of an earlier version that ignores the tag.
    const send = ca.link.send.bind(ca.link)
    ca.link.send = (data) => { if (data[0] !== Tag.Close) send(data) }
    const start = net.sim.clock.now()
    ca.close()
    await net.sim.runUntil(() => ca.link.state === 'closed')
    expect(net.sim.clock.now() - start).toBeGreaterThan(999) // the 1 s grace (float clock)
    expect(net.sim.clock.now() - start).toBeLessThanOrEqual(5_000)
    expect(cb.state).toBe('open') // until its link reports the close
    await net.sim.runUntil(() => cb.state === 'closed')
  })

  it('counts a malformed close frame as a drop and stays open', async () => {
    const net = network(testSeed())
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const [ca, cb] = await connectedPair(net, a, b)
    ca.link.send(encodeFrame(Tag.Close, new Uint8Array([7])))
    ca.link.send(encodeFrame(Tag.Close, new Uint8Array([])))
    await net.sim.advance(100)
    expect(b.metrics.drops.get({ reason: 'malformed-frame' })).toBe(2)
    expect(cb.state).toBe('open')
  })
})
