import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SimRng } from '@ymesh/sim'
import { generateIdentity } from '@ymesh/crypto'
import type { Identity } from '@ymesh/crypto'
import { DistributedRoomRegistry, Replica, openRoomLog } from '@ymesh/data'
import type { MessageLog, Room, EntryId } from '@ymesh/data'
import { testSeed } from '../helpers/seed.js'

/** Origin of updates this test network delivers (not forwarded again: anti-entropy closes gaps). */
const NET = Symbol('net')

/**
 * A seeded unreliable network between replicas, like yjs's TestConnector: every document
 * update is queued for every other replica, then delivered in random order, dropped or
 * duplicated at random. A final anti-entropy round (state-vector sync) repairs the drops.
 */
class UnreliableNet {
  readonly queue: Array<{ to: number, docId: string, update: Uint8Array }> = []
  delivered = 0
  dropped = 0
  duplicated = 0

  constructor (readonly replicas: readonly Replica[], readonly rng: SimRng, readonly drop = 0.15, readonly duplicate = 0.1) {
    replicas.forEach((r, from) => {
      r.on('doc-opened', ({ docId, doc }) => {
        doc.on('update', (update: Uint8Array, origin: unknown) => {
          if (origin === NET) return
          replicas.forEach((_, to) => { if (to !== from) this.queue.push({ to, docId, update }) })
        })
      })
    })
  }

  /** Delivers up to `n` queued updates, each picked at random (reordering). */
  async step (n: number): Promise<void> {
    for (let i = 0; i < n && this.queue.length > 0; i++) {
      const [msg] = this.queue.splice(this.rng.int(this.queue.length), 1)
      const m = msg!
      if (this.rng.float() < this.drop) { this.dropped++; continue }
      if (this.rng.float() < this.duplicate) { this.duplicated++; this.queue.push(m) }
      Y.applyUpdate(await this.replicas[m.to]!.open(m.docId), m.update, NET)
      this.delivered++
    }
  }

  /** Every replica gets what every other holds (two rounds through replica 0). */
  async antiEntropy (): Promise<void> {
    for (let round = 0; round < 2; round++) {
      for (let i = 1; i < this.replicas.length; i++) {
        const [a, b] = [this.replicas[0]!, this.replicas[i]!]
        for (const id of new Set([...(await a.ids()), ...(await b.ids())])) {
          const da = await a.open(id)
          const db = await b.open(id)
          Y.applyUpdate(db, Y.encodeStateAsUpdate(da, Y.encodeStateVector(db)), NET)
          Y.applyUpdate(da, Y.encodeStateAsUpdate(db, Y.encodeStateVector(da)), NET)
        }
      }
    }
  }
}

const expected = (name: string) => (err: unknown): void => {
  // Actions a replica may not take (yet) in its current view are part of the scenario.
  if (!(err instanceof Error) || !['NotAuthorizedError', 'MissingKeyError'].includes(err.name)) throw new Error(`${name} failed unexpectedly`, { cause: err })
}

describe('data: convergence of 5 replicas over an unreliable network', () => {
  it('room state and message logs converge whatever the delivery order, drops and duplicates', async () => {
    const seed = testSeed()
    const rng = new SimRng(seed)
    const idRng = rng.fork('ids')
    const random = (n: number): Uint8Array => idRng.bytes(n)
    const ids: Identity[] = await Promise.all([1, 2, 3, 4, 5].map((i) => generateIdentity({ seed: new Uint8Array(32).fill(i) })))
    const admin = ids[1]!
    const replicas = ids.map(() => new Replica())
    const net = new UnreliableNet(replicas, rng.fork('net'))
    const regs = ids.map((identity, i) => new DistributedRoomRegistry({ source: replicas[i]!, identity, random }))

    const { room } = await regs[0]!.createRoom({ name: 'general' })
    await room.addMember(admin.peerId, 'admin')
    for (const m of ids.slice(2)) await room.addMember(m.peerId, 'member')
    await net.antiEntropy()
    net.queue.length = 0
    const rooms: Room[] = await Promise.all(regs.map((r) => r.room(room.id)))
    const logs: MessageLog[] = await Promise.all(rooms.map((r, i) => openRoomLog(r, { source: replicas[i]!, identity: ids[i]!, random, segmentSize: 8 })))
    const sent: Array<{ by: number, id: EntryId }> = []

    const act = rng.fork('actions')
    let removed = false
    let demoted = false
    for (let step = 0; step < 40; step++) {
      const i = act.int(ids.length)
      const what = act.int(10)
      if (what < 4) {
        await logs[i]!.send(`m${step} from ${i}`).then((id) => sent.push({ by: i, id }), expected('send'))
      } else if (what === 4) {
        // A burst: signed as one batch.
        await Promise.all([0, 1, 2].map((k) => logs[i]!.send(`burst ${step}.${k} from ${i}`))).then((got) => got.forEach((id) => sent.push({ by: i, id })), expected('burst'))
      } else if (what === 5 && sent.length > 0) {
        await logs[i]!.react(sent[act.int(sent.length)]!.id, ['👍', '🎉'][act.int(2)]!).catch(expected('react'))
      } else if (what === 6) {
        const own = sent.filter((s) => s.by === i)
        if (own.length > 0) await logs[i]!.edit(own[act.int(own.length)]!.id, `edited at ${step}`).catch(expected('edit'))
      } else if (what === 7) {
        await rooms[i]!.rename(`name ${step}`).catch(expected('rename'))
      } else if (what === 8 && !demoted && step > 10) {
        demoted = true
        await rooms[0]!.setRole(admin.peerId, 'member').catch(expected('demote'))
      } else if (what === 9 && !removed && step > 20) {
        removed = true
        await rooms[0]!.remove(ids[4]!.peerId).catch(expected('remove'))
      }
      await net.step(act.int(12))
    }
    await net.step(net.queue.length)
    await net.antiEntropy()
    expect(net.delivered).toBeGreaterThan(0)
    expect(net.dropped + net.duplicated).toBeGreaterThan(0)

    const states = await Promise.all(rooms.map(async (r) => {
      const resolved = await r.resolve()
      const st = resolved.state
      return { name: st.name, members: [...st.members].sort(), banned: [...st.banned].sort(), epoch: st.epoch, order: resolved.graph.order.map((e) => e.id), pending: resolved.graph.pending.length }
    }))
    for (const st of states) expect(st).toEqual(states[0])
    expect(states[0]!.pending).toBe(0)

    const members = new Set(states[0]!.members.map(([p]) => p))
    const views = await Promise.all(logs.map(async (l, i) => {
      if (!members.has(ids[i]!.peerId)) return null
      const v = await l.view()
      return v.messages.map((m) => ({ id: m.id, author: m.author, text: m.text, edited: m.edited, reactions: [...m.reactions].sort() }))
    }))
    const readers = views.filter((v) => v !== null)
    expect(readers.length).toBeGreaterThanOrEqual(4)
    for (const v of readers) expect(v).toEqual(readers[0])
    expect(readers[0]!.length).toBeGreaterThan(0)
    // Every message a reader shows was sent by someone in this run, once.
    const shownIds = readers[0]!.map((m) => m.id)
    expect(new Set(shownIds).size).toBe(shownIds.length)
    for (const id of shownIds) expect(sent.some((s) => s.id === id)).toBe(true)
    // The recent view is the tail of the full view, on every reader.
    for (const [i, l] of logs.entries()) {
      if (views[i] === null) continue
      const recent = await l.view({ last: 5 })
      expect(recent.messages.map((m) => m.id)).toEqual(shownIds.slice(-5))
    }
  })
})
