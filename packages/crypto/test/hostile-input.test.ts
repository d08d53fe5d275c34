import { describe, expect, it } from 'vitest'
import {
  decryptYWebrtc,
  decryptYWebrtcJson,
  deriveYWebrtcKey,
  generateIdentity,
  generateRoomKey,
  importIdentity,
  importIdentityEncrypted,
  openSealed,
  openWithRoomKey,
  sealTo,
  sealWithRoomKey,
  verify
} from '@ymesh/crypto'
import { seededRandom } from './helpers.js'

// Everything a peer, a signaling server or storage hands us. Whatever the bytes, each
// function must fail with one of its named errors — never a TypeError, RangeError or
// DOMException escaping from a decoder or from WebCrypto.
const SEED = Number(process.env.SEED || 20241129)
const NAMED = new Set(['DecryptionError', 'RoomKeyMismatchError', 'InvalidSignatureError', 'InvalidKeyError', 'InvalidPeerIdError', 'InvalidIdentityError', 'InvalidArgumentError'])

const outcome = async (work: Promise<unknown>): Promise<string> => {
  try {
    await work
    return 'ok'
  } catch (err) {
    return (err as Error).name
  }
}

describe(`hostile input (SEED=${SEED})`, () => {
  it('random and mutated bytes never escape as anything but named errors', async () => {
    const random = seededRandom(SEED)
    const int = (bound: number): number => random(4).reduce((a, b) => a * 256 + b, 0) % bound
    const bob = await generateIdentity({ seed: random(32) })
    const roomKey = await generateRoomKey({ random })
    const yKey = await deriveYWebrtcKey('pw', 'room')
    const sealed = await sealTo(bob.peerId, 'd', random(40), { random })
    const roomSealed = await sealWithRoomKey(roomKey, 'd', random(40), { random })
    const mutate = (bytes: Uint8Array): Uint8Array => {
      const out = bytes.slice(0, int(bytes.length + 8))
      for (let i = int(4); i > 0 && out.length > 0; i--) out[int(out.length)] = int(256)
      return out
    }
    for (let i = 0; i < 150; i++) {
      const noise = random(int(120))
      const results = await Promise.all([
        outcome(openSealed(bob, 'd', i % 2 === 0 ? noise : mutate(sealed))),
        outcome(openWithRoomKey(roomKey, 'd', i % 2 === 0 ? noise : mutate(roomSealed))),
        outcome(decryptYWebrtc(noise, yKey)),
        outcome(decryptYWebrtcJson(noise, yKey)),
        outcome(verify(bob.peerId, 'd', noise, random(64)))
      ])
      for (const r of results) {
        if (r !== 'ok') expect(NAMED.has(r), `iteration ${i}: ${r}`).toBe(true)
      }
      // verify: a random 64-byte string is well-formed, so the answer is false, not an error.
      expect(results[4]).toBe('ok')
    }
  })

  it('malformed stored identities never escape as anything but named errors', async () => {
    const values: unknown[] = [undefined, 0, 'x', [], { format: 'ymesh-identity', version: 1, seed: {}, peerId: [] }, { format: 'ymesh-identity-backup', version: 1, kdf: 'PBKDF2-SHA-256', peerId: 'A'.repeat(43), iterations: 20_000, salt: null }]
    for (const v of values) {
      expect(NAMED.has(await outcome(importIdentity(v))), JSON.stringify(v)).toBe(true)
      expect(NAMED.has(await outcome(importIdentityEncrypted(v, 'pw'))), JSON.stringify(v)).toBe(true)
    }
  })
})
