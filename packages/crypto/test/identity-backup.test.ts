import { describe, expect, it } from 'vitest'
import {
  exportIdentityEncrypted,
  generateIdentity,
  importIdentityEncrypted,
  DecryptionError,
  InvalidIdentityError,
  DEFAULT_BACKUP_ITERATIONS,
  type EncryptedIdentity
} from '@ymesh/crypto'
import { rejection, seededRandom } from './helpers.js'

// The minimum keeps the suite fast; one test uses the default count.
const iterations = 10_000

describe('encrypted identity backup', () => {
  it('round-trips with the default (high) iteration count', async () => {
    const identity = await generateIdentity()
    const backup = await exportIdentityEncrypted(identity, 'correct horse battery staple')
    expect(backup.iterations).toBe(DEFAULT_BACKUP_ITERATIONS)
    expect(DEFAULT_BACKUP_ITERATIONS).toBeGreaterThanOrEqual(600_000)
    const restored = await importIdentityEncrypted(JSON.parse(JSON.stringify(backup)), 'correct horse battery staple')
    expect(restored.peerId).toBe(identity.peerId)
  })

  it('does not contain the seed in clear', async () => {
    const identity = await generateIdentity({ seed: new Uint8Array(32).fill(0x41) })
    const backup = await exportIdentityEncrypted(identity, 'pw', { iterations })
    expect(JSON.stringify(backup)).not.toContain('QUFBQUFB')
  })

  it('rejects a wrong passphrase with DecryptionError', async () => {
    const backup = await exportIdentityEncrypted(await generateIdentity(), 'right', { iterations })
    const err = await rejection(importIdentityEncrypted(backup, 'wrong'))
    expect(err).toBeInstanceOf(DecryptionError)
    expect(err.message).toMatch(/passphrase is wrong/)
  })

  it('treats NFC and NFD spellings of a passphrase as the same passphrase', async () => {
    const identity = await generateIdentity()
    const backup = await exportIdentityEncrypted(identity, 'caf\u00e9', { iterations })
    expect((await importIdentityEncrypted(backup, 'cafe\u0301')).peerId).toBe(identity.peerId)
  })

  it('rejects a backup whose authenticated header or ciphertext was altered', async () => {
    const backup = await exportIdentityEncrypted(await generateIdentity(), 'pw', { iterations, random: seededRandom(1) })
    const other = await generateIdentity()
    const flip = (text: string): string => (text[0] === 'A' ? 'B' : 'A') + text.slice(1)
    const tampered: EncryptedIdentity[] = [
      { ...backup, peerId: other.peerId },
      { ...backup, iterations: iterations + 1 },
      { ...backup, salt: flip(backup.salt) },
      { ...backup, iv: flip(backup.iv) },
      { ...backup, ciphertext: flip(backup.ciphertext) }
    ]
    for (const t of tampered) {
      expect((await rejection(importIdentityEncrypted(t, 'pw'))).name).toBe('DecryptionError')
    }
  })

  it('rejects malformed backups with InvalidIdentityError before any key derivation', async () => {
    const backup = await exportIdentityEncrypted(await generateIdentity(), 'pw', { iterations })
    const bad: unknown[] = [
      null, [], {},
      { ...backup, format: 'ymesh-identity' },
      { ...backup, version: 2 },
      { ...backup, kdf: 'scrypt' },
      { ...backup, peerId: 'nope' },
      { ...backup, iterations: 1 },
      { ...backup, iterations: 1e12 },
      { ...backup, iterations: '10000' },
      { ...backup, salt: 'AAAA' },
      { ...backup, iv: undefined },
      { ...backup, ciphertext: backup.ciphertext.slice(4) }
    ]
    for (const value of bad) {
      const err = await rejection(importIdentityEncrypted(value, 'pw'))
      expect(err, JSON.stringify(value)).toBeInstanceOf(InvalidIdentityError)
    }
  })

  it('validates passphrase and iteration arguments', async () => {
    const identity = await generateIdentity()
    expect((await rejection(exportIdentityEncrypted(identity, ''))).name).toBe('InvalidArgumentError')
    expect((await rejection(exportIdentityEncrypted(identity, 'pw', { iterations: 5 }))).name).toBe('InvalidArgumentError')
    expect((await rejection(importIdentityEncrypted({}, 42 as unknown as string))).name).toBe('InvalidArgumentError')
    expect((await rejection(exportIdentityEncrypted(await generateIdentity({ extractable: false }), 'pw'))).name).toBe('InvalidIdentityError')
  })
})
