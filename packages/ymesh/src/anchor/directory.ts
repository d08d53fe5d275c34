/**
 * What an anchor reads and publishes, and nothing about what the rooms contain: the anchor
 * stores whole room documents without parsing them (so it stores end-to-end encrypted
 * content just as well), learns rooms from a directory document, and tells members what it
 * has on disk through its presence.
 *
 *   directory doc (room DIRECTORY_ROOM)   Y.Map DIRECTORY_ROOMS:   room name -> anything (public rooms)
 *                                         Y.Map DIRECTORY_INVITES: any key -> sealed AnchorInvite (base64url)
 *   every room the anchor stores          awareness { user: AnchorPresence, stored: base64url state vector }
 *
 * An invite is sealed to the anchor's peer id (X25519 + AES-GCM, @ymesh/crypto sealTo), so a
 * private room's password is readable by the anchor only, never by readers of the directory.
 * This module is browser-safe; apps that cannot import 'ymesh/node' mirror these constants
 * and keep a test that compares them (apps/demo/test/contract.test.ts).
 */
import * as Y from 'yjs'
import { fromBase64UrlEncoded as fromBase64url, toBase64UrlEncoded as toBase64url } from 'lib0/buffer'
import { openSealed, sealTo, type Identity } from '@ymesh/crypto'

/** Signaling room of the public directory. Room names may not contain '/', so no room shadows it. */
export const DIRECTORY_ROOM = 'ymesh/directory'
export const DIRECTORY_ROOMS = 'rooms'
export const DIRECTORY_INVITES = 'anchor-invites'
export const ANCHOR_INVITE_DOMAIN = 'ymesh/anchor-invite'
/** Awareness field where an anchor publishes the state vector of what it has on disk. */
export const STORED_FIELD = 'stored'
export const ROOM_NAME_PATTERN = /^[^/\s][^/]{0,63}$/u

export interface AnchorInvite {
  readonly room: string
  /** The room's y-webrtc password (private rooms, direct conversations). */
  readonly password?: string
}

/** The anchor's presence in each room (the shape the demo's members use too). */
export interface AnchorPresence {
  readonly id: string
  readonly name: string
  readonly role: 'anchor'
  readonly peer: string
  readonly links: string[]
}

const MAX_INVITE_BYTES = 4096

export const sealAnchorInvite = async (anchor: string, invite: AnchorInvite): Promise<string> => {
  const body = new TextEncoder().encode(JSON.stringify({ r: invite.room, ...(invite.password === undefined ? {} : { p: invite.password }) }))
  return toBase64url(await sealTo(anchor as Parameters<typeof sealTo>[0], ANCHOR_INVITE_DOMAIN, body))
}

/** The invite inside `sealed` if it was sealed to `identity` and is well formed; null otherwise (not ours, or garbage). */
export const openAnchorInvite = async (identity: Identity, sealed: unknown): Promise<AnchorInvite | null> => {
  if (typeof sealed !== 'string' || sealed.length > MAX_INVITE_BYTES) return null
  try {
    const v = JSON.parse(new TextDecoder().decode(await openSealed(identity, ANCHOR_INVITE_DOMAIN, fromBase64url(sealed)))) as { r?: unknown, p?: unknown }
    if (typeof v.r !== 'string' || !ROOM_NAME_PATTERN.test(v.r)) return null
    if (v.p !== undefined && typeof v.p !== 'string') return null
    return { room: v.r, ...(v.p === undefined ? {} : { password: v.p }) }
  } catch {
    return null
  }
}

export const encodeStoredVector = (vector: ReadonlyMap<number, number>): string => {
  const sorted = new Map([...vector].sort((a, b) => a[0] - b[0]))
  // Y.encodeStateVector takes a doc or a Map of client -> clock.
  return toBase64url(Y.encodeStateVector(sorted))
}

export const decodeStoredVector = (text: unknown): Map<number, number> | null => {
  if (typeof text !== 'string' || text.length > 64 * 1024) return null
  try {
    return Y.decodeStateVector(fromBase64url(text))
  } catch {
    return null
  }
}
