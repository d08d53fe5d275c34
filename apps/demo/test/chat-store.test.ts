/**
 * Two browsers' stores (two pinias) over the simulator: MeshProvider on a shared peer each,
 * signaling in memory. Messages cross, statuses advance sending → delivered → read, presence
 * and direct conversations work, and a direct conversation's password never appears in clear.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { useMeshStore } from '../src/stores/mesh'
import { useRoomsStore } from '../src/stores/rooms'
import { useChatStore } from '../src/stores/chat'
import { directoryDirect } from '../src/mesh/directory'
import { createSimMesh, type SimMesh } from './helpers/sim-node'

let mesh: SimMesh
const pinias: Pinia[] = []

afterEach(async () => {
  let pending = 0
  for (const p of pinias.splice(0)) {
    setActivePinia(p)
    useChatStore().dispose()
    pending++
    // Destroying providers waits on simulator time: run it until every stop resolved.
    void useMeshStore().stop().finally(() => { pending-- })
  }
  await mesh.until(() => pending === 0)
  await mesh.close()
  localStorage.clear()
})

const browser = async (label: string, name: string) => {
  const pinia = createPinia()
  pinias.push(pinia)
  setActivePinia(pinia)
  const m = useMeshStore(pinia)
  await m.start({ node: await mesh.node(label), name })
  const rooms = useRoomsStore(pinia)
  const chat = useChatStore(pinia)
  rooms.start()
  return { m, rooms, chat }
}

const texts = (chat: ReturnType<typeof useChatStore>, room: string): string[] => chat.rooms[room]?.messages.map((x) => x.text) ?? []

describe('chat store over the simulator', { timeout: 30_000 }, () => {
  it('a message sent in one browser shows in the other, and its status reaches read', async () => {
    mesh = createSimMesh(11)
    const alice = await browser('alice', 'Alice')
    const bob = await browser('bob', 'Bob')
    alice.rooms.join({ name: 'general', kind: 'public' })
    bob.rooms.join({ name: 'general', kind: 'public' }, false)
    await mesh.until(() => (alice.chat.rooms.general?.connected ?? 0) > 0)
    const sent = alice.chat.send('general', '  hello bob  ')
    await mesh.until(() => texts(bob.chat, 'general').includes('hello bob'))
    expect(await sent).toEqual(expect.any(String))
    const mine = () => alice.chat.rooms.general?.messages.find((x) => x.text === 'hello bob')
    expect(mine()).toMatchObject({ mine: true, name: 'Alice' })
    expect(bob.chat.rooms.general?.messages[0]).toMatchObject({ mine: false, status: null, name: 'Alice' })
    // Bob has the room but not open: delivered, and it counts as unread for him.
    await mesh.until(() => mine()?.status === 'delivered')
    expect(bob.chat.rooms.general?.unread).toBe(1)
    expect(bob.rooms.unreadTotal).toBe(1)
    bob.rooms.setActive('general')
    await mesh.until(() => mine()?.status === 'read')
    expect(bob.chat.rooms.general?.unread).toBe(0)
    expect(bob.rooms.unreadTotal).toBe(0)
    // Replies carry the quoted text; presence lists both; the directory lists the room.
    const replyTo = mine()!.id
    void bob.chat.send('general', 'hi alice', replyTo)
    await mesh.until(() => texts(alice.chat, 'general').includes('hi alice'))
    expect(alice.chat.rooms.general?.messages.find((x) => x.text === 'hi alice')?.replyToText).toBe('hello bob')
    await mesh.until(() => (alice.chat.rooms.general?.members.length ?? 0) === 2)
    expect(alice.chat.rooms.general?.members.map((x) => x.name).sort()).toEqual(['Alice', 'Bob'])
    await mesh.until(() => bob.rooms.publicRooms.some((r) => r.name === 'general'))
    expect(await alice.chat.send('general', '   ')).toBeNull()
  })

  it('a message written with nobody reachable is queued, then delivered when a peer arrives', async () => {
    mesh = createSimMesh(12)
    const alice = await browser('alice', 'Alice')
    alice.rooms.join({ name: 'lonely', kind: 'public' })
    void alice.chat.send('lonely', 'anyone?')
    await mesh.until(() => alice.chat.rooms.lonely?.messages[0]?.queued === true)
    expect(alice.chat.rooms.lonely?.queued).toBe(1)
    const bob = await browser('bob', 'Bob')
    bob.rooms.join({ name: 'lonely', kind: 'public' }, false)
    await mesh.until(() => texts(bob.chat, 'lonely').includes('anyone?'))
    await mesh.until(() => alice.chat.rooms.lonely?.messages[0]?.status === 'delivered')
    expect(alice.chat.rooms.lonely?.messages[0]?.queued).toBe(false)
    expect(alice.chat.rooms.lonely?.queued).toBe(0)
  })

  it('a direct conversation reaches the other participant with its password sealed, never in clear', async () => {
    mesh = createSimMesh(13)
    const alice = await browser('alice', 'Alice')
    const bob = await browser('bob', 'Bob')
    let opened = false
    void alice.rooms.openDirect(bob.m.peerId!, 'Bob').then(() => { opened = true })
    await mesh.until(() => opened)
    const dm = alice.rooms.joined.find((r) => r.kind === 'direct')!
    expect(dm.password).toEqual(expect.any(String))
    await mesh.until(() => bob.rooms.joined.some((r) => r.name === dm.name))
    expect(bob.rooms.joined.find((r) => r.name === dm.name)).toMatchObject({ kind: 'direct', password: dm.password, with: 'Alice' })
    const entry = directoryDirect(alice.m.requireSession().directory().doc).values().next().value!
    expect(JSON.stringify(entry)).not.toContain(dm.password!)
    void alice.chat.send(dm.name, 'just us')
    await mesh.until(() => texts(bob.chat, dm.name).includes('just us'))
    expect(bob.chat.rooms[dm.name]?.messages[0]).toMatchObject({ name: 'Alice', mine: false })

    // Bob leaves it; the directory still announces it, and it must not come back.
    bob.rooms.leave(dm.name)
    expect(JSON.parse(localStorage.getItem(`ymesh-demo:left:${bob.m.peerId}`)!)).toEqual([dm.name])
  })

  it('a direct conversation left before does not come back on the next start; a new one arrives', async () => {
    mesh = createSimMesh(14)
    const alice = await browser('alice', 'Alice')
    const carol = await browser('carol', 'Carol')
    // Bob left his conversation with Alice in an earlier session (what leave() saved).
    const bobNode = await mesh.node('bob')
    const [a, b] = [alice.m.peerId!, bobNode.identity.peerId].sort() as [string, string]
    localStorage.setItem(`ymesh-demo:left:${bobNode.identity.peerId}`, JSON.stringify([`dm-${a.slice(0, 6)}-${b.slice(0, 6)}`]))
    let opened = 0
    void alice.rooms.openDirect(bobNode.identity.peerId, 'Bob').then(() => { opened++ })
    await mesh.until(() => opened === 1)
    const pinia = createPinia()
    pinias.push(pinia)
    setActivePinia(pinia)
    await useMeshStore(pinia).start({ node: bobNode, name: 'Bob' })
    const bob = { rooms: useRoomsStore(pinia) }
    bob.rooms.start()
    void carol.rooms.openDirect(bobNode.identity.peerId, 'Bob').then(() => { opened++ })
    await mesh.until(() => opened === 2 && bob.rooms.joined.some((r) => r.with === 'Carol'))
    expect(bob.rooms.joined.map((r) => r.with)).toEqual(['Carol'])
  })
})
