/**
 * Rooms, identity and presence, with browsers' stores on two (or three) pinias over the
 * simulator: discovery through the directory, create/join/leave, invite links, deep links,
 * typing, display names, the anchor's "stored", and what stays out of Vue's reactivity.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { isProxy, isReactive } from 'vue'
import * as Y from 'yjs'
import { toBase64UrlEncoded } from 'lib0/buffer'
import { decodeInvite, encodeInvite } from '../src/stores/rooms'
import { applyLaunchParams } from '../src/launch'
import { loadIdentity } from '../src/mesh/identity'
import { openRoomLink } from '../src/mesh/provider'
import { roomMessages } from '../src/mesh/chat-schema'
import type { PresenceUser } from '../src/mesh/session'
import { createBrowsers, type SimBrowser, type SimBrowsers } from './helpers/browsers'

let sim: SimBrowsers | null = null

afterEach(async () => {
  await sim?.close()
  sim = null
  localStorage.clear()
})

const texts = (b: SimBrowser, room: string): string[] => b.chat.rooms[room]?.messages.map((x) => x.text) ?? []

describe('rooms over the simulator', { timeout: 30_000 }, () => {
  it('a public room created by one browser is discovered by another through the directory; join, chat, leave', async () => {
    sim = createBrowsers(31)
    const alice = await sim.browser('alice', 'Alice')
    const bob = await sim.browser('bob', 'Bob')
    alice.rooms.create('  lobby ', false)
    expect(alice.rooms.active).toBe('lobby')
    // Bob never joined it: he learns of it only from the directory document the peers replicate.
    await sim.mesh.until(() => bob.rooms.publicRooms.some((r) => r.name === 'lobby'))
    expect(bob.rooms.publicRooms.find((r) => r.name === 'lobby')).toMatchObject({ createdBy: 'Alice' })
    expect(bob.rooms.joined).toEqual([])
    bob.rooms.join({ name: 'lobby', kind: 'public' })
    expect(JSON.parse(localStorage.getItem(`ymesh-demo:rooms:${bob.m.peerId}`)!)).toEqual([{ name: 'lobby', kind: 'public' }])
    void alice.chat.send('lobby', 'welcome')
    await sim.mesh.until(() => texts(bob, 'lobby').includes('welcome'))

    bob.rooms.leave('lobby')
    expect(bob.rooms.joined).toEqual([])
    expect(bob.rooms.active).toBeNull()
    expect(bob.chat.rooms.lobby).toBeUndefined()
    expect(bob.m.requireSession().get('lobby')).toBeUndefined()
    expect(JSON.parse(localStorage.getItem(`ymesh-demo:rooms:${bob.m.peerId}`)!)).toEqual([])
    // Still listed for others to find.
    expect(bob.rooms.publicRooms.some((r) => r.name === 'lobby')).toBe(true)
    bob.rooms.join({ name: 'bad/name', kind: 'public' })
    expect(bob.rooms.error).toMatch(/not a room name/)
  })

  it('a private room is joined through its invite link, is not listed, and a damaged link says so', async () => {
    sim = createBrowsers(32)
    const alice = await sim.browser('alice', 'Alice')
    const bob = await sim.browser('bob', 'Bob')
    alice.rooms.create('secret', true)
    const spec = alice.rooms.joined.find((r) => r.name === 'secret')!
    expect(spec).toMatchObject({ kind: 'private', password: expect.any(String) })
    const link = alice.rooms.inviteLink('secret', 'http://demo')!
    expect(link).toMatch(/^http:\/\/demo\/\?invite=/)
    const code = new URL(link).searchParams.get('invite')!
    expect(decodeInvite(code)).toEqual({ name: 'secret', kind: 'private', password: spec.password })
    // Deep link: ?invite=CODE joins it.
    applyLaunchParams(`?invite=${code}`, { mesh: bob.m, rooms: bob.rooms })
    expect(bob.rooms.active).toBe('secret')
    void alice.chat.send('secret', 'psst')
    await sim.mesh.until(() => texts(bob, 'secret').includes('psst'))
    expect(alice.rooms.publicRooms.some((r) => r.name === 'secret')).toBe(false)
    expect(alice.rooms.inviteLink('general')).toBeNull()
    expect(bob.rooms.acceptInvite('not-a-code')).toBe(false)
    expect(bob.rooms.error).toMatch(/damaged/)
    expect(decodeInvite(encodeInvite({ name: 'a/b', kind: 'private', password: 'x' }))).toBeNull()
  })

  it('?room=&name= opens the room under that name; typing and renames show at the other side', async () => {
    sim = createBrowsers(33)
    const alice = await sim.browser('alice', 'guest')
    const bob = await sim.browser('bob', 'Bob')
    applyLaunchParams('?room=general&name=ALICE', { mesh: alice.m, rooms: alice.rooms })
    expect(alice.m.name).toBe('ALICE')
    expect(localStorage.getItem('ymesh-demo:name')).toBe('ALICE')
    expect(alice.rooms.active).toBe('general')
    applyLaunchParams('?room=general', { mesh: bob.m, rooms: bob.rooms })
    await sim.mesh.until(() => bob.chat.rooms.general?.members.some((m) => m.name === 'ALICE') === true)

    alice.chat.setTyping('general')
    await sim.mesh.until(() => bob.chat.rooms.general?.typing.includes('ALICE') === true)
    // Sending ends typing.
    void alice.chat.send('general', 'done typing')
    await sim.mesh.until(() => bob.chat.rooms.general?.typing.length === 0)

    alice.m.setName('Alice B.')
    await sim.mesh.until(() => bob.chat.rooms.general?.members.some((m) => m.name === 'Alice B.') === true)
    // Without parameters the first joined room is shown again.
    bob.rooms.setActive(null)
    applyLaunchParams('', { mesh: bob.m, rooms: bob.rooms })
    expect(bob.rooms.active).toBe('general')
  })

  it('a message is "stored" once an anchor publishes an on-disk vector that covers it', async () => {
    sim = createBrowsers(34)
    const alice = await sim.browser('alice', 'Alice')
    alice.rooms.join({ name: 'general', kind: 'public' })
    // An anchor-like peer: in the room, publishing what it holds in its presence as the anchor does.
    const node = await sim.mesh.node('anchor')
    const doc = new Y.Doc()
    const link = openRoomLink(node, 'general', doc, {})
    const anchorUser: PresenceUser = { id: node.identity.peerId, name: 'anchor', role: 'anchor', peer: node.identity.peerId, links: [] }
    const publish = (): void => { link.awareness.setLocalState({ user: anchorUser, stored: toBase64UrlEncoded(Y.encodeStateVector(doc)) }) }
    await sim.mesh.until(() => (alice.chat.rooms.general?.connected ?? 0) === 1)
    void alice.chat.send('general', 'keep this')
    const mine = () => alice.chat.rooms.general?.messages.find((m) => m.text === 'keep this')
    await sim.mesh.until(() => roomMessages(doc).length === 1)
    // Received, not yet on disk: still sending.
    expect(mine()?.status).toBe('sending')
    publish()
    await sim.mesh.until(() => mine()?.status === 'stored')
    expect(mine()?.queued).toBe(false)
    let destroyed = false
    void link.destroy().then(() => { destroyed = true })
    await sim.mesh.until(() => destroyed)
    node.stop()
  })

  it('keeps the peer, documents and providers out of deep reactivity', async () => {
    sim = createBrowsers(35)
    const alice = await sim.browser('alice', 'Alice')
    alice.rooms.join({ name: 'general', kind: 'public' })
    const session = alice.m.session!
    expect(isProxy(session)).toBe(false)
    const handle = session.get('general')!
    expect(isProxy(handle.doc)).toBe(false)
    expect(isProxy(session.node.peer)).toBe(false)
    // The views are plain reactive data mirrored from the documents.
    expect(isReactive(alice.chat.rooms.general)).toBe(true)
  })
})

describe('identity', () => {
  it('is created on first open, kept, and replaced when the saved one is unreadable', async () => {
    const saved = new Map<string, string>()
    const storage = { getItem: (k: string) => saved.get(k) ?? null, setItem: (k: string, v: string) => { saved.set(k, v) } } as unknown as Storage
    const first = await loadIdentity(storage)
    expect((await loadIdentity(storage)).peerId).toBe(first.peerId)
    saved.set('ymesh-demo:identity', '{"broken":true}')
    const warn = console.warn
    console.warn = () => {}
    try {
      expect((await loadIdentity(storage)).peerId).not.toBe(first.peerId)
    } finally {
      console.warn = warn
    }
  })
})
