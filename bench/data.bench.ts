// Message log at scale: ours (signed entries, 1,000-message segment documents, persisted to
// an in-memory store) against a plain single Y.Array log with one transaction per message,
// measured in the same run. Progress on stderr; one markdown section on stdout.
import * as Y from 'yjs'
import { generateIdentity } from '@ymesh/crypto'
import { MemoryDocStore, MessageLog, Replica } from '@ymesh/data'

const N = Number(process.env.DATA_BENCH_N ?? 100_000)
const TAIL = 1000
const gc = (): void => { (globalThis as { gc?: () => void }).gc?.() }
const heap = (): number => { gc(); gc(); return process.memoryUsage().heapUsed }
const log = (s: string): void => { process.stderr.write(s + '\n') }
const text = (i: number): string => `message number ${i} with some ordinary chat text`

const baseline = async (): Promise<{ rate: number, load: number, mem: number }> => {
  const before = heap()
  const doc = new Y.Doc()
  const arr = doc.getArray<{ id: string, author: string, time: number, text: string }>('log')
  let t0 = 0
  for (let i = 0; i < N; i++) {
    if (i === N - TAIL) t0 = performance.now()
    doc.transact(() => { arr.push([{ id: `m${i}`, author: 'alice', time: Date.now(), text: text(i) }]) })
    if (i % 10_000 === 0) log(`baseline ${i}`)
  }
  const rate = TAIL / ((performance.now() - t0) / 1000)
  const mem = heap() - before
  const state = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  const l0 = performance.now()
  const loaded = new Y.Doc()
  Y.applyUpdate(loaded, state)
  loaded.getArray('log').toArray()
  const load = performance.now() - l0
  loaded.destroy()
  return { rate, load, mem }
}

const ours = async (): Promise<{ rate: number, recent: number, full: number, mem: number }> => {
  const identity = await generateIdentity({ seed: new Uint8Array(32).fill(7) })
  const store = new MemoryDocStore()
  const before = heap()
  const replica = new Replica(store)
  const mlog = await new MessageLog({ source: replica, identity, conversationId: 'bench', maxLoadedSegments: 2 }).open()
  let t0 = 0
  const BATCH = 1000
  for (let i = 0; i < N; i += BATCH) {
    if (i === N - TAIL) t0 = performance.now()
    const sends: Array<Promise<unknown>> = []
    for (let j = i; j < i + BATCH; j++) sends.push(mlog.send(text(j)))
    await Promise.all(sends)
    await replica.flush()
    if (i % 10_000 === 0) log(`ours ${i}`)
  }
  const rate = TAIL / ((performance.now() - t0) / 1000)
  const mem = heap() - before - store.byteLength()
  mlog.close()
  await replica.close()
  const r0 = performance.now()
  const fresh = await new MessageLog({ source: new Replica(store), identity, conversationId: 'bench' }).open()
  const recent = await fresh.view({ last: 100 })
  const recentMs = performance.now() - r0
  if (recent.messages.length !== 100) throw new Error('recent view incomplete')
  const f0 = performance.now()
  const all = new Replica(store)
  let count = 0
  for (const id of await store.list('log/bench/seg/')) count += (await all.open(id)).getArray('entries').length
  const full = performance.now() - f0
  if (count !== N) throw new Error(`full history has ${count} of ${N}`)
  return { rate, recent: recentMs, full, mem }
}

const b = await baseline()
log(`baseline: ${b.rate.toFixed(0)}/s, load ${b.load.toFixed(0)} ms`)
const o = await ours()
const ok = (c: boolean): string => (c ? 'met' : 'NOT met')
console.log(`## Data: message log at ${N.toLocaleString('en')} messages

Baseline: one Y.Array, one transaction per message, same process and run. Ours: each message
a signed entry, 1,000-message segment documents, every update persisted to the in-memory
DocStore; sends pipelined 1,000 at a time (group commit: entries queued in the same turn
share one Yjs transaction, one store write and one Ed25519 signature per batch of up to
512, each entry verifiable alone through its batch's signature and its SHA-256). A segment
that fills is compacted to one stored update. Append rate is over the last
${TAIL.toLocaleString('en')} messages. The recent view starts from a fresh replica on the
same store and verifies and decrypts only the tail it shows.

| figure | baseline | ours | ratio | target | |
|---|---|---|---|---|---|
| append rate at ${N.toLocaleString('en')} (msg/s) | ${b.rate.toFixed(0)} | ${o.rate.toFixed(0)} | ${(o.rate / b.rate).toFixed(1)}× | ≥ 10× | ${ok(o.rate >= 10 * b.rate)} |
| recent view (last 100) vs baseline full load (ms) | ${b.load.toFixed(1)} | ${o.recent.toFixed(1)} | ${(o.recent / b.load).toFixed(2)} | ≤ 0.2 | ${ok(o.recent <= 0.2 * b.load)} |
| full history load (ms) | ${b.load.toFixed(1)} | ${o.full.toFixed(1)} | ${(o.full / b.load).toFixed(2)} | ≤ 1 | ${ok(o.full <= b.load)} |
| heap while writing, store excluded (MB) | ${(b.mem / 1e6).toFixed(1)} | ${(o.mem / 1e6).toFixed(1)} | ${(o.mem / b.mem).toFixed(2)} | ≤ 1 | ${ok(o.mem <= b.mem)} |

The full-history figure loads every segment document (signatures are verified lazily, as
messages are viewed, and cached per loaded entry). Targets: issue 8 (append ≥ 10×, recent
view ≤ 0.2× and full history ≤ 1× of the baseline's full load, memory ≤ 1×).`)
