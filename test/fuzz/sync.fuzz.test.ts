/**
 * Fuzz every @ymesh/sync decoder with seeded hostile input: signed updates, signed awareness
 * entries and sync messages from the network, and the stored-record framing of DocStore
 * (MAC'd records and snapshots) and FileStorage (the on-disk frame format) from storage.
 *
 * FUZZ_COUNT is the number of network inputs; storage gets a fiftieth of it in stores (about
 * ten records each) and a two-hundredth in corrupted files, as each costs MACs or a file write.
 *
 * Contracts (from the sources): decodeSignedUpdate / decodeSignedAwareness / decodeSyncMessage
 * throw only InvalidMessageError, MessageTooLargeError or UnsupportedVersionError and return
 * views into their input; verifySignedUpdate / verifySignedAwareness never throw and accept
 * no altered bytes; DocStore.load and FileStorage.load never throw on corrupt records: they
 * skip and count them.
 *
 *   FUZZ_COUNT=1000000 SEED=1234 npx vitest run --project fuzz sync.fuzz
 */
import { createHmac } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as encoding from 'lib0/encoding'
import * as prng from 'lib0/prng'
import { afterAll, describe, expect, it } from 'vitest'
import { generateIdentity } from '@ymesh/crypto'
import {
  createSignedAwareness, createSignedUpdate, decodeSignedAwareness, decodeSignedUpdate, decodeSyncMessage, DocStore,
  encodeSyncMessage, MemoryStorage, storeKeyFromBytes, SyncMessageType, verifySignedAwareness, verifySignedUpdate
} from '@ymesh/sync'
import type { SyncMessage } from '@ymesh/sync'
import { FileStorage } from '@ymesh/sync/node'
import { fuzzConfig, Harness, heapUsed, int, MAX_HEAP_GROWTH, mutateBytes, truncations } from './fuzz-kit.js'
import type { Gen } from './fuzz-kit.js'

const { count: COUNT, seed: SEED, replay, timeout: TIMEOUT } = fuzzConfig()
const WIRE_ERRORS = new Set(['InvalidMessageError', 'MessageTooLargeError', 'UnsupportedVersionError'])
const NEVER_THROWS = new Set<string>()

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** Every byte field must be a view into the input (decoders copy nothing). */
const expectViews = (fields: readonly Uint8Array[], input: Uint8Array, where: string): void => {
  for (const f of fields) if (f.length > 0 && f.buffer !== input.buffer) throw new Error(`${where} returned a copied byte field instead of a view; ${replay}`)
}

interface Corpus { updates: Uint8Array[], awareness: Uint8Array[], messages: Uint8Array[], all: Uint8Array[] }

const makeCorpus = async (gen: Gen): Promise<Corpus> => {
  const identities = await Promise.all([0, 1, 2].map(async () => await generateIdentity({ seed: prng.uint8Array(gen, 32) })))
  const updates: Uint8Array[] = []
  const awareness: Uint8Array[] = []
  for (let i = 0; i < 12; i++) {
    const identity = prng.oneOf(gen, identities)
    const seqStart = int(gen, 0, 1000)
    const clockStart = int(gen, 0, 2 ** 20)
    const docId = prng.oneOf(gen, ['room/a', 'doc', 'x'.repeat(256), '\u00e9t\u00e9/\u{1f600}'])
    const u = await createSignedUpdate(identity, {
      docId, clientIndex: int(gen, 0, 3), clientId: int(gen, 1, 2 ** 30) * 2 ** 20 + int(gen, 0, 2 ** 20), seqStart, seqEnd: seqStart + int(gen, 1, 5),
      clockStart, clockEnd: clockStart + int(gen, 0, 100), sealed: prng.bool(gen)
    }, prng.uint8Array(gen, prng.oneOf(gen, [0, 20, 300, 3000])))
    updates.push(u.bytes)
    const a = await createSignedAwareness(identity, {
      docId, clientIndex: int(gen, 0, 3), clientId: int(gen, 1, 2 ** 31), clock: int(gen, 0, 2 ** 31),
      state: prng.oneOf(gen, ['null', '{"user":{"name":"ada","color":"#f00"}}', JSON.stringify({ cursor: prng.utf16String(gen, 30) })])
    })
    awareness.push(a.bytes)
  }
  const vector = (): Map<number, number> => new Map(Array.from({ length: int(gen, 0, 6) }, (_, i) => [i * 7919 + int(gen, 1, 7000), int(gen, 0, 2 ** 40)]))
  const messages: SyncMessage[] = []
  for (let i = 0; i < 12; i++) {
    messages.push({ type: SyncMessageType.SyncRequest, logVector: vector(), stateVector: vector() })
    messages.push({ type: SyncMessageType.SyncResponse, updates: updates.slice(0, int(gen, 0, 3)), unsigned: [prng.uint8Array(gen, int(gen, 0, 40))] })
    messages.push({ type: SyncMessageType.Update, update: prng.oneOf(gen, updates) })
    messages.push({ type: SyncMessageType.Awareness, entry: prng.oneOf(gen, awareness) })
    messages.push({ type: SyncMessageType.UnsignedUpdate, update: prng.uint8Array(gen, int(gen, 0, 100)) })
  }
  const encoded = messages.map(encodeSyncMessage)
  return { updates, awareness, messages: encoded, all: [...updates, ...awareness, ...encoded] }
}

describe(`sync decoders under fuzzing (SEED=${SEED}, FUZZ_COUNT=${COUNT})`, () => {
  it('signed updates, signed awareness and sync messages: only named errors, views, no forged signature verifies', async () => {
    const gen = prng.create(SEED)
    const corpus = await makeCorpus(gen)
    const originals = new Set(corpus.all.map(hex))
    const h = new Harness(replay)
    const heapBefore = heapUsed()
    let verified = 0
    const decodeAll = async (i: number, input: Uint8Array): Promise<void> => {
      let update: ReturnType<typeof decodeSignedUpdate> | undefined
      let entry: ReturnType<typeof decodeSignedAwareness> | undefined
      h.run('signed-update', WIRE_ERRORS, i, input, () => {
        update = decodeSignedUpdate(input)
        expectViews([update.payload, update.signature, update.bytes, update.signedBytes], input, 'decodeSignedUpdate')
      })
      h.run('signed-awareness', WIRE_ERRORS, i, input, () => {
        entry = decodeSignedAwareness(input)
        expectViews([entry.signature, entry.bytes, entry.signedBytes], input, 'decodeSignedAwareness')
      })
      h.run('sync-message', WIRE_ERRORS, i, input, () => {
        const m = decodeSyncMessage(input)
        const fields = m.type === SyncMessageType.SyncResponse ? [...m.updates, ...m.unsigned]
          : m.type === SyncMessageType.SyncRequest ? [] : m.type === SyncMessageType.Awareness ? [m.entry] : [m.update]
        expectViews(fields, input, 'decodeSyncMessage')
        // What a receiver does next: decode the signed update or awareness entry it carries.
        if (m.type === SyncMessageType.Update) h.run('sync-message → signed-update', WIRE_ERRORS, i, input, () => decodeSignedUpdate(m.update))
        if (m.type === SyncMessageType.Awareness) h.run('sync-message → signed-awareness', WIRE_ERRORS, i, input, () => decodeSignedAwareness(m.entry))
      })
      // Signatures: only ever of unaltered bytes. (A mutation can reproduce an original exactly.)
      if (update !== undefined) {
        const u = update
        const ok = await h.runAsync('verify-signed-update', NEVER_THROWS, i, input, async () => await verifySignedUpdate(u))
        verified++
        if (ok && !originals.has(hex(u.bytes))) throw new Error(`verifySignedUpdate accepted altered bytes ${hex(input)}; ${replay}`)
      }
      if (entry !== undefined) {
        const a = entry
        const ok = await h.runAsync('verify-signed-awareness', NEVER_THROWS, i, input, async () => await verifySignedAwareness(a))
        verified++
        if (ok && !originals.has(hex(a.bytes))) throw new Error(`verifySignedAwareness accepted altered bytes ${hex(input)}; ${replay}`)
      }
    }
    let i = 0
    for (const valid of corpus.all) for (const t of truncations(valid).filter((_, k) => k % 7 === 0 || k > valid.length - 8)) await decodeAll(i++, t)
    const inputs = COUNT
    for (let n = 0; n < inputs; n++) await decodeAll(i++, mutateBytes(gen, corpus.all))
    const heapGrowth = heapUsed() - heapBefore
    console.log(`fuzzed ${i} inputs (SEED=${SEED}), ${verified} signature checks; accepted/tried: ${h.summary()}`)
    expect(heapGrowth, replay).toBeLessThan(MAX_HEAP_GROWTH)
    if (inputs >= 10_000) for (const name of ['signed-update', 'signed-awareness', 'sync-message', 'sync-message → signed-update']) expect(h.accepted[name], `${name} accepted nothing; ${replay}`).toBeGreaterThan(0)
  }, TIMEOUT)

  it('DocStore.load never throws on corrupt records or snapshots with valid MACs: it skips and counts them', async () => {
    const gen = prng.create(SEED ^ 0xd0c)
    const corpus = await makeCorpus(gen)
    // The key is known here so that the records get past the MAC and reach the record grammar.
    const keyBytes = prng.uint8Array(gen, 32)
    const key = await storeKeyFromBytes(keyBytes)
    const docId = 'fuzz/doc'
    const prefix = encoding.encode((e) => encoding.writeVarString(e, docId))
    const withMac = (body: Uint8Array): Uint8Array => Buffer.concat([body, createHmac('sha256', keyBytes).update(prefix).update(body).digest()])
    const record = (kind: number, bytes: Uint8Array): Uint8Array => encoding.encode((e) => { encoding.writeVarUint(e, kind); encoding.writeVarUint8Array(e, bytes) })
    const snapshot = (update: Uint8Array, vector: Array<[number, number]>): Uint8Array => encoding.encode((e) => {
      encoding.writeVarUint8Array(e, update)
      encoding.writeVarUint(e, vector.length)
      for (const [c, s] of vector) { encoding.writeVarUint(e, c); encoding.writeVarUint(e, s) }
    })
    const bodies = [
      ...corpus.updates.map((u) => record(0, u)), ...corpus.messages.slice(0, 6).map((u) => record(1, u)),
      snapshot(prng.uint8Array(gen, 200), [[1, 2], [2 ** 40, 7]]), snapshot(new Uint8Array(0), [])
    ]
    const h = new Harness(replay)
    // About ten records per store: COUNT / 50 stores is a fifth of COUNT records.
    const rounds = Math.ceil(COUNT / 50)
    let loadedRecords = 0
    for (let i = 0; i < rounds; i++) {
      const storage = new MemoryStorage()
      const n = int(gen, 1, 20)
      const records = Array.from({ length: n }, () => {
        const roll = int(gen, 0, 9)
        if (roll === 0) return mutateBytes(gen, bodies) // raw, MAC almost surely wrong
        const body = roll < 3 ? prng.oneOf(gen, bodies) : mutateBytes(gen, bodies)
        return withMac(body)
      })
      const snap = prng.bool(gen) ? null : withMac(mutateBytes(gen, bodies))
      await storage.replace(docId, records, snap)
      const store = new DocStore(storage, docId, key)
      await h.runAsync('doc-store.load', NEVER_THROWS, i, records, async () => {
        const loaded = await store.load()
        const total = loaded.signed.length + loaded.unsigned.length + (loaded.snapshot === null ? 0 : 1) + loaded.corrupt
        if (total !== n + (snap === null ? 0 : 1)) throw new Error(`DocStore.load lost track of records: ${total} accounted for, ${n} stored; ${replay}`)
        loadedRecords += loaded.signed.length + loaded.unsigned.length
      })
    }
    console.log(`loaded ${rounds} corrupt stores (SEED=${SEED}); ${loadedRecords} records passed; ${h.summary()}`)
    if (rounds >= 500) expect(loadedRecords, replay).toBeGreaterThan(0)
  }, TIMEOUT)

  const dirs: string[] = []
  afterAll(async () => { await Promise.all(dirs.map(async (d) => { await rm(d, { recursive: true, force: true }) })) })

  it('FileStorage.load and listDocs never throw on a corrupted file: bad frames are skipped and counted', async () => {
    const gen = prng.create(SEED ^ 0xf11e)
    const directory = await mkdtemp(join(tmpdir(), 'ymesh-fuzz-'))
    dirs.push(directory)
    const storage = new FileStorage({ directory, fsync: false })
    const docId = 'fuzz/file'
    const payloads = Array.from({ length: 6 }, () => prng.uint8Array(gen, prng.oneOf(gen, [0, 5, 40, 700])))
    await storage.replace(docId, payloads.slice(1), payloads[0]!)
    await storage.append(docId, payloads[1]!)
    const [name] = (await readdir(directory)).filter((f) => f.endsWith('.ylog'))
    const path = join(directory, name!)
    const valid = await readFile(path)
    const corpus = [valid, valid.subarray(0, 60), Buffer.concat([valid, valid.subarray(20)])]
    const h = new Harness(replay)
    // One file write and read per input: the slowest path here, so a two-hundredth of COUNT.
    const rounds = Math.ceil(COUNT / 200)
    let records = 0
    for (let i = 0; i < rounds; i++) {
      const bytes = i < 50 ? valid.subarray(0, Math.floor(valid.length * i / 50)) : mutateBytes(gen, corpus)
      await writeFile(path, bytes)
      await h.runAsync('file-storage.load', NEVER_THROWS, i, bytes, async () => {
        const loaded = await storage.load(docId)
        if (loaded.corrupt < 0 || loaded.records.some((r) => r.length > bytes.length)) throw new Error(`FileStorage.load returned impossible records; ${replay}`)
        records += loaded.records.length
      })
      if (i % 16 === 0) await h.runAsync('file-storage.listDocs', NEVER_THROWS, i, bytes, async () => await storage.listDocs())
    }
    await storage.close()
    console.log(`loaded ${rounds} corrupted files (SEED=${SEED}); ${records} records recovered; ${h.summary()}`)
    if (rounds >= 200) expect(records, replay).toBeGreaterThan(0)
  }, TIMEOUT)
})
