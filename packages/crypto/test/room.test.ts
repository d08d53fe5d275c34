import { describe, expect, it } from 'vitest'
import {
  decodeRoomSecret,
  encodeRoomSecret,
  exportRoomKey,
  generateRoomKey,
  generateRoomSecret,
  importRoomKey,
  openWithRoomKey,
  roomKeyFromSecret,
  roomKeyIdOf,
  sealWithRoomKey,
  topicFromRoomSecret,
  DecryptionError,
  InvalidKeyError,
  InvalidRoomSecretError,
  RoomKeyMismatchError,
  ROOM_SEAL_OVERHEAD
} from '@ymesh/crypto'
import { flipBit, fromHex, rejection, seededRandom, toHex } from './helpers.js'

const plaintext = new TextEncoder().encode('a Yjs update for the room')

describe('room keys', () => {
  it('seal and open round-trip, and survive export/import', async () => {
    const key = await generateRoomKey()
    const sealed = await sealWithRoomKey(key, 'ymesh/update', plaintext)
    expect(sealed).toHaveLength(plaintext.length + ROOM_SEAL_OVERHEAD)
    const raw = await exportRoomKey(key)
    expect(raw).toHaveLength(32)
    const again = await importRoomKey(raw)
    expect(again.id).toBe(key.id)
    expect(toHex(await openWithRoomKey(again, 'ymesh/update', sealed))).toBe(toHex(plaintext))
  })

  it('seal the plaintext as it was at the call, even if the caller reuses the buffer at once', async () => {
    const key = await generateRoomKey()
    const buffer = plaintext.slice()
    const sealing = sealWithRoomKey(key, 'd', buffer)
    buffer.fill(0)
    expect(toHex(await openWithRoomKey(key, 'd', await sealing))).toBe(toHex(plaintext))
    const sealed = await sealWithRoomKey(key, 'd', plaintext)
    const opening = openWithRoomKey(key, 'd', sealed)
    sealed.fill(0, 17)
    expect(toHex(await opening)).toBe(toHex(plaintext))
  })

  it('follow the documented format: version ‖ key id ‖ IV ‖ AES-GCM(AAD = version ‖ key id ‖ varString(domain))', async () => {
    const key = await generateRoomKey()
    const header = Uint8Array.of(1, ...fromHex(key.id))
    const domain = new TextEncoder().encode('ymesh/update')
    const iv = new Uint8Array(12).fill(9)
    const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: Uint8Array.of(...header, domain.length, ...domain) }, key.key, plaintext))
    const sealed = Uint8Array.of(...header, ...iv, ...ciphertext)
    expect(toHex(await openWithRoomKey(key, 'ymesh/update', sealed))).toBe(toHex(plaintext))
    expect(toHex(await sealWithRoomKey(key, 'ymesh/update', plaintext, { random: (n) => new Uint8Array(n).fill(9) }))).toBe(toHex(sealed))
  })

  it('are deterministic under injected randomness', async () => {
    const a = await generateRoomKey({ random: seededRandom(5) })
    const b = await generateRoomKey({ random: seededRandom(5) })
    expect(a.id).toBe(b.id)
    const sa = await sealWithRoomKey(a, 'd', plaintext, { random: seededRandom(6) })
    const sb = await sealWithRoomKey(b, 'd', plaintext, { random: seededRandom(6) })
    expect(toHex(sa)).toBe(toHex(sb))
  })

  it('name the key in clear, so a rotation shows as RoomKeyMismatchError', async () => {
    const old = await generateRoomKey()
    const rotated = await generateRoomKey()
    expect(old.id).toMatch(/^[0-9a-f]{8}$/)
    expect(old.id).not.toBe(rotated.id)
    const sealed = await sealWithRoomKey(rotated, 'd', plaintext)
    expect(roomKeyIdOf(sealed)).toBe(rotated.id)
    const err = await rejection(openWithRoomKey(old, 'd', sealed))
    expect(err).toBeInstanceOf(RoomKeyMismatchError)
    expect(err).toBeInstanceOf(DecryptionError)
    expect(err.name).toBe('RoomKeyMismatchError')
    expect((err as RoomKeyMismatchError).keyId).toBe(rotated.id)
    expect((err as RoomKeyMismatchError).expectedKeyId).toBe(old.id)
  })

  it('do not open under another domain, nor when truncated or bit-flipped', async () => {
    const key = await generateRoomKey()
    const sealed = await sealWithRoomKey(key, 'ymesh/update', plaintext)
    expect((await rejection(openWithRoomKey(key, 'ymesh/awareness', sealed))).name).toBe('DecryptionError')
    for (const v of [sealed.subarray(0, 10), sealed.subarray(0, sealed.length - 1), flipBit(sealed, 0), flipBit(sealed, 8), flipBit(sealed, 20), flipBit(sealed, sealed.length - 1)]) {
      expect(await rejection(openWithRoomKey(key, 'ymesh/update', v))).toBeInstanceOf(DecryptionError)
    }
    // A flipped key-id bit reads as another key's message.
    expect((await rejection(openWithRoomKey(key, 'ymesh/update', flipBit(sealed, 2)))).name).toBe('RoomKeyMismatchError')
  })

  it('reject malformed keys', async () => {
    expect(await rejection(importRoomKey(new Uint8Array(16)))).toBeInstanceOf(InvalidKeyError)
    expect((await rejection(sealWithRoomKey({ key: null, id: 'x' } as never, 'd', plaintext))).name).toBe('InvalidKeyError')
    const key = await generateRoomKey()
    expect((await rejection(openWithRoomKey(key, '', new Uint8Array(40)))).name).toBe('InvalidArgumentError')
    expect(() => roomKeyIdOf('x' as never)).toThrow(/Uint8Array/)
  })
})

describe('room secrets and invite links', () => {
  it('are 128 random bits that round-trip through 22 base64url characters', () => {
    const secret = generateRoomSecret()
    expect(secret).toHaveLength(16)
    const text = encodeRoomSecret(secret)
    expect(text).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(toHex(decodeRoomSecret(text))).toBe(toHex(secret))
    expect(toHex(generateRoomSecret({ random: seededRandom(1) }))).toBe(toHex(generateRoomSecret({ random: seededRandom(1) })))
  })

  it('decodeRoomSecret rejects anything but a whole, canonical secret', () => {
    const text = encodeRoomSecret(generateRoomSecret())
    for (const bad of ['', text.slice(1), text + 'A', text.slice(0, 21) + '=', text.slice(0, 21) + '/']) {
      expect(() => decodeRoomSecret(bad), bad).toThrow(InvalidRoomSecretError)
    }
    expect(() => decodeRoomSecret(undefined as never)).toThrow(InvalidRoomSecretError)
    expect(() => encodeRoomSecret(new Uint8Array(15))).toThrow(InvalidRoomSecretError)
  })

  it('give the topic HMAC-SHA-256(secret, "ymesh/topic/v1") in base64url', async () => {
    const secret = fromHex('000102030405060708090a0b0c0d0e0f')
    const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    const expected = Buffer.from(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode('ymesh/topic/v1'))).toString('base64url')
    const topic = await topicFromRoomSecret(secret)
    expect(topic).toBe(expected)
    expect(topic).toHaveLength(43)
    expect(await topicFromRoomSecret(generateRoomSecret())).not.toBe(topic)
  })

  it('give every holder of the invite the same room key, unrelated to the topic', async () => {
    const secret = generateRoomSecret()
    const alice = await roomKeyFromSecret(secret)
    const bob = await roomKeyFromSecret(decodeRoomSecret(encodeRoomSecret(secret)))
    expect(alice.id).toBe(bob.id)
    const sealed = await sealWithRoomKey(alice, 'ymesh/update', plaintext)
    expect(toHex(await openWithRoomKey(bob, 'ymesh/update', sealed))).toBe(toHex(plaintext))
    const raw = Buffer.from(await exportRoomKey(alice)).toString('base64url')
    expect(raw).not.toBe(await topicFromRoomSecret(secret))
    expect((await roomKeyFromSecret(generateRoomSecret())).id).not.toBe(alice.id)
  })

  it('derive the room key with HKDF-SHA-256(info "ymesh/room-key/v1")', async () => {
    const secret = fromHex('ffeeddccbbaa99887766554433221100')
    const material = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveBits'])
    const expected = new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new TextEncoder().encode('ymesh/room-key/v1') }, material, 256))
    expect(toHex(await exportRoomKey(await roomKeyFromSecret(secret)))).toBe(toHex(expected))
  })

  it('reject secrets of the wrong size', async () => {
    expect(await rejection(topicFromRoomSecret(new Uint8Array(32)))).toBeInstanceOf(InvalidRoomSecretError)
    expect(await rejection(roomKeyFromSecret('abc' as never))).toBeInstanceOf(InvalidRoomSecretError)
  })
})
