/**
 * Contact invites: `ymesh:contact/<peer id>?name=<name>&sig=<signature>`. The peer id is the
 * public key, so whoever has the invite can verify and seal to that peer; the signature
 * (by that key) keeps the suggested name from being edited on the way.
 */
import type { PeerId } from '@ymesh/protocol'
import { sign, verify, toBase64Url, fromBase64Url, isYmeshPeerId, SIGNATURE_LENGTH } from '@ymesh/crypto'
import type { Identity } from '@ymesh/crypto'
import { InvalidDataArgumentError } from './errors.js'
import { MAX_CONTACT_NAME_CHARS } from './contact-ops.js'

const INVITE_DOMAIN = 'ymesh/data/contact-invite/v1'
const PREFIX = 'ymesh:contact/'

/** An invite link (or code: the same text) for `identity`, suggesting `name`. */
export const contactInvite = async (identity: Identity, name: string): Promise<string> => {
  if (typeof name !== 'string' || name.length > MAX_CONTACT_NAME_CHARS) throw new InvalidDataArgumentError(`A contact name is a string of at most ${MAX_CONTACT_NAME_CHARS} characters.`)
  const sig = await sign(identity, INVITE_DOMAIN, new TextEncoder().encode(name))
  return `${PREFIX}${identity.peerId}?name=${encodeURIComponent(name)}&sig=${toBase64Url(sig)}`
}

/** The peer and name an invite carries. Throws InvalidDataArgumentError if it is malformed or was altered. */
export const parseContactInvite = async (invite: string): Promise<{ peer: PeerId, name: string }> => {
  const bad = (why: string): InvalidDataArgumentError =>
    new InvalidDataArgumentError(`'${String(invite).slice(0, 80)}' is not a valid ymesh contact invite (${why}); ask for a new one and copy it whole.`)
  if (typeof invite !== 'string' || !invite.startsWith(PREFIX)) throw bad(`it must start with ${PREFIX}`)
  const q = invite.indexOf('?')
  const peer = invite.slice(PREFIX.length, q < 0 ? undefined : q)
  if (!isYmeshPeerId(peer)) throw bad('no peer id')
  const params = new URLSearchParams(q < 0 ? '' : invite.slice(q + 1))
  const name = params.get('name') ?? ''
  const sig = fromBase64Url(params.get('sig') ?? '')
  if (sig === null || sig.length !== SIGNATURE_LENGTH) throw bad('no signature')
  if (!(await verify(peer, INVITE_DOMAIN, new TextEncoder().encode(name), sig))) throw bad('its signature does not match: altered')
  return { peer, name }
}
