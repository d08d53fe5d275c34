import { describe, expect, it } from 'vitest'
import { DIRECTORY_DOC_ID, DistributedRoomRegistry, Replica, openRoomLog, roomDocId } from '../src/index.js'
import { identity, syncReplicas, syncAll } from './helpers.js'

const setup = async () => {
  const ids = await Promise.all(['owner', 'admin', 'bob', 'carol', 'dave'].map(identity))
  const replicas = ids.map(() => new Replica())
  const regs = ids.map((id, i) => new DistributedRoomRegistry({ source: replicas[i]!, identity: id }))
  const [owner, admin, bob, carol, dave] = ids as [typeof ids[0], typeof ids[0], typeof ids[0], typeof ids[0], typeof ids[0]]
  return { owner, admin, bob, carol, dave, replicas, regs }
}

describe('public rooms: discovery and join', () => {
  it('a peer finds a public room in the directory, joins with its published secret, reads and writes', async () => {
    const s = await setup()
    const { room } = await s.regs[0]!.createRoom({ name: 'lobby', visibility: 'public' })
    const ownerLog = await openRoomLog(room, { source: s.replicas[0]!, identity: s.owner })
    await ownerLog.send('welcome')
    await s.replicas[2]!.open(DIRECTORY_DOC_ID)
    await s.replicas[2]!.open(roomDocId(room.id))
    await syncReplicas(s.replicas[0]!, s.replicas[2]!)
    const listed = await s.regs[2]!.publicRooms()
    expect(listed.map((r) => [r.roomId, r.name, r.announcedBy])).toEqual([[room.id, 'lobby', s.owner.peerId]])
    const onBob = await s.regs[2]!.room(listed[0]!.roomId)
    await onBob.join({ secret: listed[0]!.secret })
    expect(await onBob.roleOf(s.bob.peerId)).toBe('member')
    const bobLog = await openRoomLog(onBob, { source: s.replicas[2]!, identity: s.bob })
    expect((await bobLog.view()).messages.map((m) => m.text)).toEqual(['welcome'])
    await bobLog.send('hi all')
    await syncReplicas(s.replicas[0]!, s.replicas[2]!)
    expect((await ownerLog.view()).messages.map((m) => m.text)).toEqual(['welcome', 'hi all'])
    expect(await room.roleOf(s.bob.peerId)).toBe('member')
  })

  it('a banned peer cannot join a public room (even by writing the op directly), nobody joins a private room, and a joiner cannot make itself admin', async () => {
    const s = await setup()
    const { room } = await s.regs[0]!.createRoom({ name: 'lobby', visibility: 'public' })
    await room.ban(s.carol.peerId)
    const { room: priv } = await s.regs[0]!.createRoom({ name: 'private' })
    await syncReplicas(s.replicas[0]!, s.replicas[3]!)
    const onCarol = await s.regs[3]!.room(room.id)
    await expect(onCarol.join()).rejects.toMatchObject({ name: 'NotAuthorizedError' })
    await onCarol.submit({ type: 'add-member', target: s.carol.peerId, role: 'member', shares: [] }, false)
    const privOnCarol = await s.regs[3]!.room(priv.id)
    await expect(privOnCarol.join()).rejects.toMatchObject({ name: 'NotAuthorizedError' })
    await privOnCarol.submit({ type: 'add-member', target: s.carol.peerId, role: 'member', shares: [] }, false)
    await syncReplicas(s.replicas[0]!, s.replicas[2]!)
    const onBob = await s.regs[2]!.room(room.id)
    await expect(onBob.submit({ type: 'add-member', target: s.bob.peerId, role: 'admin', shares: [] })).rejects.toMatchObject({ name: 'NotAuthorizedError' })
    await syncAll([s.replicas[0]!, s.replicas[2]!, s.replicas[3]!])
    for (const r of [room, onCarol]) expect((await r.state()).members.has(s.carol.peerId)).toBe(false)
    expect((await priv.state()).members.has(s.carol.peerId)).toBe(false)
    // Unbanned, she may join.
    await room.unban(s.carol.peerId)
    await syncReplicas(s.replicas[0]!, s.replicas[3]!)
    await onCarol.join()
    expect(await onCarol.roleOf(s.carol.peerId)).toBe('member')
  })
})

describe('share-key', () => {
  it('a member added concurrently with a key rotation never gets the old key as current; an admin\'s shareKey gives them the new one', async () => {
    const s = await setup()
    const { room } = await s.regs[0]!.createRoom({ name: 'r' })
    await room.addMember(s.admin.peerId, 'admin')
    await room.addMember(s.carol.peerId)
    await syncReplicas(s.replicas[0]!, s.replicas[1]!)
    const onAdmin = await s.regs[1]!.room(room.id)
    await room.remove(s.carol.peerId)            // rotation: the new secret is sealed to owner and admin
    await onAdmin.addMember(s.dave.peerId)       // concurrently: dave gets the OLD secret
    await syncReplicas(s.replicas[0]!, s.replicas[1]!)
    await syncReplicas(s.replicas[0]!, s.replicas[4]!)
    const onDave = await s.regs[4]!.room(room.id)
    expect(await onDave.roleOf(s.dave.peerId)).toBe('member')
    await expect(onDave.currentSecret()).rejects.toMatchObject({ name: 'MissingKeyError' })
    // A plain member cannot hand out keys.
    await syncReplicas(s.replicas[0]!, s.replicas[2]!)
    await expect(onDave.shareKey()).rejects.toMatchObject({ name: 'MissingKeyError' })
    await onAdmin.shareKey()
    await syncReplicas(s.replicas[1]!, s.replicas[4]!)
    const current = await onDave.currentSecret()
    expect(current.topic).toBe((await room.currentSecret()).topic)
    // Messages sealed after the rotation: dave reads them; removed carol does not.
    const ownerLog = await openRoomLog(room, { source: s.replicas[0]!, identity: s.owner })
    await ownerLog.send('after rotation')
    await syncAll([s.replicas[0]!, s.replicas[3]!, s.replicas[4]!])
    const daveLog = await openRoomLog(onDave, { source: s.replicas[4]!, identity: s.dave })
    expect((await daveLog.view()).messages.map((m) => m.text)).toEqual(['after rotation'])
    const carolLog = await openRoomLog(await s.regs[3]!.room(room.id), { source: s.replicas[3]!, identity: s.carol })
    expect((await carolLog.view()).messages).toHaveLength(0)
  })

  it('share-key by a non-admin, or for a non-member, has no effect', async () => {
    const s = await setup()
    const { room } = await s.regs[0]!.createRoom({ name: 'r' })
    await room.addMember(s.bob.peerId)
    await syncReplicas(s.replicas[0]!, s.replicas[2]!)
    const onBob = await s.regs[2]!.room(room.id)
    await expect(onBob.shareKey([s.carol.peerId])).rejects.toMatchObject({ name: 'NotAuthorizedError' })
    await onBob.submit({ type: 'share-key', shares: [{ member: s.carol.peerId, sealed: new Uint8Array(80) }] }, false)
    await room.shareKey([s.dave.peerId]) // dave is not a member: the share is dropped
    await syncReplicas(s.replicas[0]!, s.replicas[2]!)
    const st = await room.state()
    expect(st.shares.has(s.carol.peerId)).toBe(false)
    expect(st.shares.has(s.dave.peerId)).toBe(false)
    expect([...st.shares.keys()].sort()).toEqual([s.owner.peerId, s.bob.peerId].sort())
  })
})
