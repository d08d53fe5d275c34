/**
 * The rules of a contacts document (docs/data-models.md, "Contacts"), as pure functions of
 * its verified entries:
 *
 * 1. Only the user key certifies: key, link and revoke entries by anyone else (a device
 *    included) have no effect. A link whose causal past holds a revocation of the same
 *    device has no effect: a revoked device key stays revoked (link a new one).
 * 2. A change counts iff its author is the user, or a device with an effective link in the
 *    change's causal past and the change is in the causal past of every revocation of that
 *    device. So a lost device's changes made after (or concurrently with) its revocation
 *    are void, however their deps were forged: "before the revocation" means the
 *    revocation had seen it.
 * 3. Changes apply in the causal graph's total order: set merges the fields it carries
 *    (last writer wins per field), remove drops the contact, block and unblock toggle.
 */
import type { PeerId } from '@ymesh/protocol'
import type { Entry } from './signed-entry.js'
import { buildCausalGraph } from './causal-graph.js'
import type { CausalGraph } from './causal-graph.js'
import { ContactsKind, decodeCertificateOp } from './contact-ops.js'
import type { CertificateOp, ContactChange } from './contact-ops.js'

export type DeviceStatus = 'active' | 'revoked'

export interface Contact {
  readonly peer: PeerId
  readonly name: string
  readonly note: string
}

export interface CertificateState {
  readonly graph: CausalGraph<Entry>
  /** Every device the user key linked, and whether it was revoked since. */
  readonly devices: ReadonlyMap<PeerId, DeviceStatus>
  /** Effective certificate entries (key, link, revoke), in the total order. */
  readonly certificates: ReadonlyArray<{ readonly entry: Entry, readonly op: CertificateOp }>
  /** Change entries whose author could write them, in the total order (bodies still sealed). */
  readonly changes: readonly Entry[]
  /** Entries with no effect: certificates not by the user, changes by uncertified or revoked devices, malformed. */
  readonly ignored: number
}

export const resolveCertificates = (user: PeerId, verified: Iterable<Entry>): CertificateState => {
  const graph = buildCausalGraph(verified, (e) => (e.kind === ContactsKind.revoke ? 0 : 5))
  const links = new Map<PeerId, number[]>()
  const revokes = new Map<PeerId, number[]>()
  const certificates: Array<{ entry: Entry, op: CertificateOp }> = []
  const ops = graph.order.map((e) => (e.kind === ContactsKind.change || e.author !== user ? null : decodeCertificateOp(e.kind, e.body)))
  graph.order.forEach((_, i) => {
    const op = ops[i]
    if (op?.type === 'revoke') revokes.set(op.device, [...(revokes.get(op.device) ?? []), i])
  })
  const changes: Entry[] = []
  graph.order.forEach((entry, i) => {
    const op = ops[i]
    if (op === null || op === undefined) {
      if (entry.kind !== ContactsKind.change) return
      const author = entry.author
      const ok = author === user || (
        (links.get(author) ?? []).some((l) => graph.isAncestor(l, i)) &&
        (revokes.get(author) ?? []).every((r) => graph.isAncestor(i, r))
      )
      if (ok) changes.push(entry)
      return
    }
    if (op.type === 'link') {
      if (op.device === user || (revokes.get(op.device) ?? []).some((r) => graph.isAncestor(r, i))) return
      links.set(op.device, [...(links.get(op.device) ?? []), i])
    }
    certificates.push({ entry, op })
  })
  const devices = new Map<PeerId, DeviceStatus>()
  for (const device of links.keys()) devices.set(device, revokes.has(device) ? 'revoked' : 'active')
  return { graph, devices, certificates, changes, ignored: graph.order.length + graph.pending.length - certificates.length - changes.length }
}

export interface ContactsView {
  readonly contacts: ReadonlyMap<PeerId, Contact>
  readonly blocked: ReadonlySet<PeerId>
}

/** Applies decrypted changes in order (null: a change this replica cannot open; skipped). */
export const applyChanges = (changes: ReadonlyArray<ContactChange | null>): ContactsView => {
  const contacts = new Map<PeerId, Contact>()
  const blocked = new Set<PeerId>()
  for (const c of changes) {
    if (c === null) continue
    switch (c.type) {
      case 'set': {
        const old = contacts.get(c.peer)
        contacts.set(c.peer, { peer: c.peer, name: c.name ?? old?.name ?? '', note: c.note ?? old?.note ?? '' })
        break
      }
      case 'remove': contacts.delete(c.peer); break
      case 'block': blocked.add(c.peer); break
      case 'unblock': blocked.delete(c.peer)
    }
  }
  return { contacts, blocked }
}
