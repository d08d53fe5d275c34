/**
 * Sealing capsules between two peers with a key derived once per remote peer, not per
 * capsule. sealTo() makes an ephemeral X25519 key, converts the recipient's Ed25519 key,
 * imports both and runs X25519 + HKDF for every message — 10–14 % of a peer's CPU while a
 * room forms (profile of the real-WebRTC bench). Here the static X25519 keys of author and
 * target agree once (@ymesh/crypto's derivePairKey: synchronous node:crypto in Node, WebCrypto
 * in browsers); HKDF binds the key to the domain and the direction (author, target), and the
 * key is kept in a bounded per-instance cache.
 *
 *   sealed = version (3) ‖ IV (12) ‖ ciphertext+tag
 *   key    = HKDF-SHA-256(ikm = X25519(self, remote), salt = '',
 *                         info = 'ymesh-pair/v1' ‖ varString(domain) ‖ author Ed25519 pub ‖ target Ed25519 pub)
 *   AAD    = version ‖ varString(domain) ‖ varUint8Array(header)
 *
 * Only author and target can derive the key, and the key differs per direction, so a valid tag
 * tells the target that the author wrote this body with this header (the capsule's from, to and
 * sequence number): a relay can neither read, forge, alter nor re-address it. That replaces an
 * Ed25519 signature (a sign and a verify per capsule, which queue behind everything a joining
 * peer verifies). What is given up (docs/THREAT_MODEL.md §3.3): an author whose private key
 * leaks exposes the capsules it sent before; a target whose key leaks can be sent capsules in
 * anyone's name (it can already be impersonated itself); and a capsule proves nothing to third
 * parties, which nothing needs.
 */
import * as encoding from 'lib0/encoding'
import type { PeerId } from '@ymesh/protocol'
import { derivePairKey, ed25519PublicKeyToX25519, publicKeyFromPeerId, type Identity, type PairKey } from '@ymesh/crypto'

const VERSION = 3
const HEADER = 1 + 12
const TAG = 16
const INFO_PREFIX = new TextEncoder().encode('ymesh-pair/v1')

export interface PairKeysOptions {
  readonly identity: Identity
  /** Keys kept (least recently used goes first). Default 256. */
  readonly maxKeys?: number
}

export class PairKeys {
  private readonly keys = new Map<string, Promise<PairKey>>()
  private readonly maxKeys: number
  /** Derivations done (cache misses), for tests and profiles. */
  derivations = 0

  constructor (private readonly o: PairKeysOptions) {
    this.maxKeys = Math.max(1, o.maxKeys ?? 256)
  }

  get size (): number {
    return this.keys.size
  }

  clear (): void {
    this.keys.clear()
  }

  /** Seal `plaintext` from this peer to `to` under `domain`, authenticating `header` with it; `iv` is 12 random bytes. */
  async seal (to: PeerId, domain: string, plaintext: Uint8Array, iv: Uint8Array, header: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
    if (iv.length !== 12) throw new RangeError('PairKeys.seal needs a 12-byte IV')
    const key = await this.key(to, this.o.identity.peerId, to, domain)
    const ciphertext = await key.seal(iv, plaintext, aad(domain, header))
    const out = new Uint8Array(HEADER + ciphertext.length)
    out[0] = VERSION
    out.set(iv, 1)
    out.set(ciphertext, HEADER)
    return out
  }

  /** Open what `from` sealed to this peer under `domain` with `header`; rejects on anything else. */
  async open (from: PeerId, domain: string, sealed: Uint8Array, header: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
    if (sealed.length < HEADER + TAG || sealed[0] !== VERSION) throw new Error(`not a pair-sealed message of version ${VERSION}`)
    const key = await this.key(from, from, this.o.identity.peerId, domain)
    return await key.open(sealed.subarray(1, HEADER), sealed.subarray(HEADER), aad(domain, header))
  }

  private async key (remote: PeerId, author: PeerId, target: PeerId, domain: string): Promise<PairKey> {
    const id = `${author}\u0000${target}\u0000${domain}`
    let key = this.keys.get(id)
    if (key !== undefined) {
      this.keys.delete(id)
      this.keys.set(id, key)
      return await key
    }
    key = this.derive(remote, author, target, domain)
    this.keys.set(id, key)
    while (this.keys.size > this.maxKeys) this.keys.delete(this.keys.keys().next().value as string)
    // A failed derivation (a peer id that is no key) is not kept.
    key.catch(() => { if (this.keys.get(id) === key) this.keys.delete(id) })
    return await key
  }

  private async derive (remote: PeerId, author: PeerId, target: PeerId, domain: string): Promise<PairKey> {
    this.derivations++
    const info = encoding.encode((e) => {
      encoding.writeUint8Array(e, INFO_PREFIX)
      encoding.writeVarString(e, domain)
      encoding.writeUint8Array(e, publicKeyFromPeerId(author))
      encoding.writeUint8Array(e, publicKeyFromPeerId(target))
    })
    return await derivePairKey(this.o.identity.agreementKey, ed25519PublicKeyToX25519(publicKeyFromPeerId(remote)), info)
  }
}

const aad = (domain: string, header: Uint8Array): Uint8Array<ArrayBuffer> => encoding.encode((e) => {
  encoding.writeUint8(e, VERSION)
  encoding.writeVarString(e, domain)
  encoding.writeVarUint8Array(e, header)
}) as Uint8Array<ArrayBuffer>
