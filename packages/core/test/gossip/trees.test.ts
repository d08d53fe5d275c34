import { describe, expect, it } from 'vitest'
import type { PeerId } from '@ymesh/protocol'
import type { Connection } from '../../src/connections/connection.js'
import { memberDigest, TopicMesh } from '../../src/gossip/trees.js'

// TopicMesh only keys on connections and reads remotePeer: plain objects stand for them here.
const conn = (peer: string): Connection => ({ remotePeer: peer as PeerId }) as unknown as Connection
const peers = (set: ReadonlySet<Connection> | undefined): string[] => [...(set ?? [])].map((c) => c.remotePeer)
const SELF = 'self' as PeerId
const A = 'a' as PeerId
const B = 'b' as PeerId
const C = 'c' as PeerId

describe('TopicMesh (one push tree per source)', () => {
  it("seeds a relayed source's tree with at most maxEager members, our own with all; prunes per source, never our own", () => {
    const mesh = new TopicMesh(SELF, 2, 8, true)
    const [ca, cb, cc] = [conn(A), conn(B), conn(C)]
    for (const c of [ca, cb, cc]) expect(mesh.addMember(c)).toBe(true)
    expect(mesh.addMember(ca)).toBe(false)
    expect(peers(mesh.tree(A))).toEqual(['a', 'b'])
    expect(peers(mesh.tree(SELF))).toEqual(['a', 'b', 'c'])
    expect(mesh.prune(A, cb)).toBe(true)
    expect(mesh.prune(SELF, cb)).toBe(false)
    expect(peers(mesh.peek(A))).toEqual(['a'])
    expect(peers(mesh.peek(B))).toEqual([]) // no tree yet
    // A member that joins later starts eager in every tree; grafts add it back where it was pruned.
    const cd = conn('d')
    mesh.addMember(cd)
    expect(peers(mesh.peek(A))).toEqual(['a', 'd'])
    expect(mesh.graft(A, cb)).toBe(true)
    expect(mesh.graft(A, cb)).toBe(false)
    expect(mesh.graft(A, conn('stranger'))).toBe(false)
    mesh.pruneAll(cd)
    expect(peers(mesh.peek(A))).toEqual(['a', 'b'])
    expect(peers(mesh.peek(SELF))).toContain('d')
    expect(mesh.removeMember(ca)).toBe(true)
    expect(mesh.removeMember(ca)).toBe(false)
    expect(peers(mesh.peek(A))).toEqual(['b'])
  })

  it('forgets the least recently used source past maxSources (its next message floods again)', () => {
    const mesh = new TopicMesh(null, 8, 2, true)
    const ca = conn(A)
    mesh.addMember(ca)
    mesh.addMember(conn(B))
    mesh.tree(A)
    expect(mesh.prune(A, ca)).toBe(true)
    mesh.tree(B)
    mesh.tree(A) // A is now the most recent
    mesh.tree(C) // evicts B
    expect(mesh.sources).toBe(2)
    expect(mesh.peek(B)).toBeUndefined()
    expect(peers(mesh.peek(A))).toEqual(['b'])
  })

  it('in flooding mode trees hold every member and never shrink', () => {
    const mesh = new TopicMesh(SELF, 1, 8, false)
    const [ca, cb] = [conn(A), conn(B)]
    mesh.addMember(ca)
    mesh.addMember(cb)
    expect(peers(mesh.tree(C))).toEqual(['a', 'b'])
    expect(mesh.prune(C, ca)).toBe(false)
    mesh.pruneAll(ca)
    expect(peers(mesh.peek(C))).toEqual(['a', 'b'])
  })

  it("knows which members listed a source as theirs, from their digests; a non-member's list is ignored", () => {
    const mesh = new TopicMesh(SELF, 8, 8, true)
    const [ca, cb] = [conn(A), conn(B)]
    mesh.addMember(ca)
    expect(mesh.adjacent(ca, C)).toBe(false) // no list yet
    mesh.setMemberList(ca, [memberDigest(C), memberDigest(SELF)])
    mesh.setMemberList(cb, [memberDigest(C)])
    expect(mesh.adjacent(ca, C)).toBe(true)
    expect(mesh.adjacent(ca, B)).toBe(false)
    expect(mesh.adjacent(cb, C)).toBe(false)
    expect(mesh.memberDigests().map((d) => d.length)).toEqual([16])
    mesh.clear()
    expect(mesh.members.size + mesh.sources).toBe(0)
  })
})
