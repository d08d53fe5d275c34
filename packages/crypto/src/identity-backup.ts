/**
 * Passphrase-protected identity backups: PBKDF2-SHA-256 stretches the passphrase into an
 * AES-256-GCM key that seals the seed. Every header field is authenticated (as AAD), so a
 * backup whose peer id, salt or iteration count was edited fails to open.
 */
import { CryptoError, DecryptionError, InvalidArgumentError, InvalidIdentityError } from './errors.js'
import { describe, fromBase64Url, toBase64Url, utf8 } from './bytes.js'
import { generateIdentity, identitySeed, SEED_LENGTH, type Identity } from './identity.js'
import { isYmeshPeerId } from './peer-id.js'
import { guard, randomBytes, subtle, type RandomSource } from './webcrypto.js'

/** OWASP's 2023 recommendation for PBKDF2-HMAC-SHA-256. */
export const DEFAULT_BACKUP_ITERATIONS = 600_000
// Bounds on what a backup may ask for: below, brute force is cheap; above, opening a
// backup someone handed us would pin a core for minutes.
export const MIN_BACKUP_ITERATIONS = 10_000
export const MAX_BACKUP_ITERATIONS = 10_000_000

export interface EncryptedIdentity {
  readonly format: 'ymesh-identity-backup'
  readonly version: 1
  /** In clear so a backup can be told apart without the passphrase; authenticated. */
  readonly peerId: string
  readonly kdf: 'PBKDF2-SHA-256'
  readonly iterations: number
  /** base64url, 16 bytes. */
  readonly salt: string
  /** base64url, 12 bytes. */
  readonly iv: string
  /** base64url: AES-256-GCM of the 32-byte seed, with its 16-byte tag. */
  readonly ciphertext: string
}

export interface ExportEncryptedOptions {
  /** PBKDF2 rounds, default 600,000; at least 10,000. */
  readonly iterations?: number
  readonly random?: RandomSource
}

const header = (b: Pick<EncryptedIdentity, 'format' | 'version' | 'peerId' | 'kdf' | 'iterations' | 'salt' | 'iv'>): Uint8Array<ArrayBuffer> =>
  utf8(JSON.stringify([b.format, b.version, b.peerId, b.kdf, b.iterations, b.salt, b.iv]))

const requirePassphrase = (passphrase: unknown): Uint8Array<ArrayBuffer> => {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new InvalidArgumentError(`A backup passphrase must be a non-empty string, got ${describe(passphrase)}.`)
  }
  // NFC so that the same passphrase typed on another OS or keyboard derives the same key.
  return utf8(passphrase.normalize('NFC'))
}

const passphraseKey = async (passphrase: Uint8Array<ArrayBuffer>, salt: Uint8Array<ArrayBuffer>, iterations: number, usage: KeyUsage): Promise<CryptoKey> => {
  const s = subtle()
  const wrap = (cause: unknown): CryptoError => new CryptoError('WebCrypto could not derive a key from the passphrase (PBKDF2-SHA-256).', { cause })
  const material = await guard(() => s.importKey('raw', passphrase, 'PBKDF2', false, ['deriveKey']), wrap)
  return await guard(() => s.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, material, { name: 'AES-GCM', length: 256 }, false, [usage]), wrap)
}

export const exportIdentityEncrypted = async (identity: Identity, passphrase: string, options: ExportEncryptedOptions = {}): Promise<EncryptedIdentity> => {
  const pass = requirePassphrase(passphrase)
  const iterations = options.iterations ?? DEFAULT_BACKUP_ITERATIONS
  if (!Number.isSafeInteger(iterations) || iterations < MIN_BACKUP_ITERATIONS || iterations > MAX_BACKUP_ITERATIONS) {
    throw new InvalidArgumentError(`Backup iterations must be an integer from ${MIN_BACKUP_ITERATIONS} to ${MAX_BACKUP_ITERATIONS}, got ${iterations}.`)
  }
  const seed = await identitySeed(identity)
  const salt = randomBytes(16, options.random)
  const iv = randomBytes(12, options.random)
  const fields = {
    format: 'ymesh-identity-backup',
    version: 1,
    peerId: identity.peerId,
    kdf: 'PBKDF2-SHA-256',
    iterations,
    salt: toBase64Url(salt),
    iv: toBase64Url(iv)
  } as const
  const key = await passphraseKey(pass, salt, iterations, 'encrypt')
  const ciphertext = await guard(
    () => subtle().encrypt({ name: 'AES-GCM', iv, additionalData: header(fields) }, key, seed),
    (cause) => new CryptoError('WebCrypto could not encrypt the identity backup.', { cause })
  )
  seed.fill(0)
  return { ...fields, ciphertext: toBase64Url(new Uint8Array(ciphertext)) }
}

/**
 * Opens a backup made by exportIdentityEncrypted. Rejects with InvalidIdentityError if the
 * backup is malformed, DecryptionError if the passphrase is wrong or the backup was altered.
 */
export const importIdentityEncrypted = async (backup: unknown, passphrase: string, options: { readonly extractable?: boolean } = {}): Promise<Identity> => {
  const pass = requirePassphrase(passphrase)
  if (backup === null || typeof backup !== 'object') {
    throw new InvalidIdentityError(`An identity backup is an object from exportIdentityEncrypted(), got ${describe(backup)}.`)
  }
  const b = backup as Record<string, unknown>
  if (b.format !== 'ymesh-identity-backup') throw new InvalidIdentityError(`Not a ymesh identity backup (format is ${JSON.stringify(b.format)}, expected "ymesh-identity-backup").`)
  if (b.version !== 1) throw new InvalidIdentityError(`Unsupported identity backup version ${JSON.stringify(b.version)}; this version of @ymesh/crypto reads version 1. Upgrade it to read newer backups.`)
  if (b.kdf !== 'PBKDF2-SHA-256') throw new InvalidIdentityError(`Unsupported backup key derivation ${JSON.stringify(b.kdf)}; expected "PBKDF2-SHA-256".`)
  if (!isYmeshPeerId(b.peerId)) throw new InvalidIdentityError('The backup\'s peer id is not a ymesh peer id.')
  const iterations = b.iterations
  if (typeof iterations !== 'number' || !Number.isSafeInteger(iterations) || iterations < MIN_BACKUP_ITERATIONS || iterations > MAX_BACKUP_ITERATIONS) {
    throw new InvalidIdentityError(`The backup's iteration count must be an integer from ${MIN_BACKUP_ITERATIONS} to ${MAX_BACKUP_ITERATIONS}.`)
  }
  const field = (name: 'salt' | 'iv' | 'ciphertext', length: number): Uint8Array<ArrayBuffer> => {
    const value = b[name]
    const bytes = typeof value === 'string' ? fromBase64Url(value) : null
    if (bytes === null || bytes.length !== length) throw new InvalidIdentityError(`The backup's ${name} must be ${length} bytes of base64url.`)
    return bytes
  }
  const salt = field('salt', 16)
  const iv = field('iv', 12)
  const ciphertext = field('ciphertext', SEED_LENGTH + 16)
  const key = await passphraseKey(pass, salt, iterations, 'decrypt')
  const aad = header({ format: 'ymesh-identity-backup', version: 1, peerId: b.peerId, kdf: 'PBKDF2-SHA-256', iterations, salt: b.salt as string, iv: b.iv as string })
  const seed = new Uint8Array(await guard(
    () => subtle().decrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, ciphertext),
    (cause) => new DecryptionError('Could not open the identity backup: the passphrase is wrong, or the backup was altered.', { cause })
  ))
  const identity = await generateIdentity({ seed, extractable: options.extractable })
  seed.fill(0)
  // Cannot differ unless the backup was forged by someone who knew the passphrase.
  if (identity.peerId !== b.peerId) throw new InvalidIdentityError('The backup\'s peer id does not match the identity inside it.')
  return identity
}
