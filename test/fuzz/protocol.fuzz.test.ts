/**
 * Fuzz every @ymesh/protocol decoder (frames, handshake, ping, chunks, envelopes, and the routing
 * grammar: route adverts, routed bodies, route acks) with seeded hostile input: random bytes,
 * mutated valid messages (bit flips, insertions, deletions, truncation, inflated length fields, splices).
 * A decoder may accept or reject, but may only throw the named errors, must return views into
 * its input rather than copies, and the reassembler must stay within its memory caps.
 *
 *   FUZZ_COUNT=1000000 SEED=1234 npx vitest run --project fuzz protocol
 */
import * as prng from 'lib0/prng'
import { describe, expect, it } from 'vitest'
import {
  Chunker, createEnvelope, decodeChunk, decodeEnvelope, decodeFrame, decodeHello, decodeHelloProof, decodePing,
  decodePong, decodeRouteAck, decodeRouteAdvert, decodeRoutedBody, encodeChunk, encodeEnvelope, encodeFrame, encodeHello,
  encodeHelloProof, encodePing, encodeRouteAck, encodeRouteAdvert, encodeRoutedBody, HELLO_NONCE_SIZE, LEGACY_MAX_FRAME_SIZE,
  MAX_CANDIDATE_LENGTH, MAX_ROUTE_HOPS, MAX_SDP_LENGTH, MAX_TTL, MESSAGE_ID_SIZE, packSignal, Reassembler, ROUTE_METRIC_INFINITY,
  Tag, TAGS, toPeerId, unpackSignal, withSignature
} from '@ymesh/protocol'
import type { SignalData } from '@ymesh/protocol'
import type { RouteAdvertItem, RouteRef } from '@ymesh/protocol'
import { int, mutateBytes as mutate, mutateText, type Gen } from './fuzz-kit.js'

const COUNT = Number(process.env.FUZZ_COUNT ?? '') || 50_000
const SEED = Number(process.env.SEED ?? '') || Math.floor(Math.random() * 2 ** 31)
const replay = `replay with SEED=${SEED} FUZZ_COUNT=${COUNT}`
// The default fuzz project timeout (120 s) is too short for the full million.
const TIMEOUT = Math.max(120_000, COUNT * 0.5)
const ALLOWED = new Set(['InvalidMessageError', 'MessageTooLargeError', 'UnsupportedVersionError'])


// ---- a corpus of valid inputs -------------------------------------------------------------

const makeCorpus = (gen: Gen): Uint8Array[] => {
  const peer = (): ReturnType<typeof toPeerId> =>
    toPeerId(prng.oneOf(gen, ['11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', '3b241101-e2bb-4255-8caf-4136c566a962', 'a']))
  const envelope = (payloadSize: number): Uint8Array => encodeEnvelope(withSignature(createEnvelope({
    id: prng.uint8Array(gen, MESSAGE_ID_SIZE),
    source: peer(),
    destination: prng.bool(gen) ? { kind: 'peer', peer: peer() } : { kind: 'topic', topic: prng.utf16String(gen, 40) || 'room' },
    payloadType: prng.oneOf(gen, [Tag.DocSync, Tag.Capability, Tag.Envelope, 500]),
    payload: prng.uint8Array(gen, payloadSize),
    ttl: int(gen, 1, 32)
  }), prng.uint8Array(gen, prng.oneOf(gen, [0, 64, 128]))))
  const corpus: Uint8Array[] = []
  for (let i = 0; i < 8; i++) {
    const env = envelope(prng.oneOf(gen, [0, 10, 300, 5000]))
    corpus.push(env, encodeFrame(Tag.Envelope, env, { maxSize: LEGACY_MAX_FRAME_SIZE }))
    const hello = encodeHello({
      versions: [int(gen, 1, 3), 1], nonce: prng.uint8Array(gen, HELLO_NONCE_SIZE), peerId: peer(), signature: prng.uint8Array(gen, 64)
    })
    corpus.push(hello, encodeFrame(Tag.Hello, hello))
    corpus.push(encodeHelloProof({ signature: prng.uint8Array(gen, 64) }))
    corpus.push(encodePing({ sequence: int(gen, 0, 2 ** 31) }))
    corpus.push(encodeChunk({ sequence: int(gen, 0, 1000), index: 0, count: int(gen, 1, 1024), data: prng.uint8Array(gen, int(gen, 0, 200)) }))
    const chunks = new Chunker({ maxFrameSize: 64 }).encode(Tag.DocSync, prng.uint8Array(gen, 150))
    corpus.push(...chunks)
    // Routing: distance-vector adverts (by dictionary index and spelled out), routed bodies, acks.
    const ref = (): RouteRef => prng.bool(gen) ? { define: peer() } : { index: int(gen, 0, 70_000) % 65_536 }
    const items = Array.from({ length: int(gen, 1, 6) }, (): RouteAdvertItem => {
      switch (int(gen, 0, 2)) {
        case 0: return { kind: 'update', dest: ref(), seqno: int(gen, 0, 2 ** 31), metric: prng.oneOf(gen, [1, 300, ROUTE_METRIC_INFINITY]), hops: int(gen, 0, MAX_ROUTE_HOPS) }
        case 1: return { kind: 'seqno-request', dest: ref(), seqno: int(gen, 0, 2 ** 31), hopLimit: int(gen, 0, MAX_TTL) }
        default: return { kind: 'reset' }
      }
    })
    const advert = encodeRouteAdvert(items)
    corpus.push(advert, encodeFrame(Tag.RouteAdvert, advert))
    corpus.push(encodeRoutedBody({ messageId: prng.uint8Array(gen, MESSAGE_ID_SIZE), ackRequested: prng.bool(gen), body: prng.uint8Array(gen, int(gen, 0, 300)) }))
    corpus.push(encodeRouteAck(prng.uint8Array(gen, MESSAGE_ID_SIZE)))
  }
  return corpus
}

// Mutations (bit flips, insertions, deletions, truncation, length inflation, boundary
// bytes, splices) are the shared ones of fuzz-kit.ts, used by every package's fuzz test.

// ---- checks ------------------------------------------------------------------------------

/** Every byte field a decoder returns must be a view into its input: decoding copies nothing. */
const expectViews = (value: object, input: Uint8Array, where: string): void => {
  for (const field of Object.values(value)) {
    if (field instanceof Uint8Array && field.length > 0 && field.buffer !== input.buffer) {
      throw new Error(`${where} returned a copied byte field instead of a view; ${replay}`)
    }
  }
}

const decoders: Record<string, (bytes: Uint8Array) => object> = {
  frame: (b) => decodeFrame(b),
  'frame (legacy size)': (b) => decodeFrame(b, { maxSize: LEGACY_MAX_FRAME_SIZE }),
  envelope: decodeEnvelope,
  hello: decodeHello,
  'hello-proof': decodeHelloProof,
  ping: decodePing,
  pong: decodePong,
  chunk: decodeChunk,
  'route-advert': (b) => decodeRouteAdvert(b).map((item) => {
    // The decoder must enforce the ranges the router relies on.
    if (item.kind !== 'reset' && 'index' in item.dest && !(item.dest.index >= 0 && item.dest.index < 65_536)) throw new Error(`route advert index ${item.dest.index} out of range; ${replay}`)
    if (item.kind === 'update' && !(item.metric <= ROUTE_METRIC_INFINITY && item.hops <= MAX_ROUTE_HOPS)) throw new Error(`route advert metric/hops out of range; ${replay}`)
    return item
  }),
  'routed-body': decodeRoutedBody,
  'route-ack': (b) => ({ id: decodeRouteAck(b) }),
  // What a receiving peer does: decode the frame, then the payload by its tag.
  dispatch: (b) => {
    const frame = decodeFrame(b, { maxSize: LEGACY_MAX_FRAME_SIZE })
    switch (frame.tag) {
      case Tag.Hello: return decodeHello(frame.payload)
      case Tag.HelloProof: return decodeHelloProof(frame.payload)
      case Tag.Ping: return decodePing(frame.payload)
      case Tag.Pong: return decodePong(frame.payload)
      case Tag.Chunk: return decodeChunk(frame.payload)
      case Tag.Envelope: return decodeEnvelope(frame.payload)
      case Tag.RouteAdvert: return decodeRouteAdvert(frame.payload)
      default: return frame
    }
  }
}

const runGuarded = (name: string, iteration: number, input: Uint8Array, fn: () => void): boolean => {
  try {
    fn()
    return true
  } catch (err) {
    if (err instanceof Error && ALLOWED.has(err.name)) return false
    const hex = Buffer.from(input.subarray(0, 64)).toString('hex')
    throw new Error(`${name} threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} ` +
      `at iteration ${iteration} on input ${hex}${input.length > 64 ? '…' : ''} (${input.length} bytes); ${replay}`, { cause: err })
  }
}

// ---- tests -------------------------------------------------------------------------------

describe(`protocol decoders under fuzzing (SEED=${SEED}, FUZZ_COUNT=${COUNT})`, () => {
  it('throw only named errors, return views, and accept some mutated inputs', () => {
    const gen = prng.create(SEED)
    const corpus = makeCorpus(gen)
    const accepted: Record<string, number> = Object.fromEntries(Object.keys(decoders).map((k) => [k, 0]))
    const heapBefore = process.memoryUsage().heapUsed
    const inputs = Math.ceil(COUNT * 0.8)
    for (let i = 0; i < inputs; i++) {
      const input = mutate(gen, corpus)
      for (const [name, decode] of Object.entries(decoders)) {
        if (runGuarded(name, i, input, () => expectViews(decode(input), input, name))) accepted[name]!++
      }
    }
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore
    console.log(`fuzzed ${inputs} inputs through ${Object.keys(decoders).length} decoders (SEED=${SEED}); accepted:`, accepted)
    // Nothing is retained across inputs; a decoder that leaked or over-allocated would show here.
    expect(heapGrowth, replay).toBeLessThan(256 * 1024 * 1024)
    // The mutations must reach past the first field: every decoder accepted some input.
    if (inputs >= 10_000) for (const [name, n] of Object.entries(accepted)) expect(n, `${name} accepted nothing; ${replay}`).toBeGreaterThan(0)
  }, TIMEOUT)

  it('the reassembler throws only named errors and stays within its caps on hostile chunk streams', () => {
    // Chunks never nest: Chunker refuses Tag.Chunk itself, so streams carry every other tag.
    const CHUNKABLE_TAGS = TAGS.filter((t) => t.tag !== Tag.Chunk)
    const gen = prng.create(SEED ^ 0x5eed)
    const corpus = makeCorpus(gen)
    const caps = { maxBufferedBytes: 64 * 1024, maxPartialMessages: 4, maxMessageSize: 48 * 1024 }
    const frames = Math.ceil(COUNT * 0.2)
    let completed = 0
    let sent = 0
    while (sent < frames) {
      // One connection: a few interleaved chunked messages, some frames mutated or replaced.
      const reassembler = new Reassembler(caps)
      const chunker = new Chunker({ maxFrameSize: prng.oneOf(gen, [64, 256, 4096]) })
      const streams = Array.from({ length: int(gen, 1, 6) }, () =>
        chunker.encode(prng.oneOf(gen, CHUNKABLE_TAGS).tag, prng.uint8Array(gen, int(gen, 0, prng.oneOf(gen, [300, 5000, chunker.chunkDataSize * 1000])))))
      while (streams.some((s) => s.length > 0) && sent < frames) {
        const stream = prng.oneOf(gen, streams.filter((s) => s.length > 0))
        let bytes = stream.shift()!
        const roll = int(gen, 0, 99)
        if (roll === 0) bytes = mutate(gen, corpus)
        else if (roll === 1) bytes = mutate(gen, [bytes])
        else if (roll === 2) stream.unshift(bytes) // duplicate
        else if (roll === 3) stream.shift() // drop the next chunk
        sent++
        runGuarded('reassembler', sent, bytes, () => {
          const frame = decodeFrame(bytes)
          if (frame.tag !== Tag.Chunk) return
          if (reassembler.receive(frame.payload) !== null) completed++
        })
        if (reassembler.bufferedBytes > caps.maxBufferedBytes || reassembler.bufferedBytes < 0 || reassembler.partialMessages > caps.maxPartialMessages) {
          throw new Error(`reassembler over its caps: ${reassembler.bufferedBytes} bytes, ${reassembler.partialMessages} partials; ${replay}`)
        }
      }
    }
    console.log(`fed ${sent} frames to reassemblers (SEED=${SEED}); ${completed} messages completed`)
    if (frames >= 1000) expect(completed, replay).toBeGreaterThan(0)
  }, TIMEOUT)

  it('packed signals: unpacking hostile text only throws InvalidMessageError and stays within the limits; packing gives back exactly or refuses', () => {
    const gen = prng.create(SEED)
    const sdp = 'v=0\r\no=- 626116053855366 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n' +
      'm=application 51920 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 192.0.2.2\r\n' +
      'a=candidate:3229573512 1 udp 2122194687 192.0.2.2 51920 typ host generation 0 network-id 1\r\n' +
      'a=ice-ufrag:RDkv\r\na=ice-pwd:b3LeVfvH98Ri8pzTPUlTs6J9\r\na=ice-options:trickle\r\n' +
      'a=fingerprint:sha-256 00:25:B9:D8:16:6A:38:A7:44:41:0C:6F:82:B5:8F:AA:2F:CA:A0:94:12:FA:7C:F8:CF:6D:E7:C1:9E:B5:DE:76\r\n' +
      'a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n'
    const candidate = 'candidate:4193659285 1 tcp 1518285567 fd00::2 51497 typ host tcptype passive generation 0 ufrag RDkv network-id 2'
    const packedCorpus = [packSignal({ type: 'offer', sdp })!.z, packSignal({ type: 'candidate', candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0 } })!.z]
    let unpacked = 0
    let packed = 0
    for (let n = 0; n < COUNT; n++) {
      const type = prng.oneOf(gen, ['offer', 'answer', 'candidate', 'rollback'])
      const z = mutateText(gen, packedCorpus)
      try {
        const signal = unpackSignal({ type, z })
        unpacked++
        if (signal.type === 'candidate' ? signal.candidate.candidate.length > MAX_CANDIDATE_LENGTH : signal.sdp.length > MAX_SDP_LENGTH) {
          throw new Error(`unpackSignal went past the limits for ${JSON.stringify(z).slice(0, 200)}; ${replay}`)
        }
      } catch (error) {
        if ((error as Error).name !== 'InvalidMessageError') throw new Error(`unpackSignal threw ${String(error)} for ${JSON.stringify(z).slice(0, 200)}; ${replay}`)
      }
      const text = mutateText(gen, [sdp, candidate])
      const signal: SignalData = text.startsWith('candidate') || int(gen, 0, 3) === 0
        ? { type: 'candidate', candidate: { candidate: text, sdpMid: prng.oneOf(gen, ['0', null, '', 'a|b']), sdpMLineIndex: prng.oneOf(gen, [0, null, 7, -1]) } }
        : { type: 'offer', sdp: text }
      const p = packSignal(signal)
      if (p === null) continue
      packed++
      const back = unpackSignal(p)
      const expected = signal.type === 'candidate' ? { type: 'candidate', candidate: { ...signal.candidate } } : signal
      if (JSON.stringify(back) !== JSON.stringify(expected)) throw new Error(`packSignal is not lossless for ${JSON.stringify(signal).slice(0, 200)}; ${replay}`)
    }
    console.log(`unpacked ${unpacked} of ${COUNT} hostile packed signals, packed ${packed} mutated ones exactly (SEED=${SEED})`)
    if (COUNT >= 1000) expect(packed, replay).toBeGreaterThan(0)
  }, TIMEOUT)
})
