/**
 * Message ciphers. Room logs seal with the room key of the current epoch (rotated on every
 * removal or ban, so a removed member cannot open what is sent afterwards); direct
 * conversations seal with a conversation key sealed to each participant, so an anchor that
 * is not a participant stores and forwards ciphertext it cannot read.
 */
import type * as Y from 'yjs'
import type { PeerId } from '@ymesh/protocol'
import {
  sealWithRoomKey, openWithRoomKey, roomKeyIdOf, generateRoomKey, exportRoomKey, importRoomKey, sealTo, openSealed,
  roomKeyFromSecret, toBase64Url, fromBase64Url
} from '@ymesh/crypto'
import type { Identity, RandomSource, RoomKey } from '@ymesh/crypto'
import type { MessageCipher } from './message-log.js'
import type { Room } from './room-registry.js'
import { createEntry, tryDecodeEntry, EntryVerifier } from './signed-entry.js'
import type { Entry } from './signed-entry.js'
import { MissingKeyError } from './errors.js'

const BODY_DOMAIN = 'ymesh/data/message-body/v1'

/** Seals with the room's current key; opens with any epoch key this member was given. */
export const roomCipher = (room: Room): MessageCipher => ({
  seal: async (plain) => sealWithRoomKey((await room.currentSecret()).key, `${BODY_DOMAIN}/${room.id}`, plain),
  open: async (sealed) => {
    const id = roomKeyIdOf(sealed)
    for (const secret of await room.secretHistory()) {
      const key = await roomKeyFromSecret(secret)
      if (key.id === id) return await openWithRoomKey(key, `${BODY_DOMAIN}/${room.id}`, sealed)
    }
    throw new MissingKeyError(`This member holds no key ${id} of room ${room.id}.`)
  }
})

/** Doc-safe conversation id of the direct conversation between two peers. */
export const directConversationId = (a: PeerId, b: PeerId): string => (a < b ? `dm/${a}/${b}` : `dm/${b}/${a}`)

const keyDomain = (conversationId: string): string => `ymesh/data/dm-key/v1/${conversationId}`

/**
 * The cipher of a direct conversation. Keys live in the index document's 'keys' array as
 * signed entries, each carrying one key sealed to both participants; new messages use the
 * first valid key in array order (the same on every replica), so concurrent first messages
 * converge on one key, and messages sealed under the other stay readable.
 */
export const directCipher = (identity: Identity, peer: PeerId, index: Y.Doc, random?: RandomSource): MessageCipher => {
  const conversationId = directConversationId(identity.peerId, peer)
  const participants = [identity.peerId, peer]
  const verifier = new EntryVerifier(keyDomain(conversationId))
  const keys = index.getArray<Uint8Array>('keys')
  const opened = new WeakMap<Uint8Array, Promise<RoomKey | null>>()

  const myKeys = async (): Promise<RoomKey[]> => {
    const out: RoomKey[] = []
    for (const bytes of keys.toArray()) {
      let p = opened.get(bytes)
      if (p === undefined) {
        p = (async () => {
          const e = tryDecodeEntry(bytes)
          if (e === null || !participants.includes(e.author) || !(await verifier.verify(e))) return null
          const shares = JSON.parse(new TextDecoder().decode(e.body)) as Record<string, string>
          const mine = fromBase64Url(shares[identity.peerId] ?? '')
          if (mine === null) return null
          return await importRoomKey(await openSealed(identity, keyDomain(conversationId), mine))
        })().catch(() => null)
        opened.set(bytes, p)
      }
      const k = await p
      if (k !== null) out.push(k)
    }
    return out
  }

  const ensureKey = async (): Promise<RoomKey> => {
    const existing = await myKeys()
    if (existing.length > 0) return existing[0] as RoomKey
    const key = await generateRoomKey({ random })
    const raw = await exportRoomKey(key)
    const shares: Record<string, string> = {}
    for (const p of participants) shares[p] = toBase64Url(await sealTo(p, keyDomain(conversationId), raw, { random }))
    const entry: Entry = await createEntry(identity, keyDomain(conversationId), { kind: 1, time: Date.now(), body: new TextEncoder().encode(JSON.stringify(shares)) }, random)
    keys.push([entry.bytes])
    return (await myKeys())[0] as RoomKey
  }

  return {
    seal: async (plain) => sealWithRoomKey(await ensureKey(), `${BODY_DOMAIN}/${conversationId}`, plain, { random }),
    open: async (sealed) => {
      const id = roomKeyIdOf(sealed)
      const key = (await myKeys()).find((k) => k.id === id)
      if (key === undefined) throw new MissingKeyError(`No key ${id} of ${conversationId} was sealed to ${identity.peerId}.`)
      return await openWithRoomKey(key, `${BODY_DOMAIN}/${conversationId}`, sealed)
    }
  }
}

