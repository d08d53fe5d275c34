/**
 * Fuzz the decoders of @ymesh/signaling-server with seeded hostile input: every text frame a
 * client sends (parseClientMessage) and the signed tokens it authenticates with (verifyToken).
 *
 * Contracts (from the sources): parseClientMessage never throws and an accepted message has
 * exactly the shape its type promises; verifyToken rejects only with InvalidTokenError and
 * accepts no token whose claims were altered after signing.
 *
 *   FUZZ_COUNT=1000000 SEED=1234 npx vitest run --project fuzz signaling-server.fuzz
 */
import * as prng from 'lib0/prng'
import { describe, expect, it } from 'vitest'
import { createToken, generateIssuerKeys, parseClientMessage, verifyToken } from '@ymesh/signaling-server'
import type { ClientMessage } from '@ymesh/signaling-server'
import { fuzzConfig, Harness, heapUsed, int, MAX_HEAP_GROWTH, mutateJson, mutateText } from './fuzz-kit.js'

const { count: COUNT, seed: SEED, replay, timeout: TIMEOUT } = fuzzConfig()
const NEVER_THROWS = new Set<string>()
const PEER = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'

const FRAMES: unknown[] = [
  { type: 'subscribe', topics: ['room-a', 'room-b'] },
  { type: 'subscribe', topics: ['room-a'], peerId: PEER },
  { type: 'unsubscribe', topics: ['room-a'] },
  { type: 'publish', topic: 'room-a', data: { type: 'announce', from: PEER } },
  { type: 'publish', topic: 'room-a', to: PEER, data: { type: 'signal', from: PEER, to: 'x', token: 0.5, signal: { type: 'offer', sdp: 'v=0\r\n' } } },
  { type: 'publish', topic: 'room-a', data: 'BASE64ENCRYPTED==' },
  { type: 'ping' },
  { type: 'auth', token: 'eyJzdWIiOiJhIn0.c2ln' }
]

const isStrings = (v: unknown): boolean => Array.isArray(v) && v.every((t) => typeof t === 'string')
const optionalId = (v: unknown): boolean => v === undefined || (typeof v === 'string' && v.length > 0 && v.length <= 256)

/** The shape the connection handler relies on, per type. */
const checkShape = (m: ClientMessage): void => {
  const ok = m.type === 'subscribe' ? isStrings(m.topics) && optionalId(m.peerId)
    : m.type === 'unsubscribe' ? isStrings(m.topics)
      : m.type === 'publish' ? typeof m.topic === 'string' && m.topic !== '' && optionalId(m.to)
        : m.type === 'auth' ? typeof m.token === 'string'
          : m.type === 'ping'
  if (!ok) throw new Error(`parseClientMessage accepted a malformed ${m.type}: ${JSON.stringify(m).slice(0, 200)}; ${replay}`)
}

describe(`signaling-server decoders under fuzzing (SEED=${SEED}, FUZZ_COUNT=${COUNT})`, () => {
  it('parseClientMessage never throws and accepts only well-shaped messages', () => {
    const gen = prng.create(SEED)
    const texts = FRAMES.map((f) => JSON.stringify(f))
    const h = new Harness(replay)
    const heapBefore = heapUsed()
    for (let i = 0; i < COUNT; i++) {
      // Half syntax-level mutations of the frame text, half structural mutations of its JSON.
      const text = int(gen, 0, 1) === 0 ? mutateText(gen, texts) : JSON.stringify(mutateJson(gen, prng.oneOf(gen, FRAMES), ['room-a', PEER])) ?? ''
      h.run('parseClientMessage', NEVER_THROWS, i, text, () => {
        const result = parseClientMessage(text)
        if (result.ok) checkShape(result.message)
        return result.ok
      })
    }
    console.log(`fuzzed ${COUNT} frames (SEED=${SEED}); accepted/tried: ${h.summary()}`)
    expect(heapUsed() - heapBefore, replay).toBeLessThan(MAX_HEAP_GROWTH)
    if (COUNT >= 10_000) expect(h.accepted.parseClientMessage, replay).toBeGreaterThan(0)
  }, TIMEOUT)

  it('verifyToken rejects only with InvalidTokenError and accepts no altered claims', async () => {
    const gen = prng.create(SEED ^ 0x70c)
    const issuer = await generateIssuerKeys()
    const now = 1_700_000_000
    const tokens = [
      await createToken({ privateKey: issuer.privateKey, sub: 'ada', rooms: ['*'], now }),
      await createToken({ privateKey: issuer.privateKey, sub: 'bob', rooms: ['room-a', 'room-b'], now, ttlSeconds: 60 })
    ]
    const claims = tokens.map((t) => JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>)
    const bodies = new Set(tokens.map((t) => t.split('.')[0]!))
    const h = new Harness(replay)
    const inputs = Math.ceil(COUNT / 10)
    for (let i = 0; i < inputs; i++) {
      let token: string
      const altered = int(gen, 0, 1) === 0
      if (altered) {
        token = mutateText(gen, tokens)
      } else {
        // Claims the issuer really signed, but mutated: the claim checks after the signature.
        const body = Buffer.from(JSON.stringify(mutateJson(gen, prng.oneOf(gen, claims), ['room-a', '*'])) ?? 'null').toString('base64url')
        const sig = Buffer.from(await crypto.subtle.sign('Ed25519', issuer.privateKey, new TextEncoder().encode(body))).toString('base64url')
        token = `${body}.${sig}`
      }
      await h.runAsync('verifyToken', new Set(['InvalidTokenError']), i, token, async () => {
        const c = await verifyToken(token, issuer.publicKey, now + int(gen, -100, 4000))
        if (typeof c.sub !== 'string' || !isStrings(c.rooms) || typeof c.exp !== 'number' || typeof c.iat !== 'number') {
          throw new Error(`verifyToken returned malformed claims ${JSON.stringify(c)}; ${replay}`)
        }
        if (altered && !bodies.has(token.split('.')[0]!)) throw new Error(`verifyToken accepted claims altered after signing; ${replay}`)
      })
    }
    console.log(`fuzzed ${inputs} tokens (SEED=${SEED}); accepted/tried: ${h.summary()}`)
    if (inputs >= 1000) expect(h.accepted.verifyToken, replay).toBeGreaterThan(0)
  }, TIMEOUT)
})
