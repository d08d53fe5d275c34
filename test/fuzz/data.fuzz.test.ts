/**
 * Fuzz every @ymesh/data decoder with seeded hostile input: signed entries (v1 and batched
 * v2) as replicas receive and store them, the bodies they carry (room ops and contact changes
 * in JSON, message bodies in binary), and the invite texts users paste (room and contact).
 *
 * Contracts (from the sources): decodeEntry throws only InvalidEntryError and returns views
 * into its input; tryDecodeEntry, decodeRoomOp, decodeMessageBody and decodeContactChange
 * never throw ("entries from the network never throw": null means no effect);
 * EntryVerifier.verify never rejects and verifies no altered entry; parseInviteLink throws
 * only NotFoundError or InvalidRoomSecretError; parseContactInvite rejects only with
 * InvalidDataArgumentError.
 *
 * FUZZ_COUNT is split: half entries, a quarter bodies (each through every body decoder), a quarter
 * invite links and a twentieth contact invites (each costs an Ed25519 verification).
 *
 *   FUZZ_COUNT=1000000 SEED=1234 npx vitest run --project fuzz data.fuzz
 */
import * as prng from 'lib0/prng'
import { describe, expect, it } from 'vitest'
import { generateIdentity } from '@ymesh/crypto'
import {
  contactInvite, createEntry, decodeContactChange, decodeEntry, decodeMessageBody, decodeRoomOp, encodeContactChange, encodeMessageBody,
  encodeRoomOp, EntryVerifier, inviteLink, MessageKind, parseContactInvite, parseInviteLink, RoomOpKind, signEntries, tryDecodeEntry
} from '@ymesh/data'
import type { Entry, EntryId, RoomOp } from '@ymesh/data'
import { fuzzConfig, Harness, heapUsed, int, MAX_HEAP_GROWTH, mutateBytes, mutateJson, mutateText, truncations } from './fuzz-kit.js'

const { count: COUNT, seed: SEED, replay, timeout: TIMEOUT } = fuzzConfig()
const NEVER_THROWS = new Set<string>()
const DOMAIN = 'ymesh/data/fuzz/v1'
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const utf8 = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))

describe(`data decoders under fuzzing (SEED=${SEED}, FUZZ_COUNT=${COUNT})`, () => {
  it('signed entries: only InvalidEntryError, views, tryDecodeEntry agrees, and no altered entry verifies', async () => {
    const gen = prng.create(SEED)
    const random = (n: number): Uint8Array => prng.uint8Array(gen, n)
    const identities = await Promise.all([0, 1].map(async () => await generateIdentity({ seed: random(32) })))
    const entries: Entry[] = []
    for (let k = 0; k < 8; k++) {
      const deps = entries.slice(-int(gen, 0, 3)).map((e) => e.id)
      entries.push(await createEntry(identities[k % 2]!, DOMAIN, { kind: int(gen, 1, 11), time: 1_700_000_000_000 + k, deps, body: random(prng.oneOf(gen, [0, 30, 400])) }, random))
    }
    const batch = await signEntries(identities[0]!, DOMAIN, Array.from({ length: 4 }, (_, k) => ({
      id: random(16), draft: { kind: MessageKind.message, time: 1_700_000_000_000 + k, deps: [entries[0]!.id], body: random(int(gen, 0, 100)) }
    })), random)
    entries.push(...batch.entries, batch.batch!)
    const corpus = entries.map((e) => e.bytes)
    const originals = new Set(corpus.map(hex))
    const batches = new Map<EntryId, Entry[]>([[batch.batch!.id, [batch.batch!]]])
    const verifier = new EntryVerifier(DOMAIN)
    const h = new Harness(replay)
    const heapBefore = heapUsed()
    let verified = 0
    const decode = async (i: number, input: Uint8Array): Promise<void> => {
      let entry: Entry | undefined
      const ok = h.run('decodeEntry', new Set(['InvalidEntryError']), i, input, () => {
        entry = decodeEntry(input)
        for (const f of [entry.body, entry.signed]) if (f.length > 0 && f.buffer !== input.buffer) throw new Error(`decodeEntry copied a field; ${replay}`)
      })
      h.run('tryDecodeEntry', NEVER_THROWS, i, input, () => {
        const e = tryDecodeEntry(input)
        if ((e !== null) !== ok) throw new Error(`tryDecodeEntry and decodeEntry disagree; ${replay}`)
        return e !== null
      })
      // Ed25519 is the cost here: every fourth decoded entry is verified.
      if (entry !== undefined && (ok ? h.accepted.decodeEntry! % 4 === 0 : false)) {
        const e = entry
        verified++
        const valid = await h.runAsync('EntryVerifier.verify', NEVER_THROWS, i, input, async () => await verifier.verify(e, (id) => batches.get(id)))
        if (valid && !originals.has(hex(input))) throw new Error(`EntryVerifier.verify accepted an altered entry ${hex(input)}; ${replay}`)
      }
    }
    let i = 0
    for (const valid of corpus) for (const t of truncations(valid).filter((_, k) => k % 5 === 0 || k > valid.length - 24)) await decode(i++, t)
    for (let n = 0; n < COUNT / 2; n++) await decode(i++, mutateBytes(gen, corpus))
    console.log(`fuzzed ${i} entries (SEED=${SEED}), ${verified} verified; accepted/tried: ${h.summary()}`)
    expect(heapUsed() - heapBefore, replay).toBeLessThan(MAX_HEAP_GROWTH)
    if (COUNT >= 10_000) expect(h.accepted.decodeEntry, replay).toBeGreaterThan(0)
  }, TIMEOUT)

  it('entry bodies: room ops, message bodies and contact changes never throw', async () => {
    const gen = prng.create(SEED ^ 0xb0d)
    const identity = await generateIdentity({ seed: prng.uint8Array(gen, 32) })
    const peer = identity.peerId
    const shares = [{ member: peer, sealed: new Uint8Array([0, 1, 2]) }, { member: peer, sealed: prng.uint8Array(gen, 30) }]
    const ops: RoomOp[] = [
      { type: 'create', name: 'general', topic: 'chat', visibility: 'private', shares: [] },
      { type: 'rename', name: 'random' }, { type: 'set-topic', topic: 't' }, { type: 'set-visibility', visibility: 'public' },
      { type: 'add-member', target: peer, role: 'member', shares: [] }, { type: 'set-role', target: peer, role: 'admin' },
      { type: 'remove', target: peer, shares: [] }, { type: 'ban', target: peer, shares }, { type: 'unban', target: peer },
      { type: 'leave' }, { type: 'share-key', shares: [] },
      { type: 'create', name: 'n', topic: '', visibility: 'public', shares }, { type: 'share-key', shares }
    ]
    const roomBodies = ops.map(encodeRoomOp)
    const roomJson = roomBodies.map((b) => JSON.parse(new TextDecoder().decode(b)) as unknown)
    const changes = [{ type: 'set', peer, name: 'ada', note: 'n' }, { type: 'set', peer }, { type: 'remove', peer }, { type: 'block', peer }, { type: 'unblock', peer }]
    const changeBodies = changes.map((c) => encodeContactChange(c as Parameters<typeof encodeContactChange>[0]))
    const id = 'AAAAAAAAAAAAAAAAAAAAAA' as EntryId
    const messageBodies: Array<[number, Uint8Array]> = [
      [MessageKind.message, encodeMessageBody({ type: 'message', text: 'hello \u{1f600}', replyTo: { id, segment: 3 }, attachments: ['f1', 'f2'] })],
      [MessageKind.message, encodeMessageBody({ type: 'message', text: '', replyTo: null, attachments: [] })],
      [MessageKind.edit, encodeMessageBody({ type: 'edit', target: id, text: 'fixed' })],
      [MessageKind.reaction, encodeMessageBody({ type: 'reaction', target: id, emoji: '+1' })],
      [MessageKind.delete, encodeMessageBody({ type: 'delete', target: id })]
    ]
    const template = (await createEntry(identity, DOMAIN, { kind: RoomOpKind.create, time: 1, body: roomBodies[0]! })) as Entry
    const kinds = [...Object.values(RoomOpKind), 0, 12, 0xfffe]
    const kindByType = new Map<unknown, number>(Object.entries({
      create: 1, rename: 2, 'set-topic': 3, 'set-visibility': 4, 'add-member': 5, 'set-role': 6, remove: 7, ban: 8, unban: 9, leave: 10, 'share-key': 11
    }))
    const kindOfBody = (body: Uint8Array): number => {
      try {
        return kindByType.get((JSON.parse(new TextDecoder().decode(body)) as { type?: unknown } | null)?.type) ?? 1
      } catch {
        return 1
      }
    }
    const h = new Harness(replay)
    const strings = [peer, 'AAEC', 'member', 'owner', 'private']
    const bodies = Math.ceil(COUNT / 4)
    for (let i = 0; i < bodies; i++) {
      const roll = int(gen, 0, 2)
      const body = roll === 0 ? mutateBytes(gen, roomBodies) : utf8(mutateJson(gen, prng.oneOf(gen, roomJson), strings))
      // Any kind (a body that does not match its kind must have no effect), and the kind the body names.
      h.run('decodeRoomOp', NEVER_THROWS, i, body, () => decodeRoomOp({ ...template, kind: prng.oneOf(gen, kinds), body }) !== null)
      h.run('decodeRoomOp (matching kind)', NEVER_THROWS, i, body, () => decodeRoomOp({ ...template, kind: kindOfBody(body), body }) !== null)
      const [kind, valid] = prng.oneOf(gen, messageBodies)
      const m = mutateBytes(gen, messageBodies.map(([, b]) => b))
      h.run('decodeMessageBody', NEVER_THROWS, i, m, () => decodeMessageBody(int(gen, 0, 4) === 0 ? int(gen, 0, 6) : kind, int(gen, 0, 9) === 0 ? valid : m) !== null)
      const c = int(gen, 0, 1) === 0 ? mutateBytes(gen, changeBodies) : utf8(mutateJson(gen, prng.oneOf(gen, changes), strings))
      h.run('decodeContactChange', NEVER_THROWS, i, c, () => decodeContactChange(c) !== null)
    }
    console.log(`fuzzed ${bodies} bodies of each kind (SEED=${SEED}); accepted/tried: ${h.summary()}`)
    if (COUNT >= 10_000) for (const name of ['decodeRoomOp (matching kind)', 'decodeMessageBody', 'decodeContactChange']) expect(h.accepted[name], `${name} accepted nothing; ${replay}`).toBeGreaterThan(0)
  }, TIMEOUT)

  it('invite texts: parseInviteLink and parseContactInvite throw only their named errors', async () => {
    const gen = prng.create(SEED ^ 0x1a7)
    const identity = await generateIdentity({ seed: prng.uint8Array(gen, 32) })
    const rooms = [inviteLink('AAAAAAAAAAAAAAAAAAAAAA' as EntryId, prng.uint8Array(gen, 16)), inviteLink('abcdefghijklmnopqrstuv' as EntryId, prng.uint8Array(gen, 16))]
    const contacts = [await contactInvite(identity, 'Ada Lovelace'), await contactInvite(identity, ''), await contactInvite(identity, 'é & ? = # \u{1f600}')]
    const h = new Harness(replay)
    const links = Math.ceil(COUNT / 4)
    for (let i = 0; i < links; i++) {
      const link = mutateText(gen, [...rooms, ...contacts])
      h.run('parseInviteLink', new Set(['NotFoundError', 'InvalidRoomSecretError']), i, link, () => parseInviteLink(link))
    }
    // Each well-formed contact invite costs an Ed25519 verification: a twentieth of COUNT.
    const inputs = Math.ceil(COUNT / 20)
    for (let i = 0; i < inputs; i++) {
      const text = i < contacts[0]!.length ? contacts[0]!.slice(0, i) : mutateText(gen, contacts)
      await h.runAsync('parseContactInvite', new Set(['InvalidDataArgumentError']), i, text, async () => {
        const { peer, name } = await parseContactInvite(text)
        if (peer !== identity.peerId || !['Ada Lovelace', '', 'é & ? = # \u{1f600}'].includes(name)) throw new Error(`parseContactInvite accepted an altered invite ${JSON.stringify(text)}; ${replay}`)
      })
    }
    console.log(`fuzzed ${links} invite links, ${inputs} contact invites (SEED=${SEED}); accepted/tried: ${h.summary()}`)
    if (COUNT >= 10_000) for (const name of ['parseInviteLink', 'parseContactInvite']) expect(h.accepted[name], `${name} accepted nothing; ${replay}`).toBeGreaterThan(0)
  }, TIMEOUT)
})
