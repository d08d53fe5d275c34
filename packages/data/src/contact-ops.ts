/**
 * Entries of a user's contacts document (`contacts/<user>`), all signed under
 * `ymesh/data/contacts/v1/<user>`:
 *
 * - key, link, revoke: device certificates and key epochs, signed by the USER key. A link
 *   certifies a device key and seals it the current contacts key; a revoke ends a device and
 *   starts a new key epoch sealed to everyone else; a key op starts an epoch (the first one
 *   creates the document).
 * - change: a contact change by the user or a certified device; its body is sealed with
 *   the contacts key, so what rests on other peers and anchors says nothing of whom.
 *
 * Certificate bodies are JSON (rare, small); a change's plaintext is JSON too.
 */
import type { PeerId } from '@ymesh/protocol'
import { isYmeshPeerId, fromBase64Url, toBase64Url } from '@ymesh/crypto'
import type { KeyShare } from './room-ops.js'

export const ContactsKind = { key: 1, link: 2, revoke: 3, change: 10 } as const

export const MAX_CONTACT_NAME_CHARS = 200
export const MAX_CONTACT_NOTE_CHARS = 4000
const MAX_SHARES = 256

export type CertificateOp =
  | { readonly type: 'key', readonly shares: readonly KeyShare[] }
  | { readonly type: 'link', readonly device: PeerId, readonly shares: readonly KeyShare[] }
  | { readonly type: 'revoke', readonly device: PeerId, readonly shares: readonly KeyShare[] }

export type ContactChange =
  | { readonly type: 'set', readonly peer: PeerId, readonly name?: string, readonly note?: string }
  | { readonly type: 'remove', readonly peer: PeerId }
  | { readonly type: 'block', readonly peer: PeerId }
  | { readonly type: 'unblock', readonly peer: PeerId }

const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))

const parse = (bytes: Uint8Array): Record<string, unknown> | null => {
  try {
    const v: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : null
  } catch {
    return null
  }
}

export const encodeCertificateOp = (op: CertificateOp): Uint8Array =>
  json({ ...op, shares: op.shares.map((s) => [s.member, toBase64Url(s.sealed)]) })

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

export const certificateKind = (op: CertificateOp): number => ContactsKind[op.type]

/** The certificate op of an entry of `kind`, or null (malformed, or not a certificate). */
export const decodeCertificateOp = (kind: number, body: Uint8Array): CertificateOp | null => {
  const o = parse(body)
  if (o === null) return null
  const shares = readShares(o.shares)
  if (shares === null) return null
  if (kind === ContactsKind.key && o.type === 'key') return { type: 'key', shares }
  if ((kind === ContactsKind.link && o.type === 'link') || (kind === ContactsKind.revoke && o.type === 'revoke')) {
    return isYmeshPeerId(o.device) ? { type: o.type, device: o.device, shares } : null
  }
  return null
}

export const encodeContactChange = (c: ContactChange): Uint8Array => json(c)

const optionalText = (v: unknown, max: number): v is string | undefined => v === undefined || (typeof v === 'string' && v.length <= max)

export const decodeContactChange = (bytes: Uint8Array): ContactChange | null => {
  const o = parse(bytes)
  if (o === null || !isYmeshPeerId(o.peer)) return null
  const peer = o.peer
  switch (o.type) {
    case 'set':
      if (!optionalText(o.name, MAX_CONTACT_NAME_CHARS) || !optionalText(o.note, MAX_CONTACT_NOTE_CHARS)) return null
      return { type: 'set', peer, ...(o.name !== undefined ? { name: o.name } : {}), ...(o.note !== undefined ? { note: o.note } : {}) }
    case 'remove':
    case 'block':
    case 'unblock':
      return { type: o.type, peer }
    default:
      return null
  }
}
