import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { clientIdFromPublicKey, generateIdentity, InvalidKeyError } from '@ymesh/crypto'
import { rejection, seededRandom, toHex } from './helpers.js'

describe('clientIdFromPublicKey', () => {
  it('is a stable integer in [1, 2^53 − 1], distinct per index and per key', async () => {
    const random = seededRandom(11)
    const ids = new Set<number>()
    for (let i = 0; i < 20; i++) {
      const { publicKey } = await generateIdentity({ seed: random(32) })
      for (const index of [0, 1, 2]) {
        const id = await clientIdFromPublicKey(publicKey, index)
        expect(Number.isSafeInteger(id)).toBe(true)
        expect(id).toBeGreaterThanOrEqual(1)
        expect(id).toBeLessThanOrEqual(2 ** 53 - 1)
        expect(await clientIdFromPublicKey(publicKey, index)).toBe(id)
        ids.add(id)
      }
    }
    expect(ids.size).toBe(60)
  })

  it('uses the full 53-bit range, not 32 bits', async () => {
    const random = seededRandom(12)
    let above32 = 0
    for (let i = 0; i < 16; i++) {
      if (await clientIdFromPublicKey(random(32)) > 2 ** 32) above32++
    }
    // A 53-bit uniform value exceeds 2^32 with probability 1 − 2^−21.
    expect(above32).toBe(16)
  })

  it('is the SHA-256 of domain ‖ key ‖ varUint(index), first 8 bytes mod (2^53 − 1), plus 1', async () => {
    const key = new Uint8Array(32).fill(0xab)
    const input = new Uint8Array([...new TextEncoder().encode('ymesh/yjs-client-id/v1'), ...key, 5])
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', input))
    const expected = Number(BigInt('0x' + toHex(digest.subarray(0, 8))) % BigInt(2 ** 53 - 1)) + 1
    expect(await clientIdFromPublicKey(key, 5)).toBe(expected)
  })

  it('works as a Yjs clientID: edits sync and are attributed to it', async () => {
    const { publicKey } = await generateIdentity()
    const id = await clientIdFromPublicKey(publicKey)
    const a = new Y.Doc()
    a.clientID = id
    a.getText('t').insert(0, 'hi')
    const update = Y.encodeStateAsUpdate(a)
    expect([...Y.parseUpdateMeta(update).from.keys()]).toEqual([id])
    const b = new Y.Doc()
    Y.applyUpdate(b, update)
    expect(b.getText('t').toString()).toBe('hi')
    a.destroy()
    b.destroy()
  })

  it('rejects bad keys and indexes', async () => {
    expect(await rejection(clientIdFromPublicKey(new Uint8Array(31)))).toBeInstanceOf(InvalidKeyError)
    for (const index of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect((await rejection(clientIdFromPublicKey(new Uint8Array(32), index))).name).toBe('InvalidArgumentError')
    }
  })
})
