// @ymesh/sync: what authentication costs against plain Yjs in the same process.
// Progress on stderr, one markdown section on stdout.
import * as Y from 'yjs'
import type { Clock, PeerId, Timer } from '@ymesh/protocol'
import { generateIdentity, verify, type Identity } from '@ymesh/crypto'
import {
  AuthenticatedDoc, DocStore, MemoryStorage, SIGNED_UPDATE_DOMAIN, SyncMessageType, createSignedUpdate, decodeSignedUpdate,
  encodeSyncMessage, storeKeyFromIdentity
} from '@ymesh/sync'

const EDITS = Number(process.env.SYNC_EDITS ?? 4000)
const STORE_UPDATES = Number(process.env.SYNC_STORE_UPDATES ?? 100_000)
const VERIFY_SAMPLE = Number(process.env.SYNC_VERIFY_SAMPLE ?? 10_000)
const WINDOW_MS = 16

const log = (s: string): void => { process.stderr.write(`${s}\n`) }

/** Time stands still unless the bench moves it: batches close exactly when told. */
const manualClock = (): Clock & { fire: () => void } => {
  let pending: (() => void) | null = null
  return {
    now: () => 0,
    setTimeout: (cb) => { pending = cb; return 1 as unknown as Timer },
    clearTimeout: () => { pending = null },
    setInterval: () => 2 as unknown as Timer,
    clearInterval: () => undefined,
    settle: async (w) => await w,
    fire: () => { const cb = pending; pending = null; cb?.() }
  }
}

/** `part` as a fraction of `whole`, e.g. '1/12'. */
const ratio = (part: number, whole: number): string => part >= whole ? `${(part / whole).toFixed(1)}×` : `1/${Math.round(whole / part)}`

/** --expose-gc is on under bench/run.mjs; a no-op otherwise. */
const gc = (): void => { (globalThis as { gc?: () => void }).gc?.() }

const fmt = (n: number): string => n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2)

const main = async (): Promise<void> => {
  const alice = await generateIdentity({ seed: new Uint8Array(32).fill(1) })
  const bob = await generateIdentity({ seed: new Uint8Array(32).fill(2) })

  // 1. Local edits per second, signed in batches of B transactions, vs plain Yjs.
  log('local edits…')
  const plainDoc = new Y.Doc()
  const plainUpdates: Uint8Array[] = []
  plainDoc.on('update', (u: Uint8Array) => { plainUpdates.push(u) })
  let t = performance.now()
  for (let i = 0; i < EDITS; i++) plainDoc.getText('t').insert(i, 'x')
  const plainRate = EDITS / ((performance.now() - t) / 1000)
  const local: Array<{ batch: number, rate: number, signatures: number, signMs: number }> = []
  const signedMessages: Uint8Array[] = []
  for (const batch of [1, 10, 100]) {
    const clock = manualClock()
    const adoc = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'bench', identity: alice, clock, clientIndex: batch })
    await adoc.start()
    if (batch === 1) adoc.on('message', ({ message }) => { signedMessages.push(message) })
    const text = adoc.doc.getText('t')
    t = performance.now()
    for (let i = 0; i < EDITS; i++) {
      text.insert(i, 'x')
      if ((i + 1) % batch === 0) {
        clock.fire()
        await adoc.flush()
      }
    }
    await adoc.flush()
    const ms = performance.now() - t
    local.push({ batch, rate: EDITS / (ms / 1000), signatures: adoc.stats.signed, signMs: ms / adoc.stats.signed })
    await adoc.stop()
  }

  // 2. Receiving: verify + validate + apply per second, vs Y.applyUpdate.
  log('receive…')
  t = performance.now()
  const plainReceiver = new Y.Doc()
  for (const u of plainUpdates) Y.applyUpdate(plainReceiver, u)
  const plainApplyRate = plainUpdates.length / ((performance.now() - t) / 1000)
  const receiver = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'bench', identity: bob, clock: manualClock() })
  await receiver.start()
  t = performance.now()
  for (const m of signedMessages) await receiver.receive(m, { from: alice.peerId })
  const receiveMs = performance.now() - t
  const receiveRate = signedMessages.length / (receiveMs / 1000)
  // Catch-up: one response carrying every update (signatures verified concurrently).
  const late = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'bench', identity: bob, clock: manualClock() })
  await late.start()
  const response = encodeSyncMessage({ type: SyncMessageType.SyncResponse, updates: signedMessages.map((m) => m.subarray(0)).map((m) => decodeSyncMessageUpdate(m)), unsigned: [] })
  t = performance.now()
  await late.receive(response, { from: alice.peerId })
  const catchUpRate = signedMessages.length / ((performance.now() - t) / 1000)
  if (late.doc.getText('t').length !== EDITS || receiver.doc.getText('t').length !== EDITS) throw new Error('receivers did not converge')

  // 3. Store load: 100,000 signed updates, MAC-checked vs signature-verified.
  log(`building a ${STORE_UPDATES}-update store…`)
  const source = new Y.Doc()
  source.clientID = receiver.authorOf(0) === undefined ? (await clientIdOf(alice, 7)) : 0
  const raw: Uint8Array[] = []
  source.on('update', (u: Uint8Array) => { raw.push(u) })
  const st = source.getText('t')
  for (let i = 0; i < STORE_UPDATES; i++) st.insert(i % 100 === 0 ? 0 : st.length, 'y')
  const signed: Uint8Array[] = []
  let clock0 = 0
  for (let i = 0; i < raw.length; i += 1000) {
    const part = await Promise.all(raw.slice(i, i + 1000).map(async (u, j) => {
      const seq = i + j
      return (await createSignedUpdate(alice, { docId: 'big', clientIndex: 7, clientId: source.clientID, seqStart: seq, seqEnd: seq + 1, clockStart: clock0 + j, clockEnd: clock0 + j + 1, sealed: false }, u)).bytes
    }))
    clock0 += part.length
    signed.push(...part)
    if (i % 20000 === 0) log(`  signed ${i}`)
  }
  const figures = await storeLoad(alice, raw, signed)
  const { plainLoadMs, macMs, loadNoSnapshotMs, snapshotWriteMs, loadSnapshotMs, verifyAllMs } = figures


  const b1 = local.find((l) => l.batch === 1)!
  const lines = [
    '## Authenticated Yjs (@ymesh/sync)',
    '',
    `Node ${process.version}, one process, single-character Y.Text inserts, one transaction each. Baseline: the same operations on plain Yjs in the same run.`,
    '',
    '| measure | figure | baseline (plain Yjs) |',
    '|---|---|---|',
    ...local.map((l) => `| local edits/s, ${l.batch} transaction(s) per signature | ${fmt(l.rate)} (${l.signatures} signatures, ${fmt(l.signMs)} ms each) | ${fmt(plainRate)} |`),
    `| receive: verify + validate + apply, updates/s (one message each) | ${fmt(receiveRate)} | Y.applyUpdate ${fmt(plainApplyRate)} |`,
    `| catch-up: ${EDITS} signed updates in one sync-response, updates/s | ${fmt(catchUpRate)} | |`,
    `| latency added by batching (window ${WINDOW_MS} ms) | ≤ ${WINDOW_MS} ms + sign ${fmt(b1.signMs)} ms + verify ${fmt(receiveMs / signedMessages.length)} ms | 0 |`,
    '',
    `### Loading a ${STORE_UPDATES.toLocaleString('en-US')}-update store (one MAC per record)`,
    '',
    '| measure | ms | vs re-verifying signatures | vs plain Y.applyUpdate |',
    '|---|---|---|---|',
    `| re-verify ${STORE_UPDATES.toLocaleString('en-US')} signatures (measured on ${VERIFY_SAMPLE.toLocaleString('en-US')}, scaled; baseline) | ${fmt(verifyAllMs)} | 1 | |`,
    `| plain Y.applyUpdate of the same ${STORE_UPDATES.toLocaleString('en-US')} updates, one by one (baseline) | ${fmt(plainLoadMs)} | ${ratio(plainLoadMs, verifyAllMs)} | 1 |`,
    `| integrity check alone: read + HMAC every record (DocStore.load) | ${fmt(macMs)} | ${ratio(macMs, verifyAllMs)} | ${ratio(macMs, plainLoadMs)} |`,
    `| restart, store without a snapshot: integrity check + validate + apply each | ${fmt(loadNoSnapshotMs)} | ${ratio(loadNoSnapshotMs, verifyAllMs)} | ${ratio(loadNoSnapshotMs, plainLoadMs)} |`,
    `| restart, store with its automatic snapshot: integrity check + one update + index headers | ${fmt(loadSnapshotMs)} | ${ratio(loadSnapshotMs, verifyAllMs)} | ${ratio(loadSnapshotMs, plainLoadMs)} |`,
    `| writing that snapshot once, in the background after the first load (rewrites the store) | ${fmt(snapshotWriteMs)} | | |`,
    '',
    `Targets: signing stays off the typing path (met when batching keeps local edits/s within an order of magnitude of plain Yjs: ${local.at(-1)!.rate > plainRate / 10 ? 'met' : 'NOT met'}); ` +
      `a restarted peer loads with its integrity check in ≤ 1/10 of the time re-verifying signatures takes ` +
      `(with its automatic snapshot: ${ratio(loadSnapshotMs, verifyAllMs)}, ${loadSnapshotMs * 10 <= verifyAllMs ? 'met' : 'NOT met'}; ` +
      `without one, the first load: ${ratio(loadNoSnapshotMs, verifyAllMs)}, ${loadNoSnapshotMs * 10 <= verifyAllMs ? 'met' : 'NOT met'}).`
  ]
  process.stdout.write(lines.join('\n') + '\n')
}

/**
 * Section 3, in its own scope so each stage's garbage is collectable before the next one is
 * timed (the heap size otherwise taxes the later stages through GC).
 */
const storeLoad = async (alice: Identity, raw: Uint8Array[], signed: Uint8Array[]): Promise<Record<'plainLoadMs' | 'macMs' | 'loadNoSnapshotMs' | 'snapshotWriteMs' | 'loadSnapshotMs' | 'verifyAllMs', number>> => {
  const key = await storeKeyFromIdentity(alice)
  const store = new DocStore(new MemoryStorage(), 'big', key)
  // One record per update, each with its own MAC: the same bytes appendSigned() writes.
  await store.replace(signed, [], null)
  const sample = signed.slice(0, VERIFY_SAMPLE).map((b) => decodeSignedUpdate(b))
  signed.length = 0 // the store holds its own copies
  log('plain Y.applyUpdate of the same updates (baseline)…')
  const plainLoadMs = timed(() => {
    const doc = new Y.Doc()
    for (const u of raw) Y.applyUpdate(doc, u)
    if (doc.getText('t').length !== STORE_UPDATES) throw new Error('plain apply lost updates')
  })
  raw.length = 0
  log('integrity check alone (DocStore.load)…')
  const macMs = await timedAsync(async () => {
    const checked = await store.load()
    if (checked.signed.length !== STORE_UPDATES || checked.corrupt !== 0) throw new Error('MAC check lost records')
  })
  const start = async (snapshotAfter: number): Promise<AuthenticatedDoc> => {
    const d = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'big', identity: alice, clock: manualClock(), store, snapshotAfter })
    await d.start()
    if (d.doc.getText('t').length !== STORE_UPDATES) throw new Error(`load lost updates: ${d.doc.getText('t').length}`)
    return d
  }
  log('loading (no snapshot)…')
  let doc: AuthenticatedDoc | null = null
  // snapshotAfter Infinity: time the load alone, not the snapshot it then writes.
  const loadNoSnapshotMs = await timedAsync(async () => { doc = await start(Infinity) })
  await doc!.stop()
  log('automatic snapshot after a load…')
  doc = await start(1000)
  const snapshotWriteMs = await timedAsync(async () => { await doc!.stop() }) // waits for the background rewrite
  if ((await store.load()).snapshot === null) throw new Error('no automatic snapshot')
  doc = null
  log('loading (snapshot)…')
  const loadSnapshotMs = await timedAsync(async () => { await (await start(1000)).stop() })
  log(`verifying ${VERIFY_SAMPLE} signatures (baseline)…`)
  const verifySampleMs = await timedAsync(async () => {
    for (let i = 0; i < sample.length; i += 500) {
      await Promise.all(sample.slice(i, i + 500).map(async (u) => await verify(u.author, SIGNED_UPDATE_DOMAIN, u.signedBytes, u.signature)))
    }
  })
  return { plainLoadMs, macMs, loadNoSnapshotMs, snapshotWriteMs, loadSnapshotMs, verifyAllMs: verifySampleMs * (STORE_UPDATES / VERIFY_SAMPLE) }
}

const timed = (work: () => void): number => {
  gc()
  const t = performance.now()
  work()
  return performance.now() - t
}

const timedAsync = async (work: () => Promise<void>): Promise<number> => {
  gc()
  const t = performance.now()
  await work()
  return performance.now() - t
}

const decodeSyncMessageUpdate = (message: Uint8Array): Uint8Array => {
  // An 'update' message is its type byte then the length-prefixed signed update.
  const d = { arr: message, pos: 1 }
  let len = 0
  let mult = 1
  for (;;) {
    const byte = d.arr[d.pos++]!
    len += (byte & 0x7f) * mult
    if (byte < 0x80) break
    mult *= 128
  }
  return message.subarray(d.pos, d.pos + len)
}

const clientIdOf = async (id: { publicKey: Uint8Array }, index: number): Promise<number> => {
  const { clientIdFromPublicKey } = await import('@ymesh/crypto')
  return await clientIdFromPublicKey(id.publicKey, index)
}

void main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})

export type { PeerId }
