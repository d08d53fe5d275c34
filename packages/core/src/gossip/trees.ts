/**
 * One topic's mesh: the subscribed neighbours ("members"), and one Plumtree per message
 * source — the members this peer eager-pushes that source's messages to. A source's tree
 * starts with every member (its first message floods, like Plumtree's initial state) and is
 * pruned by duplicates, so it converges on the first-arrival (shortest-path) tree from that
 * source. A tree shared by all sources cannot be short from every source (docs/gossip.md);
 * one per source can. Trees are kept for the `maxSources` most recent sources.
 *
 * Members also tell each other who their members are (as digests), so a peer that receives a
 * message straight from its author does not push it to members the author pushed it to
 * itself: on a full mesh that makes every source's tree a star, with no relaying at all.
 */
import { digest } from 'lib0/hash/sha256'
import * as string from 'lib0/string'
import type { PeerId } from '@ymesh/protocol'
import type { Connection } from '../connections/connection.js'
import { idKey } from './wire.js'

/** Length of a member digest on the wire (the message id size, so the control grammar carries them). */
export const MEMBER_DIGEST_SIZE = 16

/** A peer id as a fixed-size digest (what member lists carry). */
export const memberDigest = (peer: PeerId): Uint8Array => digest(string.encodeUtf8(`ymesh/gossip-member/v1:${peer}`)).slice(0, MEMBER_DIGEST_SIZE)

export class TopicMesh {
  /** Subscribed neighbours, in the order they joined. */
  readonly members = new Set<Connection>()
  /** Each member's own members, as digest keys (what it told us). */
  private readonly memberLists = new Map<Connection, Set<string>>()
  /** Source → members we push its messages to. Insertion order is recency (LRU). */
  private readonly trees = new Map<PeerId, Set<Connection>>()
  private readonly digestKeys = new Map<PeerId, string>()

  constructor (
    private readonly self: PeerId | null,
    /** Most members a relayed source's tree starts with (the source itself always pushes to all). */
    private readonly maxEager: number,
    private readonly maxSources: number,
    /** False: flooding, trees never shrink. */
    private readonly pruning: boolean
  ) {}

  get sources (): number {
    return this.trees.size
  }

  addMember (connection: Connection): boolean {
    if (this.members.has(connection)) return false
    this.members.add(connection)
    // Plumtree: a new link starts eager in every tree; duplicates prune it where it is redundant.
    for (const tree of this.trees.values()) tree.add(connection)
    return true
  }

  removeMember (connection: Connection): boolean {
    if (!this.members.delete(connection)) return false
    this.memberLists.delete(connection)
    for (const tree of this.trees.values()) tree.delete(connection)
    return true
  }

  clear (): void {
    this.members.clear()
    this.memberLists.clear()
    this.trees.clear()
  }

  /** The members a new source's tree starts with (all of them for our own messages). */
  private seed (source: PeerId): Set<Connection> {
    const tree = new Set<Connection>()
    const cap = source === this.self || !this.pruning ? Infinity : this.maxEager
    for (const member of this.members) {
      if (tree.size >= cap) break
      tree.add(member)
    }
    return tree
  }

  /** `source`'s tree, created (seeded) when absent and marked most recently used. */
  tree (source: PeerId): Set<Connection> {
    let tree = this.trees.get(source)
    if (tree === undefined) {
      tree = this.seed(source)
      if (this.trees.size >= this.maxSources) this.trees.delete(this.trees.keys().next().value as PeerId)
    } else {
      this.trees.delete(source)
    }
    this.trees.set(source, tree)
    return tree
  }

  /** The tree if there is one (no side effects). */
  peek (source: PeerId): ReadonlySet<Connection> | undefined {
    return this.trees.get(source)
  }

  /** Stop pushing `source`'s messages to `connection`. Our own messages always go to every member. */
  prune (source: PeerId, connection: Connection): boolean {
    if (!this.pruning || source === this.self) return false
    return this.trees.get(source)?.delete(connection) ?? false
  }

  /** Push `source`'s messages to `connection` from now on. */
  graft (source: PeerId, connection: Connection): boolean {
    if (!this.members.has(connection)) return false
    const tree = this.tree(source)
    if (tree.has(connection)) return false
    tree.add(connection)
    return true
  }

  /** Every tree loses `connection` (an old-style PRUNE without ids). */
  pruneAll (connection: Connection): void {
    if (!this.pruning) return
    for (const [source, tree] of this.trees) if (source !== this.self) tree.delete(connection)
  }

  setMemberList (connection: Connection, digests: readonly Uint8Array[]): void {
    if (!this.members.has(connection)) return
    this.memberLists.set(connection, new Set(digests.map(idKey)))
  }

  /** True when `connection` said `source` is one of its members (so `source` pushes its own messages to it). */
  adjacent (connection: Connection, source: PeerId): boolean {
    const list = this.memberLists.get(connection)
    if (list === undefined) return false
    let key = this.digestKeys.get(source)
    if (key === undefined) {
      if (this.digestKeys.size >= 4 * this.maxSources) this.digestKeys.clear()
      this.digestKeys.set(source, key = idKey(memberDigest(source)))
    }
    return list.has(key)
  }

  /** Our member list as digests, for our members. */
  memberDigests (): Uint8Array[] {
    return [...this.members].map((c) => memberDigest(c.remotePeer))
  }
}
