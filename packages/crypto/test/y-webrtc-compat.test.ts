import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  decryptYWebrtc,
  decryptYWebrtcJson,
  deriveYWebrtcKey,
  encryptYWebrtc,
  encryptYWebrtcJson,
  DecryptionError,
  InvalidKeyError
} from '@ymesh/crypto'
import { flipBit, rejection, seededRandom, toHex } from './helpers.js'

/** y-webrtc's own src/crypto.js: the implementation stock peers run. */
interface YWebrtcCrypto {
  deriveKey(secret: string, roomName: string): PromiseLike<CryptoKey>
  encrypt(data: Uint8Array, key: CryptoKey | null): PromiseLike<Uint8Array>
  encryptJson(data: unknown, key: CryptoKey | null): PromiseLike<Uint8Array>
  decrypt(data: Uint8Array, key: CryptoKey | null): PromiseLike<Uint8Array>
  decryptJson(data: Uint8Array, key: CryptoKey | null): PromiseLike<unknown>
}

// The package's "exports" hide src/crypto.js, so locate it next to the entry point.
const loadYWebrtcCrypto = async (): Promise<YWebrtcCrypto> => {
  const entry = createRequire(import.meta.url).resolve('y-webrtc')
  const file = join(dirname(entry), '..', 'src', 'crypto.js')
  return await import(/* @vite-ignore */ pathToFileURL(file).href) as YWebrtcCrypto
}

const password = 'open sesame'
const room = 'my-shared-room'
const signal = { type: 'signal', from: 'a', to: 'b', token: 0.42, signal: { type: 'offer', sdp: 'v=0\r\n...' } }

describe('y-webrtc password compatibility', () => {
  let stock: YWebrtcCrypto
  let stockKey: CryptoKey
  let ours: CryptoKey
  beforeAll(async () => {
    stock = await loadYWebrtcCrypto()
    stockKey = await stock.deriveKey(password, room)
    ours = await deriveYWebrtcKey(password, room)
  })

  it('derives the same AES key as y-webrtc (PBKDF2-SHA-256, 100,000 rounds, salt = room name)', async () => {
    // y-webrtc's key is extractable; ours is not, so compare by what each decrypts.
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', stockKey))
    const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveBits'])
    const expected = new Uint8Array(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new TextEncoder().encode(room), iterations: 100_000 }, material, 256))
    expect(toHex(raw)).toBe(toHex(expected))
    expect(ours.extractable).toBe(false)
  })

  it('decrypts what y-webrtc encrypts, and y-webrtc decrypts what we encrypt (bytes)', async () => {
    const data = new TextEncoder().encode('a BroadcastChannel message')
    expect(toHex(await decryptYWebrtc(await stock.encrypt(data, stockKey), ours))).toBe(toHex(data))
    expect(toHex(await stock.decrypt(await encryptYWebrtc(data, ours), stockKey))).toBe(toHex(data))
  })

  it('decrypts y-webrtc\'s signaling JSON, and y-webrtc decrypts ours', async () => {
    expect(await decryptYWebrtcJson(await stock.encryptJson(signal, stockKey), ours)).toEqual(signal)
    expect(await stock.decryptJson(await encryptYWebrtcJson(signal, ours), stockKey)).toEqual(signal)
  })

  it('writes exactly y-webrtc\'s framing: varString "AES-GCM", varUint8Array IV, varUint8Array ciphertext', async () => {
    const data = new Uint8Array([1, 2, 3])
    const blob = await encryptYWebrtc(data, ours, { random: seededRandom(4) })
    expect(toHex(blob.subarray(0, 8))).toBe(toHex(new Uint8Array([7, ...new TextEncoder().encode('AES-GCM')])))
    expect(blob[8]).toBe(12)
    expect(toHex(blob.subarray(9, 21))).toBe(toHex(seededRandom(4)(12)))
    expect(blob[21]).toBe(data.length + 16)
    expect(blob).toHaveLength(22 + data.length + 16)
  })

  it('rejects a different password or room name with DecryptionError', async () => {
    const blob = await stock.encryptJson(signal, stockKey)
    expect(await rejection(decryptYWebrtcJson(blob, await deriveYWebrtcKey('wrong', room)))).toBeInstanceOf(DecryptionError)
    expect(await rejection(decryptYWebrtcJson(blob, await deriveYWebrtcKey(password, 'other-room')))).toBeInstanceOf(DecryptionError)
  })

  it('turns garbage into DecryptionError, never a crash (stock y-webrtc dies on one garbage publish)', async () => {
    const blob = await stock.encryptJson(signal, stockKey)
    const garbage = [
      new Uint8Array(0),
      new TextEncoder().encode('hello'),
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      new Uint8Array([7, ...new TextEncoder().encode('AES-CBC'), 12, ...new Uint8Array(12), 0]),
      blob.subarray(0, blob.length - 1),
      flipBit(blob, 12),
      flipBit(blob, blob.length - 1)
    ]
    for (const g of garbage) {
      const err = await rejection(decryptYWebrtcJson(g, ours))
      expect(err.name, toHex(g)).toBe('DecryptionError')
    }
  })

  it('rejects decrypted bytes that are not lib0-encoded data with DecryptionError', async () => {
    const notAny = await encryptYWebrtc(new Uint8Array([200]), ours)
    expect((await rejection(decryptYWebrtcJson(notAny, ours))).name).toBe('DecryptionError')
  })

  it('validates its arguments with named errors', async () => {
    expect((await rejection(deriveYWebrtcKey(42 as never, room))).name).toBe('InvalidArgumentError')
    expect(await rejection(encryptYWebrtc(new Uint8Array(1), null as never))).toBeInstanceOf(InvalidKeyError)
    const hmac = await crypto.subtle.importKey('raw', new Uint8Array(32), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    expect(await rejection(decryptYWebrtc(new Uint8Array(1), hmac))).toBeInstanceOf(InvalidKeyError)
    const circular: Record<string, unknown> = {}
    circular.self = circular
    expect((await rejection(encryptYWebrtcJson(circular, ours))).name).toBe('InvalidArgumentError')
  })
})
