/**
 * Fuzz the one decoder of @ymesh/sim: parseSdp, which reads the session descriptions that
 * simulated peers exchange through (possibly hostile or tampering) signaling paths.
 *
 * Contract (from the source): parseSdp never throws; it returns a description whose token,
 * fingerprint and size are valid, or a string saying why the input is unusable.
 *
 *   FUZZ_COUNT=1000000 SEED=1234 npx vitest run --project fuzz sim.fuzz
 */
import * as prng from 'lib0/prng'
import { describe, expect, it } from 'vitest'
import { formatFingerprint, parseSdp } from '@ymesh/sim'
import { fuzzConfig, Harness, int, mutateJson, mutateText } from './fuzz-kit.js'

const { count: COUNT, seed: SEED, replay, timeout: TIMEOUT } = fuzzConfig()
const NEVER_THROWS = new Set<string>()

describe(`sim decoders under fuzzing (SEED=${SEED}, FUZZ_COUNT=${COUNT})`, () => {
  it('parseSdp never throws and returns only valid descriptions or a reason', () => {
    const gen = prng.create(SEED)
    const sdp = (token: string, size: number): string => ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0',
      'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', `a=ice-ufrag:${token}`, 'a=ice-pwd:pw',
      `a=fingerprint:${formatFingerprint(prng.uint8Array(gen, 32))}`, `a=max-message-size:${size}`, ''].join('\r\n')
    const corpus = [sdp('abcd1234', 262144), sdp('z'.repeat(64), 0), sdp('0000', 65536).replace(/\r\n/g, '\n')]
    const h = new Harness(replay)
    const inputs = Math.ceil(COUNT / 5)
    for (let i = 0; i < inputs; i++) {
      const roll = int(gen, 0, 19)
      // Signals arrive as JSON: now and then not a string at all.
      const input: unknown = roll === 0 ? mutateJson(gen, { type: 'offer', sdp: corpus[0] }) : mutateText(gen, corpus)
      h.run('parseSdp', NEVER_THROWS, i, input, () => {
        const d = parseSdp(input)
        if (typeof d === 'string') return false
        if (!/^[0-9a-z]{4,64}$/.test(d.token) || !/^sha-256 /.test(d.fingerprint) || !(d.maxMessageSize > 0)) {
          throw new Error(`parseSdp returned an invalid description ${JSON.stringify(d)}; ${replay}`)
        }
        return true
      })
    }
    console.log(`fuzzed ${inputs} descriptions (SEED=${SEED}); accepted/tried: ${h.summary()}`)
    if (inputs >= 1000) expect(h.accepted.parseSdp, replay).toBeGreaterThan(0)
  }, TIMEOUT)
})
