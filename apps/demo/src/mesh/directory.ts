/**
 * The directory document and the anchor's side of the contract. The anchor defines the
 * contract in packages/ymesh/src/anchor/directory.ts, exported from 'ymesh/node' only (it
 * sits next to Node code); the browser cannot import that entry, so the constants are
 * mirrored here and test/contract.test.ts checks both sides agree (same constants, an invite
 * sealed here opens there, a vector encoded there decodes here).
 *
 *   directory doc (room DIRECTORY_ROOM)  Y.Map 'rooms':          name -> DirectoryEntry (public rooms)
 *                                        Y.Map 'anchor-invites': key -> invite sealed to the anchor
 *                                        Y.Map 'direct':         "<a>|<b>" -> DirectEntry
 */
import * as Y from 'yjs'
import { fromBase64UrlEncoded, toBase64UrlEncoded } from 'lib0/buffer'
import { openSealed, sealTo, type Identity } from '@ymesh/crypto'

export const DIRECTORY_ROOM = 'ymesh/directory'
export const DIRECTORY_ROOMS = 'rooms'
export const DIRECTORY_INVITES = 'anchor-invites'
export const ANCHOR_INVITE_DOMAIN = 'ymesh/anchor-invite'
export const STORED_FIELD = 'stored'
export const ROOM_NAME_PATTERN = /^[^/\s][^/]{0,63}$/u
/** Direct-conversation passwords are sealed to each participant under this domain. */
export const DIRECT_SECRET_DOMAIN = 'ymesh-demo/direct-secret'

export interface DirectoryEntry {
  readonly name: string
  readonly createdAt: number
  readonly createdBy: string
}

/**
 * A direct conversation, announced so the other participant joins it. The room password is
 * sealed to each participant's key (X25519 + AES-GCM): readers of the directory learn who talks
 * to whom, never how to get in.
 */
export interface DirectEntry {
  readonly a: string
  readonly b: string
  readonly room: string
  readonly names: Record<string, string>
  /** peer id -> password sealed to that peer (base64url). */
  readonly sealed: Record<string, string>
}

export const directoryRooms = (doc: Y.Doc): Y.Map<DirectoryEntry> => doc.getMap<DirectoryEntry>(DIRECTORY_ROOMS)
export const directoryInvites = (doc: Y.Doc): Y.Map<string> => doc.getMap<string>(DIRECTORY_INVITES)
export const directoryDirect = (doc: Y.Doc): Y.Map<DirectEntry> => doc.getMap<DirectEntry>('direct')

const utf8 = new TextEncoder()
const text = new TextDecoder()
type SealRecipient = Parameters<typeof sealTo>[0]

export const sealFor = async (peer: string, domain: string, plaintext: string): Promise<string> =>
  toBase64UrlEncoded(await sealTo(peer as SealRecipient, domain, utf8.encode(plaintext)))

/** The plaintext if `sealed` was sealed to `identity` under `domain`; null otherwise. */
export const openFor = async (identity: Identity, domain: string, sealed: unknown): Promise<string | null> => {
  if (typeof sealed !== 'string' || sealed.length > 4096) return null
  try {
    return text.decode(await openSealed(identity, domain, fromBase64UrlEncoded(sealed)))
  } catch {
    return null
  }
}

/** An invite the anchor (and only it) can open: it then stores the room. */
export const sealAnchorInvite = async (anchor: string, invite: { room: string, password?: string }): Promise<string> =>
  await sealFor(anchor, ANCHOR_INVITE_DOMAIN, JSON.stringify({ r: invite.room, ...(invite.password === undefined ? {} : { p: invite.password }) }))

/** The anchor's published on-disk state vector, or null when absent or malformed. */
export const decodeStoredVector = (field: unknown): Map<number, number> | null => {
  if (typeof field !== 'string' || field.length > 64 * 1024) return null
  try {
    return Y.decodeStateVector(fromBase64UrlEncoded(field))
  } catch {
    return null
  }
}
