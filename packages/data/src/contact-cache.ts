/**
 * ContactCache: a user's personal contacts (peer ids, names, notes, blocked), one document
 * `contacts/<user>` replicated across the user's own devices only. Every change is a signed
 * entry whose body is sealed with the contacts key, so an anchor or peer storing the
 * document for the user holds ciphertext. Rules: contacts-resolver.ts.
 *
 * A user is not a device: the user key (`userIdentity`, kept on one device or in a backup)
 * certifies device keys (linkDevice) and revokes lost ones (revokeDevice, which also starts
 * a new key epoch the revoked device never gets). Devices write with their own keys.
 */
import type * as Y from 'yjs'
import type { PeerId } from '@ymesh/protocol'
import { exportRoomKey, generateRoomKey, importRoomKey, openSealed, openWithRoomKey, roomKeyIdOf, sealTo, sealWithRoomKey } from '@ymesh/crypto'
import type { Identity, RoomKey } from '@ymesh/crypto'
import type { ModelOptions } from './room-registry.js'
import { createEntry, tryDecodeEntry, EntryVerifier } from './signed-entry.js'
import type { Entry, EntryId } from './signed-entry.js'
import { ContactsKind, certificateKind, decodeContactChange, encodeCertificateOp, encodeContactChange } from './contact-ops.js'
import type { CertificateOp, ContactChange } from './contact-ops.js'
import { applyChanges, resolveCertificates } from './contacts-resolver.js'
import type { CertificateState, Contact, DeviceStatus } from './contacts-resolver.js'
import { parseContactInvite } from './contact-invite.js'
import { InvalidDataArgumentError, MissingKeyError, NotAuthorizedError } from './errors.js'

export const contactsDocId = (user: PeerId): string => `contacts/${user}`
const entryDomain = (user: PeerId): string => `ymesh/data/contacts/v1/${user}`
const shareDomain = (user: PeerId): string => `ymesh/data/contacts-key/v1/${user}`
const bodyDomain = (user: PeerId): string => `ymesh/data/contacts-body/v1/${user}`

export interface ContactCacheOptions extends ModelOptions {
  /** Whose contacts (default: `identity` is the user key itself). */
  readonly user?: PeerId
  /** The user key, on the device that holds it: needed to link, revoke and create. */
  readonly userIdentity?: Identity
}

export interface ContactsState {
  readonly contacts: ReadonlyMap<PeerId, Contact>
  readonly blocked: ReadonlySet<PeerId>
  readonly devices: ReadonlyMap<PeerId, DeviceStatus>
  /** Changes this device may not read (sealed under a key epoch it was not given). */
  readonly unreadable: number
  /** Entries with no effect: bad signature, forged certificate, revoked or unlinked device, malformed. */
  readonly ignored: number
}

export class ContactCache {
  readonly user: PeerId
  private readonly opts: ContactCacheOptions
  private readonly userIdentity: Identity | null
  private readonly verifier: EntryVerifier
  private readonly keyCache = new WeakMap<Uint8Array, Promise<RoomKey | null>>()
  private readonly changeCache = new WeakMap<Uint8Array, ContactChange>()
  private doc: Y.Doc | null = null

  constructor (opts: ContactCacheOptions) {
    this.opts = opts
    this.user = opts.user ?? opts.identity.peerId
    const userIdentity = opts.userIdentity ?? (opts.identity.peerId === this.user ? opts.identity : undefined)
    if (userIdentity !== undefined && userIdentity.peerId !== this.user) {
      throw new InvalidDataArgumentError(`userIdentity is ${userIdentity.peerId}, not the user ${this.user} whose contacts these are.`)
    }
    this.userIdentity = userIdentity ?? null
    this.verifier = new EntryVerifier(entryDomain(this.user))
  }

  /** Opens the document; on the device holding the user key, starts the first key epoch if none exists. */
  async open (): Promise<this> {
    this.doc ??= await this.opts.source.open(contactsDocId(this.user))
    if (this.userIdentity !== null && !(await this.certificates()).certificates.some((c) => c.op.type !== 'link')) {
      await this.rotateKey()
    }
    return this
  }

  private get entries (): Y.Array<Uint8Array> {
    if (this.doc === null) throw new InvalidDataArgumentError('Call open() before using a ContactCache.')
    return this.doc.getArray<Uint8Array>('entries')
  }

  /** Entries with a bad signature seen so far. */
  get rejected (): number {
    return this.verifier.rejected
  }

  private async certificates (): Promise<CertificateState> {
    const entries = this.entries.toArray().map(tryDecodeEntry).filter((e): e is Entry => e !== null)
    const ok = await Promise.all(entries.map((e) => this.verifier.verify(e)))
    return resolveCertificates(this.user, entries.filter((_, i) => ok[i]))
  }

  /** The contacts keys this device was given, oldest epoch first. */
  private async keys (certs: CertificateState): Promise<RoomKey[]> {
    const me = this.opts.identity.peerId
    const out: RoomKey[] = []
    for (const { entry, op } of certs.certificates) {
      const share = op.shares.find((s) => s.member === me)
      if (share === undefined) continue
      let key = this.keyCache.get(entry.bytes)
      if (key === undefined) {
        key = openSealed(this.opts.identity, shareDomain(this.user), share.sealed).then(importRoomKey, () => null)
        this.keyCache.set(entry.bytes, key)
      }
      const k = await key
      if (k !== null) out.push(k)
    }
    return out
  }

  private async openChange (entry: Entry, keys: readonly RoomKey[]): Promise<ContactChange | null> {
    const cached = this.changeCache.get(entry.bytes)
    if (cached !== undefined) return cached
    let id: string
    try { id = roomKeyIdOf(entry.body) } catch { return null }
    const key = keys.find((k) => k.id === id)
    if (key === undefined) return null
    try {
      const change = decodeContactChange(await openWithRoomKey(key, bodyDomain(this.user), entry.body))
      if (change !== null) this.changeCache.set(entry.bytes, change)
      return change
    } catch {
      return null
    }
  }

  /** The contacts as this device can read them. */
  async state (): Promise<ContactsState> {
    const certs = await this.certificates()
    const keys = await this.keys(certs)
    const changes = await Promise.all(certs.changes.map((e) => this.openChange(e, keys)))
    const view = applyChanges(changes)
    return { ...view, devices: certs.devices, unreadable: changes.filter((c) => c === null).length, ignored: certs.ignored }
  }

  async contacts (): Promise<Contact[]> {
    return [...(await this.state()).contacts.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.peer < b.peer ? -1 : 1))
  }

  async isBlocked (peer: PeerId): Promise<boolean> {
    return (await this.state()).blocked.has(peer)
  }

  /** For MessageLog.view({ hide }): hides authors blocked as of now. */
  async hidden (): Promise<(author: PeerId) => boolean> {
    const blocked = (await this.state()).blocked
    return (author) => blocked.has(author)
  }

  private async write (signer: Identity, kind: number, body: Uint8Array, certs: CertificateState): Promise<Entry> {
    const entry = await createEntry(signer, entryDomain(this.user), { kind, time: (this.opts.now ?? Date.now)(), deps: certs.graph.heads(), body }, this.opts.random)
    this.verifier.seed(entry.bytes)
    this.entries.push([entry.bytes])
    return entry
  }

  private async change (change: ContactChange): Promise<EntryId> {
    const certs = await this.certificates()
    const keys = await this.keys(certs)
    const me = this.opts.identity.peerId
    if (me !== this.user && certs.devices.get(me) !== 'active') {
      throw new NotAuthorizedError(`Device ${me} is not linked to ${this.user} (or was revoked); link it with linkDevice() on the device that holds the user key.`)
    }
    const key = keys[keys.length - 1]
    if (key === undefined) throw new MissingKeyError(`Device ${me} holds no contacts key of ${this.user} yet; wait for the link certificate to replicate.`)
    const sealed = await sealWithRoomKey(key, bodyDomain(this.user), encodeContactChange(change), { random: this.opts.random })
    const entry = await this.write(this.opts.identity, ContactsKind.change, sealed, certs)
    this.changeCache.set(entry.bytes, change)
    return entry.id
  }

  /** Adds or updates a contact; fields left out keep their value. */
  setContact (peer: PeerId, fields: { readonly name?: string, readonly note?: string } = {}): Promise<EntryId> {
    return this.change({ type: 'set', peer, ...fields })
  }

  removeContact (peer: PeerId): Promise<EntryId> { return this.change({ type: 'remove', peer }) }
  /** Blocks `peer` on every device of this user: their messages are hidden (see hidden()). */
  block (peer: PeerId): Promise<EntryId> { return this.change({ type: 'block', peer }) }
  unblock (peer: PeerId): Promise<EntryId> { return this.change({ type: 'unblock', peer }) }

  /** Adds the contact an invite (contactInvite) names, after checking the invite's signature. */
  async addFromInvite (invite: string, options: { readonly note?: string } = {}): Promise<PeerId> {
    const { peer, name } = await parseContactInvite(invite)
    await this.setContact(peer, { name, ...options })
    return peer
  }

  private requireUser (what: string): Identity {
    if (this.userIdentity === null) throw new NotAuthorizedError(`Only the user key of ${this.user} may ${what}; do it on the device that holds it, or import the identity backup.`)
    return this.userIdentity
  }

  private async certify (op: CertificateOp, certs: CertificateState): Promise<EntryId> {
    return (await this.write(this.requireUser(`${op.type} device keys`), certificateKind(op), encodeCertificateOp(op), certs)).id
  }

  private async sealKey (key: RoomKey, members: readonly PeerId[]): Promise<Array<{ member: PeerId, sealed: Uint8Array }>> {
    const raw = await exportRoomKey(key)
    return await Promise.all(members.map(async (member) => ({ member, sealed: await sealTo(member, shareDomain(this.user), raw, { random: this.opts.random }) })))
  }

  private active (certs: CertificateState, except?: PeerId): PeerId[] {
    return [this.user, ...[...certs.devices].filter(([d, s]) => s === 'active' && d !== except).map(([d]) => d)]
  }

  /** Certifies `device` as one of this user's devices and gives it the current contacts key. */
  async linkDevice (device: PeerId): Promise<EntryId> {
    this.requireUser('link device keys')
    const certs = await this.certificates()
    if (device === this.user) throw new InvalidDataArgumentError('The user key needs no certificate; link device keys.')
    if (certs.devices.get(device) === 'revoked') throw new InvalidDataArgumentError(`Device ${device} was revoked and stays revoked; generate a new device key and link that.`)
    const keys = await this.keys(certs)
    const current = keys[keys.length - 1]
    if (current === undefined) throw new MissingKeyError(`The user key holds no contacts key of ${this.user}; call open() first.`)
    return await this.certify({ type: 'link', device, shares: await this.sealKey(current, [device]) }, certs)
  }

  /** Revokes a lost device: its later changes are void, and later changes use a key it never gets. */
  async revokeDevice (device: PeerId): Promise<EntryId> {
    this.requireUser('revoke device keys')
    const certs = await this.certificates()
    const key = await generateRoomKey({ random: this.opts.random })
    return await this.certify({ type: 'revoke', device, shares: await this.sealKey(key, this.active(certs, device)) }, certs)
  }

  /** Starts a new key epoch shared with the user and every active device. */
  async rotateKey (): Promise<EntryId> {
    this.requireUser('rotate the contacts key')
    const certs = await this.certificates()
    const key = await generateRoomKey({ random: this.opts.random })
    return await this.certify({ type: 'key', shares: await this.sealKey(key, this.active(certs)) }, certs)
  }
}
