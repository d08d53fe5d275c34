/**
 * Fuzz the decoders @ymesh/core exports with seeded hostile input: capability records (the
 * payload of gossiped, signed envelopes, and what the capability store reloads from storage),
 * and the SDP readers the WebRTC transport applies to remote session descriptions.
 *
 * Contracts (from the sources): decodeCapabilityRecord throws only the protocol's named errors
 * and returns values inside the ranges it documents; parseFingerprint returns a normalised
 * fingerprint or null and parseMaxMessageSize a non-negative number, neither ever throws.
 *
 * Not exported from @ymesh/core, so not fuzzed here until they are: gossip/wire.ts
 * (decodeIHave, decodeIWant), signaling/messages.ts (parseData, parseSignal),
 * signaling/relay-wire.ts and transport/signal.ts.
 *
 *   FUZZ_COUNT=1000000 SEED=1234 npx vitest run --project fuzz core.fuzz
 */
import * as prng from 'lib0/prng'
import { describe, expect, it } from 'vitest'
import { decodeCapabilityRecord, encodeCapabilityRecord, MAX_LOAD, parseFingerprint, parseMaxMessageSize } from '@ymesh/core'
import type { CapabilityRoleName } from '@ymesh/core'
import { createEnvelope, decodeEnvelope, encodeEnvelope, MAX_TAG, MESSAGE_ID_SIZE, Tag, toPeerId, withSignature } from '@ymesh/protocol'
import { fuzzConfig, Harness, heapUsed, int, MAX_HEAP_GROWTH, mutateBytes, mutateText, truncations } from './fuzz-kit.js'
import type { Gen } from './fuzz-kit.js'

const { count: COUNT, seed: SEED, replay, timeout: TIMEOUT } = fuzzConfig()
const WIRE_ERRORS = new Set(['InvalidMessageError', 'MessageTooLargeError', 'UnsupportedVersionError'])
const NEVER_THROWS = new Set<string>()
const ROLES: CapabilityRoleName[] = ['relay', 'anchor', 'storage', 'file-seed']
const PEERS = ['11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', '3b241101-e2bb-4255-8caf-4136c566a962', 'a']

const capabilityCorpus = (gen: Gen): Uint8Array[] => {
  const out: Uint8Array[] = []
  for (let i = 0; i < 16; i++) {
    const peerId = toPeerId(prng.oneOf(gen, PEERS))
    const record = encodeCapabilityRecord({
      peerId,
      sequence: int(gen, 0, 2 ** 31) * prng.oneOf(gen, [1, 2 ** 20]),
      issuedAt: 1_700_000_000_000 + int(gen, 0, 2 ** 30),
      platform: prng.oneOf(gen, ['node', 'browser', '', 'x'.repeat(64), '\u{1f600}']),
      roles: ROLES.filter(() => prng.bool(gen)),
      freeSlots: int(gen, 0, 0xffff),
      bandwidth: int(gen, 0, 2 ** 31) * 1000,
      uptimeMs: int(gen, 0, 2 ** 31),
      load: int(gen, 0, MAX_LOAD),
      storageQuota: int(gen, 0, 2 ** 31) * 4096,
      protocolVersions: Array.from({ length: int(gen, 0, 4) }, () => int(gen, 1, 3))
    })
    out.push(record)
    // As it travels: the payload of a signed envelope to the capability topic.
    out.push(encodeEnvelope(withSignature(createEnvelope({
      id: prng.uint8Array(gen, MESSAGE_ID_SIZE), source: peerId, destination: { kind: 'topic', topic: 'ymesh/capabilities' },
      payloadType: Tag.Capability, payload: record, ttl: int(gen, 1, 8)
    }), prng.uint8Array(gen, 64))))
  }
  return out
}

/** The ranges the role classifier and the connection pool rely on. */
const checkRecord = (r: ReturnType<typeof decodeCapabilityRecord>): void => {
  const safe = (v: number): boolean => Number.isSafeInteger(v) && v >= 0
  const ok = safe(r.sequence) && safe(r.issuedAt) && safe(r.bandwidth) && safe(r.uptimeMs) && safe(r.storageQuota) &&
    safe(r.freeSlots) && r.freeSlots <= 0xffff && safe(r.load) && r.load <= MAX_LOAD &&
    r.roles.every((role) => ROLES.includes(role)) && r.protocolVersions.every((v) => safe(v) && v <= MAX_TAG) &&
    new TextEncoder().encode(r.platform).length <= 64
  if (!ok) throw new Error(`decodeCapabilityRecord returned out-of-range fields ${JSON.stringify(r)}; ${replay}`)
}

const SDPS = [
  'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n' +
    'a=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\n' +
    'a=sctp-port:5000\r\na=max-message-size:262144\r\n',
  'a=fingerprint:SHA-1 aa:bb\na=max-message-size:0\n',
  'a=max-message-size: 65536 \r\na=fingerprint: sha-256   01:02\r\n'
]

describe(`core decoders under fuzzing (SEED=${SEED}, FUZZ_COUNT=${COUNT})`, () => {
  it('capability records: only named errors, documented ranges, and some mutated records accepted', () => {
    const gen = prng.create(SEED)
    const corpus = capabilityCorpus(gen)
    const h = new Harness(replay)
    const heapBefore = heapUsed()
    const decode = (i: number, input: Uint8Array): void => {
      h.run('capability', WIRE_ERRORS, i, input, () => { checkRecord(decodeCapabilityRecord(input)) })
      // What a receiver does: decode the envelope, then the record it carries.
      h.run('envelope → capability', WIRE_ERRORS, i, input, () => {
        const envelope = decodeEnvelope(input)
        if (envelope.payloadType === Tag.Capability) checkRecord(decodeCapabilityRecord(envelope.payload))
      })
    }
    let i = 0
    for (const valid of corpus) for (const t of truncations(valid)) decode(i++, t)
    for (let n = 0; n < COUNT; n++) decode(i++, mutateBytes(gen, corpus))
    console.log(`fuzzed ${i} inputs (SEED=${SEED}); accepted/tried: ${h.summary()}`)
    expect(heapUsed() - heapBefore, replay).toBeLessThan(MAX_HEAP_GROWTH)
    if (COUNT >= 10_000) expect(h.accepted.capability, `capability accepted nothing; ${replay}`).toBeGreaterThan(corpus.length / 2)
  }, TIMEOUT)

  it('SDP readers never throw and return a fingerprint or null, and a non-negative size', () => {
    const gen = prng.create(SEED ^ 0x5d9)
    const h = new Harness(replay)
    let fingerprints = 0
    const inputs = Math.ceil(COUNT / 5)
    for (let i = 0; i < inputs; i++) {
      const sdp = mutateText(gen, SDPS)
      h.run('parseFingerprint', NEVER_THROWS, i, sdp, () => {
        const f = parseFingerprint(sdp)
        if (f !== null && !/^\S+ [0-9A-F:]+$/.test(f)) throw new Error(`parseFingerprint returned ${JSON.stringify(f)}; ${replay}`)
        if (f !== null) fingerprints++
      })
      h.run('parseMaxMessageSize', NEVER_THROWS, i, sdp, () => {
        const size = parseMaxMessageSize(sdp)
        if (!(size >= 0)) throw new Error(`parseMaxMessageSize returned ${size}; ${replay}`)
      })
    }
    console.log(`fuzzed ${inputs} descriptions (SEED=${SEED}); ${fingerprints} fingerprints read`)
    if (inputs >= 1000) expect(fingerprints, replay).toBeGreaterThan(0)
  }, TIMEOUT)
})
