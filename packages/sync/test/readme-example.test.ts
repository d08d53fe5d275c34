import { expect, it } from 'vitest'
import * as Y from 'yjs'
import type { Clock, Timer } from '@ymesh/protocol'
import { generateIdentity } from '@ymesh/crypto'
import { AuthenticatedDoc, DocStore, MemoryStorage, storeKeyFromIdentity } from '@ymesh/sync'

it('README example: two replicas, signed edit, authorship', async () => {
  const clock: Clock = {
    now: () => performance.now(),
    setTimeout: (f, ms) => setTimeout(f, ms) as unknown as Timer,
    clearTimeout: (t) => { clearTimeout(t as unknown as NodeJS.Timeout) },
    setInterval: (f, ms) => setInterval(f, ms) as unknown as Timer,
    clearInterval: (t) => { clearInterval(t as unknown as NodeJS.Timeout) },
    settle: async (work) => await work
  }
  const alice = await generateIdentity()
  const bob = await generateIdentity()
  const a = new AuthenticatedDoc({
    doc: new Y.Doc(),
    docId: 'notes',
    identity: alice,
    clock,
    store: new DocStore(new MemoryStorage(), 'notes', await storeKeyFromIdentity(alice))
  })
  const b = new AuthenticatedDoc({ doc: new Y.Doc(), docId: 'notes', identity: bob, clock })
  await a.start()
  await b.start()
  const delivered: Array<Promise<void>> = []
  a.on('message', ({ message }) => { delivered.push(b.receive(message, { from: alice.peerId })) })
  a.doc.getText('t').insert(0, 'hello')
  await a.flush()
  await Promise.all(delivered)
  expect(b.doc.getText('t').toString()).toBe('hello')
  expect(b.authorOf(a.doc.clientID)).toMatchObject({ kind: 'signed', author: alice.peerId })
  await a.stop()
  await b.stop()
})
