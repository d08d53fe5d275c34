/**
 * Room operations: the bodies of room-document entries (JSON, validated on decode: they
 * are rare and small; message entries, which are many, use a binary body).
 */
import type { PeerId } from '@ymesh/protocol'
import { isYmeshPeerId, fromBase64Url, toBase64Url } from '@ymesh/crypto'
import type { Entry } from './signed-entry.js'

export type Role = 'owner' | 'admin' | 'member' | 'read-only'
export type Visibility = 'public' | 'private'

export const ROLE_RANK: Readonly<Record<Role, number>> = { owner: 3, admin: 2, member: 1, 'read-only': 0 }

export const RoomOpKind = {
  create: 1,
  rename: 2,
  setTopic: 3,
  setVisibility: 4,
  addMember: 5,
  setRole: 6,
  remove: 7,
  ban: 8,
  unban: 9,
  leave: 10,
  shareKey: 11
} as const

/** A room secret sealed (sealTo) to one member under the epoch's domain. */
export interface KeyShare { readonly member: PeerId, readonly sealed: Uint8Array }

export type RoomOp =
  | { readonly type: 'create', readonly name: string, readonly topic: string, readonly visibility: Visibility, readonly shares: readonly KeyShare[] }
  | { readonly type: 'rename', readonly name: string }
  | { readonly type: 'set-topic', readonly topic: string }
  | { readonly type: 'set-visibility', readonly visibility: Visibility }
  | { readonly type: 'add-member', readonly target: PeerId, readonly role: Role, readonly shares: readonly KeyShare[] }
  | { readonly type: 'set-role', readonly target: PeerId, readonly role: Role }
  | { readonly type: 'remove', readonly target: PeerId, readonly shares: readonly KeyShare[] }
  | { readonly type: 'ban', readonly target: PeerId, readonly shares: readonly KeyShare[] }
  | { readonly type: 'unban', readonly target: PeerId }
  | { readonly type: 'leave' }
  | { readonly type: 'share-key', readonly shares: readonly KeyShare[] }

const KIND_OF: Readonly<Record<RoomOp['type'], number>> = {
  create: RoomOpKind.create,
  rename: RoomOpKind.rename,
  'set-topic': RoomOpKind.setTopic,
  'set-visibility': RoomOpKind.setVisibility,
  'add-member': RoomOpKind.addMember,
  'set-role': RoomOpKind.setRole,
  remove: RoomOpKind.remove,
  ban: RoomOpKind.ban,
  unban: RoomOpKind.unban,
  leave: RoomOpKind.leave,
  'share-key': RoomOpKind.shareKey
}
const TYPE_OF = new Map(Object.entries(KIND_OF).map(([t, k]) => [k, t as RoomOp['type']]))

export const MAX_NAME_CHARS = 200
export const MAX_TOPIC_CHARS = 2000
const MAX_SHARES = 1000

export const roomOpKind = (op: RoomOp): number => KIND_OF[op.type]

export const encodeRoomOp = (op: RoomOp): Uint8Array => {
  const plain: Record<string, unknown> = { ...op }
  if ('shares' in op) plain.shares = op.shares.map((s) => [s.member, toBase64Url(s.sealed)])
  return new TextEncoder().encode(JSON.stringify(plain))
}

const isRole = (v: unknown): v is Role => v === 'owner' || v === 'admin' || v === 'member' || v === 'read-only'
const isVisibility = (v: unknown): v is Visibility => v === 'public' || v === 'private'
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max

const readShares = (v: unknown): KeyShare[] | null => {
  if (!Array.isArray(v) || v.length > MAX_SHARES) return null
  const out: KeyShare[] = []
  for (const s of v) {
    if (!Array.isArray(s) || s.length !== 2 || !isYmeshPeerId(s[0]) || typeof s[1] !== 'string') return null
    const sealed = fromBase64Url(s[1])
    if (sealed === null) return null
    out.push({ member: s[0], sealed })
  }
  return out
}

/** The op an entry carries, or null when its body does not match its kind (no effect). */
export const decodeRoomOp = (entry: Entry): RoomOp | null => {
  const type = TYPE_OF.get(entry.kind)
  if (type === undefined) return null
  let o: Record<string, unknown>
  try {
    const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(entry.body))
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null
    o = parsed as Record<string, unknown>
  } catch {
    return null
  }
  if (o.type !== type) return null
  const shares = readShares(o.shares ?? [])
  switch (type) {
    case 'create':
      return isText(o.name, MAX_NAME_CHARS) && isText(o.topic, MAX_TOPIC_CHARS) && isVisibility(o.visibility) && shares !== null
        ? { type, name: o.name, topic: o.topic, visibility: o.visibility, shares }
        : null
    case 'rename': return isText(o.name, MAX_NAME_CHARS) ? { type, name: o.name } : null
    case 'set-topic': return isText(o.topic, MAX_TOPIC_CHARS) ? { type, topic: o.topic } : null
    case 'set-visibility': return isVisibility(o.visibility) ? { type, visibility: o.visibility } : null
    case 'add-member':
      return isYmeshPeerId(o.target) && isRole(o.role) && shares !== null ? { type, target: o.target, role: o.role, shares } : null
    case 'set-role': return isYmeshPeerId(o.target) && isRole(o.role) ? { type, target: o.target, role: o.role } : null
    case 'remove':
    case 'ban':
      return isYmeshPeerId(o.target) && shares !== null ? { type, target: o.target, shares } : null
    case 'unban': return isYmeshPeerId(o.target) ? { type, target: o.target } : null
    case 'leave': return { type }
    case 'share-key': return shares !== null ? { type, shares } : null
  }
}
