/**
 * RoomConflictResolver: the effective state of a room as a pure function of its valid,
 * signed operations (docs/data-models.md states the rules; this is their one
 * implementation).
 *
 * 1. Order: the causal graph's total order (topological; ties: revocations first, then id).
 * 2. Authorization: an op takes effect only if its author held the needed role in the state
 *    derived from the effective ops in the op's own causal past — never "on arrival", so a
 *    late-arriving op is judged exactly as an early one.
 * 3. Revocation wins: an op is void when an effective ban, removal or demotion of its author
 *    is concurrent with it (an admin demoted while acting), and an add of a member is void
 *    when an effective ban or removal of that member is concurrent with it (a ban wins over a
 *    concurrent re-add). Applied to a fixed point; mutual concurrent revocations cancel.
 * 4. Fields (name, topic, visibility): the last effective op in the total order wins.
 */
import type { PeerId } from '@ymesh/protocol'
import type { Entry, EntryId } from './signed-entry.js'
import { buildCausalGraph, hasBit } from './causal-graph.js'
import type { CausalGraph } from './causal-graph.js'
import { decodeRoomOp, ROLE_RANK, RoomOpKind } from './room-ops.js'
import type { KeyShare, Role, RoomOp, Visibility } from './room-ops.js'

export interface RoomState {
  readonly id: EntryId
  name: string
  topic: string
  visibility: Visibility
  createdBy: PeerId | null
  createdAt: number
  readonly members: Map<PeerId, Role>
  readonly banned: Set<PeerId>
  /** The entry that introduced the current room secret (create, remove or ban). */
  epoch: EntryId | null
  /** Shares of the current epoch's secret, by member. */
  readonly shares: Map<PeerId, Uint8Array>
}

export interface ResolvedRoom {
  readonly state: RoomState
  readonly graph: CausalGraph<Entry>
  /** Ids of ops that took effect. */
  readonly effective: ReadonlySet<EntryId>
  /** Ops that had no effect: unauthorized, void by a concurrent revocation, or malformed. */
  readonly ignored: number
  /** Role of `peer` in the state derived from the causal past of `heads` (null: not a member). */
  roleAt: (heads: readonly EntryId[], peer: PeerId) => Role | null
}

const emptyState = (id: EntryId): RoomState => ({
  id, name: '', topic: '', visibility: 'private', createdBy: null, createdAt: 0, members: new Map(), banned: new Set(), epoch: null, shares: new Map()
})

const rank = (state: RoomState, peer: PeerId): number => {
  const r = state.members.get(peer)
  return r === undefined ? -1 : ROLE_RANK[r]
}

/** May `actor` act on `target` (remove, ban, change role)? Owners may; admins only below admin. */
const outranks = (state: RoomState, actor: PeerId, target: PeerId, newRole?: Role): boolean => {
  const a = rank(state, actor)
  if (a === ROLE_RANK.owner) return true
  if (a !== ROLE_RANK.admin) return false
  return rank(state, target) < ROLE_RANK.admin && (newRole === undefined || ROLE_RANK[newRole] < ROLE_RANK.admin)
}

const setEpoch = (state: RoomState, entry: Entry, shares: readonly KeyShare[]): void => {
  state.epoch = entry.id
  state.shares.clear()
  for (const s of shares) if (state.members.has(s.member)) state.shares.set(s.member, s.sealed)
}

/** May `entry.author` do `op` in `state` (the state of the op's causal past)? */
const authorize = (state: RoomState, entry: Entry, op: RoomOp): boolean => {
  const actor = entry.author
  const isAdmin = rank(state, actor) >= ROLE_RANK.admin
  switch (op.type) {
    case 'create': return entry.id === state.id && entry.deps.length === 0 && state.createdBy === null
    case 'rename':
    case 'set-topic':
    case 'set-visibility':
    case 'share-key':
      return isAdmin
    case 'add-member':
      // Anyone not banned may join a public room, as a member at most.
      if (op.target === actor && state.visibility === 'public' && ROLE_RANK[op.role] <= ROLE_RANK.member) return !state.banned.has(actor) && !state.members.has(actor)
      if (!isAdmin || state.banned.has(op.target) || state.members.has(op.target)) return false
      return ROLE_RANK[op.role] < ROLE_RANK.admin || rank(state, actor) === ROLE_RANK.owner
    case 'set-role': return state.members.has(op.target) && outranks(state, actor, op.target, op.role)
    case 'remove': return op.target !== actor && state.members.has(op.target) && outranks(state, actor, op.target)
    case 'ban': return op.target !== actor && outranks(state, actor, op.target)
    case 'unban': return isAdmin && state.banned.has(op.target)
    case 'leave': return state.members.has(actor)
  }
}

/**
 * The effect of an authorized op; total, so replaying effective ops never depends on order
 * quirks. `pastEpoch` is the epoch in the op's causal past: a key share sealed then (by an
 * add-member or share-key) is of that epoch's secret, so it counts only if the epoch is
 * still current — a share made concurrently with a rotation would hand out the old key.
 */
const effect = (state: RoomState, entry: Entry, op: RoomOp, pastEpoch: EntryId | null): void => {
  const current = pastEpoch === state.epoch
  switch (op.type) {
    case 'create':
      state.name = op.name
      state.topic = op.topic
      state.visibility = op.visibility
      state.createdBy = entry.author
      state.createdAt = entry.time
      state.members.set(entry.author, 'owner')
      setEpoch(state, entry, op.shares)
      return
    case 'rename': state.name = op.name; return
    case 'set-topic': state.topic = op.topic; return
    case 'set-visibility': state.visibility = op.visibility; return
    case 'add-member':
      if (state.banned.has(op.target)) return
      state.members.set(op.target, op.role)
      if (current) for (const s of op.shares) if (s.member === op.target) state.shares.set(s.member, s.sealed)
      return
    case 'set-role': if (state.members.has(op.target)) state.members.set(op.target, op.role); return
    case 'remove':
    case 'ban':
      state.members.delete(op.target)
      if (op.type === 'ban') state.banned.add(op.target)
      setEpoch(state, entry, op.shares)
      return
    case 'unban': state.banned.delete(op.target); return
    case 'leave': state.members.delete(entry.author); state.shares.delete(entry.author); return
    case 'share-key': if (current) for (const s of op.shares) if (state.members.has(s.member)) state.shares.set(s.member, s.sealed)
  }
}

const PRIORITY: Readonly<Record<number, number>> = { [RoomOpKind.ban]: 0, [RoomOpKind.remove]: 1, [RoomOpKind.setRole]: 2 }

/** The member an op revokes (ban, removal, demotion), or null. */
const revokedBy = (op: RoomOp, before: Role | undefined): PeerId | null => {
  if (op.type === 'ban' || op.type === 'remove') return op.target
  if (op.type === 'set-role' && before !== undefined && ROLE_RANK[op.role] < ROLE_RANK[before]) return op.target
  return null
}

/** Resolves the room `roomId` from entries whose signatures were already checked. */
export const resolveRoom = (roomId: EntryId, verified: Iterable<Entry>): ResolvedRoom => {
  const graph = buildCausalGraph(verified, (e) => PRIORITY[e.kind] ?? 5)
  const n = graph.order.length
  const ops = graph.order.map(decodeRoomOp)
  const voided = new Set<number>()
  let effective: boolean[] = []
  let roleBefore: (Role | undefined)[] = []
  const pastEpoch: (EntryId | null)[] = new Array<EntryId | null>(n).fill(null)

  const stateBefore = (i: number, eff: readonly boolean[], running: RoomState): RoomState => {
    if (graph.ancestorCount(i) === i) return running
    const s = emptyState(roomId)
    for (let j = 0; j < i; j++) {
      if (eff[j] === true && graph.isAncestor(j, i)) effect(s, graph.order[j] as Entry, ops[j] as RoomOp, pastEpoch[j] ?? null)
    }
    return s
  }

  for (let round = 0; round <= n; round++) {
    effective = new Array<boolean>(n).fill(false)
    roleBefore = new Array<Role | undefined>(n)
    const running = emptyState(roomId)
    for (let i = 0; i < n; i++) {
      const op = ops[i]
      if (op === null || op === undefined || voided.has(i)) continue
      const entry = graph.order[i] as Entry
      const s = stateBefore(i, effective, running)
      const target = 'target' in op ? op.target : undefined
      roleBefore[i] = target !== undefined ? s.members.get(target) : undefined
      pastEpoch[i] = s.epoch
      if (!authorize(s, entry, op)) continue
      effect(running, entry, op, pastEpoch[i] ?? null)
      effective[i] = true
    }
    const before = voided.size
    for (let r = 0; r < n; r++) {
      if (!effective[r]) continue
      const revoked = revokedBy(ops[r] as RoomOp, roleBefore[r])
      if (revoked === null) continue
      const removal = (ops[r] as RoomOp).type !== 'set-role'
      for (let x = 0; x < n; x++) {
        if (x === r || !effective[x] || !graph.concurrent(r, x)) continue
        const ox = ops[x] as RoomOp
        if ((graph.order[x] as Entry).author === revoked || (removal && ox.type === 'add-member' && ox.target === revoked)) voided.add(x)
      }
    }
    if (voided.size === before) break
  }

  const state = emptyState(roomId)
  const ids = new Set<EntryId>()
  for (let i = 0; i < n; i++) {
    if (!effective[i]) continue
    effect(state, graph.order[i] as Entry, ops[i] as RoomOp, pastEpoch[i] ?? null)
    ids.add((graph.order[i] as Entry).id)
  }
  const cache = new Map<string, RoomState>()
  return {
    state,
    graph,
    effective: ids,
    ignored: n - ids.size + graph.pending.length,
    roleAt: (heads, peer) => {
      const key = [...heads].sort().join(',')
      let s = cache.get(key)
      if (s === undefined) {
        const past = graph.pastOf(heads)
        s = emptyState(roomId)
        for (let i = 0; i < n; i++) if (effective[i] && hasBit(past, i)) effect(s, graph.order[i] as Entry, ops[i] as RoomOp, pastEpoch[i] ?? null)
        cache.set(key, s)
      }
      return s.members.get(peer) ?? null
    }
  }
}
