import { describe, expect, it } from 'vitest'
import { DistributedRoomRegistry, Replica, openRoomLog, parseInviteLink } from '../src/index.js'
import type { Room } from '../src/index.js'
import { identity, syncReplicas } from './helpers.js'

const setup = async () => {
  const [owner, admin, bob, carol] = await Promise.all(['owner', 'admin', 'bob', 'carol'].map(identity))
  const replicas = [new Replica(), new Replica(), new Replica(), new Replica()]
  const regs = [owner, admin, bob, carol].map((id, i) => new DistributedRoomRegistry({ source: replicas[i]!, identity: id! }))
  return { owner: owner!, admin: admin!, bob: bob!, carol: carol!, replicas, regs }
}

const roomOn = async (reg: DistributedRoomRegistry, room: Room): Promise<Room> => await reg.room(room.id)

describe('room registry', () => {
  it('creates a room, adds members with roles, and every replica derives the same state', async () => {
    const s = await setup()
    const { room, invite } = await s.regs[0]!.createRoom({ name: 'general', topic: 'hi' })
    expect(parseInviteLink(invite).roomId).toBe(room.id)
    await room.addMember(s.admin.peerId, 'admin')
    await room.addMember(s.bob.peerId, 'member')
    await syncReplicas(s.replicas[0]!, s.replicas[1]!)
    await syncReplicas(s.replicas[0]!, s.replicas[2]!)
    const onBob = await roomOn(s.regs[2]!, room)
    const st = await onBob.state()
    expect(st.name).toBe('general')
    expect(st.members.get(s.admin.peerId)).toBe('admin')
    expect(st.members.get(s.bob.peerId)).toBe('member')
    expect((await onBob.currentSecret()).topic).toBe((await room.currentSecret()).topic)
  })

  it('an unauthorized op (member renames) has no effect on any replica, even if written directly', async () => {
    const s = await setup()
    const { room } = await s.regs[0]!.createRoom({ name: 'general' })
    await room.addMember(s.bob.peerId, 'read-only')
    await syncReplicas(s.replicas[0]!, s.replicas[2]!)
    const onBob = await roomOn(s.regs[2]!, room)
    await expect(onBob.rename('pwned')).rejects.toMatchObject({ name: 'NotAuthorizedError' })
    await onBob.submit({ type: 'rename', name: 'pwned' }, false) // a hostile client skips the check
    await syncReplicas(s.replicas[0]!, s.replicas[2]!)
    expect((await room.state()).name).toBe('general')
    expect((await onBob.state()).name).toBe('general')
  })

  it('a forged entry (bad signature) and a replayed entry from another room have no effect', async () => {
    const s = await setup()
    const { room } = await s.regs[0]!.createRoom({ name: 'a' })
    const { room: other } = await s.regs[0]!.createRoom({ name: 'b' })
    await other.rename('renamed-b')
    // Replay: b's rename entry copied into a.
    room.ops.push([other.ops.get(1)])
    // Forgery: flip a byte of a valid entry's body.
    await room.rename('real')
    const forged = room.ops.get(room.ops.length - 1).slice()
    forged[forged.length - 70] = forged[forged.length - 70]! ^ 1
    room.ops.push([forged])
    const st = await room.state()
    expect(st.name).toBe('real')
    expect(room.rejected).toBeGreaterThanOrEqual(1)
  })

  it('duplicates of an entry count once', async () => {
    const s = await setup()
    const { room } = await s.regs[0]!.createRoom({ name: 'a' })
    await room.rename('b')
    room.ops.push([room.ops.get(1), room.ops.get(1)])
    const r = await room.resolve()
    expect(r.graph.order.length).toBe(2)
    expect(r.state.name).toBe('b')
  })

  it('a ban wins over a concurrent re-add, whatever the arrival order', async () => {
    const s = await setup()
    const { room } = await s.regs[0]!.createRoom({ name: 'r' })
    await room.addMember(s.admin.peerId, 'admin')
    await room.addMember(s.bob.peerId)
    await syncReplicas(s.replicas[0]!, s.replicas[1]!)
    const onAdmin = await roomOn(s.regs[1]!, room)
    await room.remove(s.bob.peerId)              // owner removes bob...
    await syncReplicas(s.replicas[0]!, s.replicas[1]!)
    await room.ban(s.bob.peerId)                 // ...then bans him, while
    await onAdmin.addMember(s.bob.peerId)        // the admin concurrently re-adds him
    await syncReplicas(s.replicas[0]!, s.replicas[1]!)
    expect((await room.state()).members.has(s.bob.peerId)).toBe(false)
    expect((await onAdmin.state()).members.has(s.bob.peerId)).toBe(false)
    expect((await room.state()).banned.has(s.bob.peerId)).toBe(true)
  })

  it('an admin demoted while acting: ops concurrent with the demotion are void', async () => {
    const s = await setup()
    const { room } = await s.regs[0]!.createRoom({ name: 'r' })
    await room.addMember(s.admin.peerId, 'admin')
    await syncReplicas(s.replicas[0]!, s.replicas[1]!)
    const onAdmin = await roomOn(s.regs[1]!, room)
    await room.setRole(s.admin.peerId, 'member')
    await onAdmin.rename('admin was here')
    await onAdmin.addMember(s.carol.peerId)
    await syncReplicas(s.replicas[0]!, s.replicas[1]!)
    for (const r of [room, onAdmin]) {
      const st = await r.state()
      expect(st.name).toBe('r')
      expect(st.members.has(s.carol.peerId)).toBe(false)
      expect(st.members.get(s.admin.peerId)).toBe('member')
    }
  })

  it('concurrent renames resolve to the same name on every replica', async () => {
    const s = await setup()
    const { room } = await s.regs[0]!.createRoom({ name: 'r' })
    await room.addMember(s.admin.peerId, 'admin')
    await syncReplicas(s.replicas[0]!, s.replicas[1]!)
    const onAdmin = await roomOn(s.regs[1]!, room)
    await room.rename('x')
    await onAdmin.rename('y')
    await syncReplicas(s.replicas[0]!, s.replicas[1]!)
    const a = (await room.state()).name
    expect(['x', 'y']).toContain(a)
    expect((await onAdmin.state()).name).toBe(a)
  })

  it('the same name created in two partitions gives two rooms, told apart by id', async () => {
    const s = await setup()
    const { room: a } = await s.regs[0]!.createRoom({ name: 'lobby', visibility: 'public' })
    const { room: b } = await s.regs[1]!.createRoom({ name: 'lobby', visibility: 'public' })
    await syncReplicas(s.replicas[0]!, s.replicas[1]!)
    const found = await s.regs[0]!.findByName('lobby', [a.id, b.id])
    expect(found.map((r) => r.id).sort()).toEqual([a.id, b.id].sort())
    const listed = await s.regs[1]!.publicRooms()
    expect(listed.map((r) => r.roomId).sort()).toEqual([a.id, b.id].sort())
  })

  it('removing a member rotates the key: 100 later messages, 0 readable by the removed member, and no new topic', async () => {
    const s = await setup()
    const { room } = await s.regs[0]!.createRoom({ name: 'r' })
    await room.addMember(s.bob.peerId)
    await room.addMember(s.carol.peerId)
    await syncReplicas(s.replicas[0]!, s.replicas[2]!)
    const onBob = await roomOn(s.regs[2]!, room)
    const oldTopic = (await onBob.currentSecret()).topic
    const ownerLog = await openRoomLog(room, { source: s.replicas[0]!, identity: s.owner })
    await ownerLog.send('before removal')
    await room.remove(s.bob.peerId)
    for (let i = 0; i < 100; i++) await ownerLog.send(`secret ${i}`)
    await syncReplicas(s.replicas[0]!, s.replicas[2]!)
    await syncReplicas(s.replicas[0]!, s.replicas[3]!)
    const bobLog = await openRoomLog(onBob, { source: s.replicas[2]!, identity: s.bob })
    const seen = (await bobLog.view()).messages.map((m) => m.text)
    expect(seen).toEqual(['before removal'])
    await expect(onBob.currentSecret()).rejects.toMatchObject({ name: 'MissingKeyError' })
    const carolRoom = await roomOn(s.regs[3]!, room)
    const newTopic = (await carolRoom.currentSecret()).topic
    expect(newTopic).not.toBe(oldTopic)
    const carolLog = await openRoomLog(carolRoom, { source: s.replicas[3]!, identity: s.carol })
    expect((await carolLog.view()).messages).toHaveLength(101)
  })

  it('a read-only member\'s messages never take effect', async () => {
    const s = await setup()
    const { room } = await s.regs[0]!.createRoom({ name: 'r' })
    await room.addMember(s.bob.peerId, 'read-only')
    await syncReplicas(s.replicas[0]!, s.replicas[2]!)
    const bobLog = await openRoomLog(await roomOn(s.regs[2]!, room), { source: s.replicas[2]!, identity: s.bob })
    await bobLog.send('I should not be here')
    await syncReplicas(s.replicas[0]!, s.replicas[2]!)
    const ownerLog = await openRoomLog(room, { source: s.replicas[0]!, identity: s.owner })
    const v = await ownerLog.view()
    expect(v.messages).toHaveLength(0)
    expect(v.ignored).toBe(1)
  })
})
