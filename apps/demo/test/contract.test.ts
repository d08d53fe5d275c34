/** The demo's mirror of the anchor contract agrees with the anchor's own (ymesh/node). */
import { describe, expect, it } from 'vitest'
import { generateIdentity } from '@ymesh/crypto'
import * as anchorSide from 'ymesh/node'
import * as demoSide from '../src/mesh/directory'

describe('anchor contract', () => {
  it('has the same constants on both sides', () => {
    for (const k of ['DIRECTORY_ROOM', 'DIRECTORY_ROOMS', 'DIRECTORY_INVITES', 'ANCHOR_INVITE_DOMAIN', 'STORED_FIELD'] as const) expect(demoSide[k]).toBe(anchorSide[k])
    expect(demoSide.ROOM_NAME_PATTERN.source).toBe(anchorSide.ROOM_NAME_PATTERN.source)
  })

  it('an invite sealed by the demo opens at the anchor only; a vector the anchor encodes decodes in the demo', async () => {
    const anchor = await generateIdentity()
    const other = await generateIdentity()
    // Long enough that the sealed text (base64url) never contains it by chance ('pw' did, 1 run in ~40).
    const invite = { room: 'secret-room-name', password: 'correct-horse-battery-staple' }
    const sealed = await demoSide.sealAnchorInvite(anchor.peerId, invite)
    for (const plain of Object.values(invite)) expect(sealed).not.toContain(plain)
    expect(await anchorSide.openAnchorInvite(anchor, sealed)).toEqual(invite)
    expect(await anchorSide.openAnchorInvite(other, sealed)).toBeNull()
    expect(demoSide.decodeStoredVector(anchorSide.encodeStoredVector(new Map([[7, 3], [2, 9]])))).toEqual(new Map([[2, 9], [7, 3]]))
    expect(demoSide.decodeStoredVector('%%%')).toBeNull()
  })
})
