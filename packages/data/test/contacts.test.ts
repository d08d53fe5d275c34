import { describe, expect, it } from 'vitest'
import { exportIdentityEncrypted, importIdentityEncrypted, sealWithRoomKey, generateRoomKey } from '@ymesh/crypto'
import type { Identity } from '@ymesh/crypto'
import type { PeerId } from '@ymesh/protocol'
import {
  ContactCache, ContactsKind, MemoryDocStore, MessageLog, Replica, contactInvite, contactsDocId, createEntry, encodeContactChange, parseContactInvite,
  resolveCertificates, tryDecodeEntry
} from '../src/index.js'
import { identity, syncReplicas, syncAll } from './helpers.js'

const contains = (hay: Uint8Array, needle: Uint8Array): boolean => {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

/** A hostile client: writes a raw entry into a user's contacts document, skipping every local check. */
const rawWrite = async (replica: Replica, user: PeerId, author: Identity, kind: number, body: Uint8Array, deps: readonly string[] = []): Promise<void> => {
  const entry = await createEntry(author, `ymesh/data/contacts/v1/${user}`, { kind, time: 1, deps: deps as never, body })
  ;(await replica.open(contactsDocId(user))).getArray<Uint8Array>('entries').push([entry.bytes])
}

const setup = async () => {
  const [user, phone, laptop, eve, x, y] = await Promise.all(['user', 'phone', 'laptop', 'eve', 'xavier', 'yolanda'].map(identity))
  const rU = new Replica()
  const rP = new Replica()
  const rL = new Replica()
  const onUser = await new ContactCache({ source: rU, identity: user! }).open()
  await onUser.linkDevice(phone!.peerId)
  await onUser.linkDevice(laptop!.peerId)
  await syncAll([rU, rP, rL])
  const onPhone = await new ContactCache({ source: rP, identity: phone!, user: user!.peerId }).open()
  const onLaptop = await new ContactCache({ source: rL, identity: laptop!, user: user!.peerId }).open()
  return { user: user!, phone: phone!, laptop: laptop!, eve: eve!, x: x!, y: y!, rU, rP, rL, onUser, onPhone, onLaptop }
}

describe('contacts (ContactCache)', () => {
  it('linked devices share one contacts list: a change on one device shows on every other', async () => {
    const s = await setup()
    await s.onPhone.setContact(s.x.peerId, { name: 'Xavier', note: 'met at the conference' })
    await syncAll([s.rU, s.rP, s.rL])
    await s.onLaptop.setContact(s.x.peerId, { note: 'owes me lunch' })
    await syncAll([s.rU, s.rP, s.rL])
    for (const c of [s.onUser, s.onPhone, s.onLaptop]) {
      expect(await c.contacts()).toEqual([{ peer: s.x.peerId, name: 'Xavier', note: 'owes me lunch' }])
      expect((await c.state()).devices).toEqual(new Map([[s.phone.peerId, 'active'], [s.laptop.peerId, 'active']]))
    }
    await s.onUser.removeContact(s.x.peerId)
    await syncAll([s.rU, s.rP, s.rL])
    expect(await s.onLaptop.contacts()).toEqual([])
  })

  it('adds a contact from an invite carrying its public key; an altered invite is refused', async () => {
    const s = await setup()
    const invite = await contactInvite(s.x, 'Xavier X.')
    expect(await parseContactInvite(invite)).toEqual({ peer: s.x.peerId, name: 'Xavier X.' })
    expect(await s.onPhone.addFromInvite(invite, { note: 'from the QR code' })).toBe(s.x.peerId)
    expect(await s.onPhone.contacts()).toEqual([{ peer: s.x.peerId, name: 'Xavier X.', note: 'from the QR code' }])
    const altered = invite.replace('Xavier', 'Mallory')
    await expect(parseContactInvite(altered)).rejects.toMatchObject({ name: 'InvalidDataArgumentError' })
    // Eve's key on Xavier's name: the signature does not match the peer id.
    const swapped = invite.replace(s.x.peerId, s.eve.peerId)
    await expect(s.onPhone.addFromInvite(swapped)).rejects.toMatchObject({ name: 'InvalidDataArgumentError' })
    await expect(parseContactInvite('ymesh:contact/nope')).rejects.toMatchObject({ name: 'InvalidDataArgumentError' })
    await expect(parseContactInvite(invite.replace(/&sig=.*/, ''))).rejects.toMatchObject({ name: 'InvalidDataArgumentError' })
  })

  it('a forged device certificate (not by the user key) gives no write access, whoever signs it', async () => {
    const s = await setup()
    const link = (device: PeerId) => new TextEncoder().encode(JSON.stringify({ type: 'link', device, shares: [] }))
    // Eve certifies her own key; the phone (a device, not the user) certifies Eve's key.
    await rawWrite(s.rU, s.user.peerId, s.eve, ContactsKind.link, link(s.eve.peerId))
    await rawWrite(s.rU, s.user.peerId, s.phone, ContactsKind.link, link(s.eve.peerId))
    // A certificate the user key made for ANOTHER user's contacts document, replayed here.
    const other = await identity('other-user')
    const elsewhere = await createEntry(s.user, `ymesh/data/contacts/v1/${other.peerId}`, { kind: ContactsKind.link, time: 1, body: link(s.eve.peerId) })
    ;(await s.rU.open(contactsDocId(s.user.peerId))).getArray<Uint8Array>('entries').push([elsewhere.bytes])
    // Eve then writes a change (sealed with a key of her own: she has none of ours).
    const key = await generateRoomKey()
    const sealed = await sealWithRoomKey(key, `ymesh/data/contacts-body/v1/${s.user.peerId}`, encodeContactChange({ type: 'block', peer: s.x.peerId }))
    await rawWrite(s.rU, s.user.peerId, s.eve, ContactsKind.change, sealed)
    const st = await s.onUser.state()
    expect(st.devices.has(s.eve.peerId)).toBe(false)
    expect(st.blocked.size).toBe(0)
    expect(st.ignored).toBe(3) // the two forged certificates and Eve's change
    expect(s.onUser.rejected).toBe(1) // the replayed certificate does not verify here
    const onEve = await new ContactCache({ source: s.rU, identity: s.eve, user: s.user.peerId }).open()
    await expect(onEve.block(s.x.peerId)).rejects.toMatchObject({ name: 'NotAuthorizedError' })
    await expect(onEve.linkDevice(s.eve.peerId)).rejects.toMatchObject({ name: 'NotAuthorizedError' })
  })

  it('a revoked device: its changes before the revocation stay, later and concurrent ones are void, and it cannot read what follows', async () => {
    const s = await setup()
    await s.onPhone.setContact(s.x.peerId, { name: 'Xavier' })
    await syncReplicas(s.rU, s.rP)
    await s.onUser.revokeDevice(s.phone.peerId)     // the phone was lost...
    await s.onPhone.block(s.y.peerId)               // ...and its thief acts concurrently
    await syncReplicas(s.rU, s.rP)
    // After seeing the revocation, the client refuses; a hostile one writes anyway, naming the current heads.
    await expect(s.onPhone.setContact(s.y.peerId, { name: 'late' })).rejects.toMatchObject({ name: 'NotAuthorizedError' })
    const entries = (await s.rP.open(contactsDocId(s.user.peerId))).getArray<Uint8Array>('entries').toArray()
    const after = resolveCertificates(s.user.peerId, entries.map(tryDecodeEntry).filter((e) => e !== null)).graph.heads()
    await rawWrite(s.rP, s.user.peerId, s.phone, ContactsKind.change, new Uint8Array(40), after)
    await s.onUser.setContact(s.x.peerId, { note: 'after the revocation' })
    await syncAll([s.rU, s.rP, s.rL])
    for (const c of [s.onUser, s.onLaptop]) {
      const st = await c.state()
      expect(st.devices.get(s.phone.peerId)).toBe('revoked')
      expect(st.blocked.has(s.y.peerId)).toBe(false)
      expect([...st.contacts.values()]).toEqual([{ peer: s.x.peerId, name: 'Xavier', note: 'after the revocation' }])
    }
    // The lost phone still holds the document but not the new key.
    const onPhone = await s.onPhone.state()
    expect(onPhone.unreadable).toBeGreaterThanOrEqual(1)
    expect(onPhone.contacts.get(s.x.peerId)?.note).toBe('')
    // The laptop, still active, writes under the new key.
    await s.onLaptop.setContact(s.y.peerId, { name: 'Yolanda' })
    await syncAll([s.rU, s.rP, s.rL])
    expect((await s.onUser.state()).contacts.get(s.y.peerId)?.name).toBe('Yolanda')
    await expect(s.onUser.linkDevice(s.phone.peerId)).rejects.toMatchObject({ name: 'InvalidDataArgumentError' })
  })

  it('blocking on one device hides that peer\'s messages on another', async () => {
    const s = await setup()
    const mallory = await identity('mallory')
    const conversation = 'c'
    const rm = new Replica()
    const logM = await new MessageLog({ source: rm, identity: mallory, conversationId: conversation }).open()
    const logX = await new MessageLog({ source: rm, identity: s.x, conversationId: conversation }).open()
    await logM.send('spam 1')
    await logX.send('hello')
    await logM.send('spam 2')
    await syncReplicas(rm, s.rL)
    await s.onPhone.block(mallory.peerId)
    await syncAll([s.rU, s.rP, s.rL])
    expect(await s.onLaptop.isBlocked(mallory.peerId)).toBe(true)
    const onLaptop = await new MessageLog({ source: s.rL, identity: s.laptop, conversationId: conversation }).open()
    expect((await onLaptop.view({ hide: await s.onLaptop.hidden() })).messages.map((m) => m.text)).toEqual(['hello'])
    expect((await onLaptop.view({ last: 1, hide: await s.onLaptop.hidden() })).messages.map((m) => m.text)).toEqual(['hello'])
    await s.onUser.unblock(mallory.peerId)
    await syncAll([s.rU, s.rP, s.rL])
    expect((await onLaptop.view({ hide: await s.onLaptop.hidden() })).messages).toHaveLength(3)
  })

  it('contacts rest encrypted on an anchor: no plaintext name or note in its stored bytes', async () => {
    const s = await setup()
    const store = new MemoryDocStore()
    const anchor = new Replica(store)
    const marker = 'CONTACT-MARKER-b7e1-plaintext'
    await s.onPhone.setContact(s.x.peerId, { name: `${marker}-name`, note: `${marker}-note` })
    await s.onPhone.block(s.y.peerId)
    await syncReplicas(s.rP, anchor)
    await anchor.flush()
    const needle = new TextEncoder().encode(marker)
    expect(store.byteLength()).toBeGreaterThan(0)
    expect(store.rawBytes().some((u) => contains(u, needle))).toBe(false)
    // Blocked and contact peer ids are inside the sealed bodies too.
    const ids = [s.x.peerId, s.y.peerId].map((p) => new TextEncoder().encode(p))
    expect(store.rawBytes().some((u) => ids.some((id) => contains(u, id)))).toBe(false)
    // The anchor serves it to another device, which reads it.
    await syncReplicas(anchor, s.rL)
    expect((await s.onLaptop.contacts())[0]?.name).toBe(`${marker}-name`)
  })

  it('concurrent edits converge; duplicates count once; a change replayed from another user\'s contacts has no effect', async () => {
    const s = await setup()
    await s.onPhone.setContact(s.x.peerId, { name: 'from phone' })
    await s.onLaptop.setContact(s.x.peerId, { name: 'from laptop' })
    await s.onPhone.block(s.y.peerId)
    await s.onLaptop.unblock(s.y.peerId)
    await syncAll([s.rU, s.rP, s.rL])
    const states = await Promise.all([s.onUser, s.onPhone, s.onLaptop].map((c) => c.state()))
    expect(['from phone', 'from laptop']).toContain(states[0]!.contacts.get(s.x.peerId)?.name)
    for (const st of states) {
      expect(st.contacts).toEqual(states[0]!.contacts)
      expect(st.blocked).toEqual(states[0]!.blocked)
    }
    const arr = (await s.rU.open(contactsDocId(s.user.peerId))).getArray<Uint8Array>('entries')
    const before = await s.onUser.state()
    arr.push([arr.get(arr.length - 1), arr.get(arr.length - 1)])
    expect(await s.onUser.state()).toEqual(before)
    // Another user's change, signed by them for their own document, copied here.
    const rEve = new Replica()
    const other = await new ContactCache({ source: rEve, identity: s.eve }).open()
    await other.block(s.x.peerId)
    const eveDoc = (await rEve.open(contactsDocId(s.eve.peerId))).getArray<Uint8Array>('entries')
    arr.push([eveDoc.get(eveDoc.length - 1)])
    expect((await s.onUser.state()).blocked).toEqual(before.blocked)
  })

  it('the user key restored from its encrypted backup links a new device that the other devices accept', async () => {
    const s = await setup()
    const backup = await exportIdentityEncrypted(s.user, 'correct horse battery staple', { iterations: 10_000 })
    const restored = await importIdentityEncrypted(backup, 'correct horse battery staple')
    expect(restored.peerId).toBe(s.user.peerId)
    const rNew = new Replica()
    await syncReplicas(s.rL, rNew)
    const onRestored = await new ContactCache({ source: rNew, identity: restored }).open()
    const tablet = await identity('tablet')
    await onRestored.linkDevice(tablet.peerId)
    const rT = new Replica()
    await syncAll([rNew, s.rL, rT])
    const onTablet = await new ContactCache({ source: rT, identity: tablet, user: s.user.peerId }).open()
    await onTablet.setContact(s.x.peerId, { name: 'via tablet' })
    await syncAll([rT, s.rL])
    expect((await s.onLaptop.state()).contacts.get(s.x.peerId)?.name).toBe('via tablet')
    expect((await s.onLaptop.state()).devices.get(tablet.peerId)).toBe('active')
    // A device cannot certify itself or others without the user key.
    await expect(s.onLaptop.linkDevice(tablet.peerId)).rejects.toMatchObject({ name: 'NotAuthorizedError' })
    expect(() => new ContactCache({ source: rT, identity: tablet, user: s.user.peerId, userIdentity: tablet })).toThrow(/not the user/)
  })
})
