/**
 * Fuzz the decoders the ymesh facade exports with seeded hostile input: doc-sync and
 * doc-awareness frames (documents multiplexed over one connection) and BroadcastChannel
 * messages between tabs (plaintext, or under y-webrtc's password encryption).
 *
 * Contracts (from the sources): decodeDocFrame and decodeBcMessage throw only the protocol's
 * named errors and return views into their input; tagOfSyncMessage never throws; the message
 * a doc frame carries is then @ymesh/sync's, with its own named errors.
 *
 * Not exported, so not fuzzed here until they are: doc-gossip.ts (decodeGossipControl, the
 * Plumtree control messages between MeshProviders) and anchor/directory.ts
 * (decodeStoredVector, openAnchorInvite).
 *
 *   FUZZ_COUNT=1000000 SEED=1234 npx vitest run --project fuzz ymesh.fuzz
 */
import * as prng from 'lib0/prng'
import { describe, expect, it } from 'vitest'
import { BcKind, decodeBcMessage, decodeDocFrame, encodeBcMessage, encodeDocFrame, tagOfSyncMessage } from 'ymesh'
import { Tag } from '@ymesh/protocol'
import { decodeSyncMessage, encodeSyncMessage, SyncMessageType } from '@ymesh/sync'
import { fuzzConfig, Harness, heapUsed, int, MAX_HEAP_GROWTH, mutateBytes, truncations } from './fuzz-kit.js'

const { count: COUNT, seed: SEED, replay, timeout: TIMEOUT } = fuzzConfig()
const WIRE_ERRORS = new Set(['InvalidMessageError', 'MessageTooLargeError', 'UnsupportedVersionError'])
const NEVER_THROWS = new Set<string>()

const expectView = (field: Uint8Array, input: Uint8Array, where: string): void => {
  if (field.length > 0 && field.buffer !== input.buffer) throw new Error(`${where} returned a copy instead of a view; ${replay}`)
}

describe(`ymesh decoders under fuzzing (SEED=${SEED}, FUZZ_COUNT=${COUNT})`, () => {
  it('doc frames and BroadcastChannel messages: only named errors, views, and some mutated inputs accepted', () => {
    const gen = prng.create(SEED)
    const messages = [
      encodeSyncMessage({ type: SyncMessageType.SyncRequest, logVector: new Map([[1, 2], [2 ** 40, 9]]), stateVector: new Map() }),
      encodeSyncMessage({ type: SyncMessageType.Update, update: prng.uint8Array(gen, 120) }),
      encodeSyncMessage({ type: SyncMessageType.Awareness, entry: prng.uint8Array(gen, 90) }),
      encodeSyncMessage({ type: SyncMessageType.SyncResponse, updates: [prng.uint8Array(gen, 30)], unsigned: [] })
    ]
    const corpus: Uint8Array[] = []
    for (const docId of ['room/general', 'd', 'x'.repeat(256), '\u00e9t\u00e9']) {
      for (const m of messages) corpus.push(encodeDocFrame(docId, m))
    }
    for (const kind of [BcKind.Message, BcKind.Hello, BcKind.Bye]) {
      corpus.push(encodeBcMessage({ kind, from: 'tab-1', to: prng.oneOf(gen, ['', 'tab-2', 'y'.repeat(64)]), body: prng.oneOf(gen, [new Uint8Array(0), ...corpus]) }))
    }
    const h = new Harness(replay)
    const heapBefore = heapUsed()
    const decode = (i: number, input: Uint8Array): void => {
      h.run('decodeDocFrame', WIRE_ERRORS, i, input, () => {
        const frame = decodeDocFrame(input)
        expectView(frame.message, input, 'decodeDocFrame')
        // What a receiver does next: route by docId, then decode the sync message.
        h.run('doc frame → sync message', WIRE_ERRORS, i, input, () => decodeSyncMessage(frame.message))
        h.run('tagOfSyncMessage', NEVER_THROWS, i, input, () => {
          const tag = tagOfSyncMessage(frame.message)
          if (tag !== Tag.DocSync && tag !== Tag.DocAwareness) throw new Error(`tagOfSyncMessage returned ${String(tag)}; ${replay}`)
        })
      })
      h.run('decodeBcMessage', WIRE_ERRORS, i, input, () => {
        const m = decodeBcMessage(input)
        expectView(m.body, input, 'decodeBcMessage')
        if (!(m.kind === BcKind.Message || m.kind === BcKind.Hello || m.kind === BcKind.Bye)) throw new Error(`decodeBcMessage returned kind ${m.kind}; ${replay}`)
      })
    }
    let i = 0
    for (const valid of corpus) for (const t of truncations(valid).filter((_, k) => k % 3 === 0)) decode(i++, t)
    for (let n = 0; n < COUNT; n++) decode(i++, int(gen, 0, 49) === 0 ? prng.uint8Array(gen, int(gen, 0, 8)) : mutateBytes(gen, corpus))
    console.log(`fuzzed ${i} inputs (SEED=${SEED}); accepted/tried: ${h.summary()}`)
    expect(heapUsed() - heapBefore, replay).toBeLessThan(MAX_HEAP_GROWTH)
    if (COUNT >= 10_000) for (const name of ['decodeDocFrame', 'doc frame → sync message', 'decodeBcMessage']) expect(h.accepted[name], `${name} accepted nothing; ${replay}`).toBeGreaterThan(0)
  }, TIMEOUT)
})
