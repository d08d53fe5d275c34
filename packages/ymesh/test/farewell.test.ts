/** The signed awareness removal a provider sends when it leaves (farewell.ts). */
import * as Y from 'yjs'
import { Awareness } from 'y-protocols/awareness'
import { afterEach, describe, expect, it } from 'vitest'
import { generateIdentity } from '@ymesh/crypto'
import { createSystemClock } from '@ymesh/core'
import { SyncMessageType, decodeSignedAwareness, decodeSyncMessage, verifySignedAwareness } from '@ymesh/sync'
import { Farewell } from '../src/farewell.js'

const cleanups: Array<() => void> = []
afterEach(() => { for (const c of cleanups.splice(0)) c() })

const waitFor = async (cond: () => boolean, what: string, ms = 5_000): Promise<void> => {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

const setup = async (timeoutMs = 2_000) => {
  const identity = await generateIdentity()
  const awareness = new Awareness(new Y.Doc())
  const farewell = new Farewell({ identity, docId: 'room', clientIndex: 7, awareness, clock: createSystemClock(), presignAfterMs: 1, timeoutMs })
  cleanups.push(() => { farewell.stop(); awareness.destroy() })
  const ownId = () => ({ what: 1 as const, clientId: awareness.clientID, a: awareness.meta.get(awareness.clientID)?.clock ?? 0, b: 0 })
  return { identity, awareness, farewell, ownId }
}

const entryOf = (message: Uint8Array) => {
  const m = decodeSyncMessage(message)
  if (m.type !== SyncMessageType.Awareness) throw new Error('not an awareness message')
  return decodeSignedAwareness(m.entry)
}

describe('Farewell', () => {
  it('signs the removal for the next clock ahead once presence is quiet, and leave() returns it at once', async () => {
    const { identity, awareness, farewell, ownId } = await setup()
    awareness.setLocalStateField('user', 'alice')
    farewell.signed(ownId(), new Uint8Array([1]))
    await waitFor(() => farewell.ready, 'the presigned removal')
    const clock = awareness.meta.get(awareness.clientID)?.clock ?? 0
    const { now } = farewell.leave()
    expect(now).not.toBe(null)
    const entry = entryOf(now as Uint8Array)
    expect({ author: entry.author, clientId: entry.clientId, clock: entry.clock, state: entry.state, docId: entry.docId })
      .toEqual({ author: identity.peerId, clientId: awareness.clientID, clock: clock + 1, state: 'null', docId: 'room' })
    expect(await verifySignedAwareness(entry)).toBe(true)
    expect(awareness.getLocalState()).toBe(null)
  })

  it('a presigned removal that no longer follows our last entry is not used: leave() waits for the engine\'s', async () => {
    const { awareness, farewell, ownId } = await setup()
    awareness.setLocalStateField('user', 'alice')
    farewell.signed(ownId(), new Uint8Array([1]))
    await waitFor(() => farewell.ready, 'the presigned removal')
    awareness.setLocalStateField('user', 'alice2') // a newer entry: the presigned clock is stale
    expect(farewell.ready).toBe(false)
    const { now, later } = farewell.leave()
    expect(now).toBe(null)
    const engines = new Uint8Array([9])
    farewell.signed(ownId(), engines) // the engine's removal (clock already advanced by leave())
    expect(await later).toBe(engines)
  })

  it('gives up after timeoutMs, and has nothing to send without a local state', async () => {
    const { awareness, farewell } = await setup(5)
    awareness.setLocalStateField('user', 'alice')
    expect(await farewell.leave().later).toBe(null)
    expect(farewell.leave()).toEqual({ now: null, later: expect.any(Promise) })
    expect(await farewell.leave().later).toBe(null)
  })
})
