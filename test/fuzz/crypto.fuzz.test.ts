/**
 * Fuzz every @ymesh/crypto decoder with seeded hostile input: the text forms (base64url, room
 * secrets from invite links, peer ids), exported identities and passphrase backups (from
 * storage or a user's paste), and the ciphertext headers of sealed messages, room-key
 * messages and y-webrtc's password encryption (from the network).
 *
 * Contracts (from the sources): every error is a named CryptoError subclass (WebCrypto's
 * DOMExceptions and TypeErrors are wrapped); fromBase64Url and isYmeshPeerId never throw;
 * verify returns false for a well-formed signature that does not verify and never accepts
 * altered bytes; the opening functions reject with DecryptionError (RoomKeyMismatchError for
 * another key id) and never open altered ciphertext.
 *
 * FUZZ_COUNT inputs go through the synchronous decoders; the WebCrypto ones get a twenty-fifth
 * of it (each costs an X25519, AES-GCM or Ed25519 operation), the passphrase backup a
 * five-hundredth (each well-formed one costs 10,000 PBKDF2 rounds).
 *
 *   FUZZ_COUNT=1000000 SEED=1234 npx vitest run --project fuzz crypto.fuzz
 */
import * as prng from 'lib0/prng'
import { describe, expect, it } from 'vitest'
import {
  decodeRoomSecret, decryptYWebrtc, decryptYWebrtcJson, deriveYWebrtcKey, encodeRoomSecret, encryptYWebrtc, encryptYWebrtcJson,
  exportIdentity, exportIdentityEncrypted, fromBase64Url, generateIdentity, importIdentity, importIdentityEncrypted, importRoomKey,
  isYmeshPeerId, MIN_BACKUP_ITERATIONS, openSealed, openWithRoomKey, publicKeyFromPeerId, roomKeyIdOf, sealTo, sealWithRoomKey, sign,
  toBase64Url, verify
} from '@ymesh/crypto'
import type { PeerId } from '@ymesh/protocol'
import { fuzzConfig, Harness, heapUsed, int, MAX_HEAP_GROWTH, mutateBytes, mutateJson, mutateText, truncations } from './fuzz-kit.js'

const { count: COUNT, seed: SEED, replay, timeout: TIMEOUT } = fuzzConfig()
const NEVER_THROWS = new Set<string>()
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const DOMAIN = 'ymesh/fuzz'

describe(`crypto decoders under fuzzing (SEED=${SEED}, FUZZ_COUNT=${COUNT})`, () => {
  it('text forms: base64url is canonical, room secrets and peer ids throw only their named errors', async () => {
    const gen = prng.create(SEED)
    const identities = await Promise.all([0, 1].map(async () => await generateIdentity({ seed: prng.uint8Array(gen, 32) })))
    const texts = [
      ...identities.map((i) => i.peerId), encodeRoomSecret(prng.uint8Array(gen, 16)), encodeRoomSecret(prng.uint8Array(gen, 16)),
      toBase64Url(prng.uint8Array(gen, 64)), toBase64Url(prng.uint8Array(gen, 1)), toBase64Url(prng.uint8Array(gen, 2)), ''
    ]
    const h = new Harness(replay)
    const heapBefore = heapUsed()
    const decode = (i: number, text: string): void => {
      h.run('fromBase64Url', NEVER_THROWS, i, text, () => {
        const bytes = fromBase64Url(text)
        // Canonical: one byte string, one text form (two spellings of a key would be two peer ids).
        if (bytes !== null && toBase64Url(bytes) !== text) throw new Error(`fromBase64Url accepted a non-canonical form ${JSON.stringify(text)}; ${replay}`)
        return bytes !== null
      })
      h.run('decodeRoomSecret', new Set(['InvalidRoomSecretError']), i, text, () => {
        if (decodeRoomSecret(text).length !== 16) throw new Error(`decodeRoomSecret returned a secret of the wrong length; ${replay}`)
      })
      const isPeer = isYmeshPeerId(text)
      h.run('publicKeyFromPeerId', new Set(['InvalidPeerIdError']), i, text, () => {
        const key = publicKeyFromPeerId(text)
        if (key.length !== 32 || !isPeer) throw new Error(`publicKeyFromPeerId and isYmeshPeerId disagree on ${JSON.stringify(text)}; ${replay}`)
      })
    }
    let i = 0
    for (const t of texts) for (let k = 0; k <= t.length; k++) decode(i++, t.slice(0, k))
    for (let n = 0; n < COUNT; n++) decode(i++, mutateText(gen, texts))
    console.log(`fuzzed ${i} texts (SEED=${SEED}); accepted/tried: ${h.summary()}`)
    expect(heapUsed() - heapBefore, replay).toBeLessThan(MAX_HEAP_GROWTH)
    if (COUNT >= 10_000) for (const name of ['fromBase64Url', 'decodeRoomSecret', 'publicKeyFromPeerId']) expect(h.accepted[name], `${name} accepted nothing; ${replay}`).toBeGreaterThan(0)
  }, TIMEOUT)

  it('sealed, room-sealed and y-webrtc ciphertexts: only DecryptionError, and nothing altered opens', async () => {
    const gen = prng.create(SEED ^ 0xc1f)
    const identity = await generateIdentity({ seed: prng.uint8Array(gen, 32) })
    const roomKey = await importRoomKey(prng.uint8Array(gen, 32))
    const otherKey = await importRoomKey(prng.uint8Array(gen, 32))
    const ywKey = await deriveYWebrtcKey('fuzz password', 'fuzz room')
    const random = (n: number): Uint8Array => prng.uint8Array(gen, n)
    const sealed: Uint8Array[] = []
    const roomSealed: Uint8Array[] = []
    const yw: Uint8Array[] = []
    for (let k = 0; k < 6; k++) {
      const plaintext = random(prng.oneOf(gen, [0, 1, 40, 500]))
      sealed.push(await sealTo(identity.peerId, DOMAIN, plaintext, { random }))
      roomSealed.push(await sealWithRoomKey(prng.bool(gen) ? roomKey : otherKey, DOMAIN, plaintext, { random }))
      yw.push(await encryptYWebrtc(plaintext, ywKey, { random }))
      yw.push(await encryptYWebrtcJson({ type: 'signal', from: identity.peerId, to: 'x', signal: { type: 'offer', sdp: 'v=0' } }, ywKey, { random }))
    }
    const originals = new Set([...sealed, ...roomSealed, ...yw].map(hex))
    // y-webrtc's framing ignores bytes after the ciphertext (as y-webrtc itself does), so there
    // "altered" means a plaintext that was never encrypted.
    const ywPlaintexts = new Set(await Promise.all(yw.map(async (c) => hex(await decryptYWebrtc(c, ywKey)))))
    const h = new Harness(replay)
    const opened = (name: string, input: Uint8Array): void => {
      if (!originals.has(hex(input))) throw new Error(`${name} opened altered ciphertext ${hex(input)}; ${replay}`)
    }
    const inputs = Math.ceil(COUNT / 25)
    for (let i = 0; i < inputs; i++) {
      const s = i < 200 ? truncations(sealed[0]!)[i % sealed[0]!.length]! : mutateBytes(gen, sealed)
      if (await h.runAsync('openSealed', new Set(['DecryptionError']), i, s, async () => await openSealed(identity, DOMAIN, s))) opened('openSealed', s)
      const r = mutateBytes(gen, roomSealed)
      h.run('roomKeyIdOf', new Set(['DecryptionError']), i, r, () => roomKeyIdOf(r))
      if (await h.runAsync('openWithRoomKey', new Set(['DecryptionError', 'RoomKeyMismatchError']), i, r, async () => await openWithRoomKey(roomKey, DOMAIN, r))) opened('openWithRoomKey', r)
      const y = mutateBytes(gen, yw)
      await h.runAsync('decryptYWebrtc', new Set(['DecryptionError']), i, y, async () => {
        const plain = await decryptYWebrtc(y, ywKey)
        if (!ywPlaintexts.has(hex(plain))) throw new Error(`decryptYWebrtc opened altered ciphertext ${hex(y)}; ${replay}`)
      })
      // A room member is not trusted either: hostile plaintext under the right password.
      const plain = mutateBytes(gen, yw)
      const boxed = await encryptYWebrtc(plain, ywKey, { random })
      await h.runAsync('decryptYWebrtcJson (hostile plaintext)', new Set(['DecryptionError']), i, plain, async () => await decryptYWebrtcJson(boxed, ywKey))
    }
    console.log(`fuzzed ${inputs} ciphertexts of each kind (SEED=${SEED}); opened/tried: ${h.summary()}`)
    if (inputs >= 1000) {
      expect(h.accepted.roomKeyIdOf, replay).toBeGreaterThan(0)
      expect(h.accepted['decryptYWebrtcJson (hostile plaintext)'], replay).toBeGreaterThan(0)
    }
  }, TIMEOUT)

  it('signatures: verify returns false or throws a named argument error, and never accepts altered bytes', async () => {
    const gen = prng.create(SEED ^ 0x519)
    const identities = await Promise.all([0, 1].map(async () => await generateIdentity({ seed: prng.uint8Array(gen, 32) })))
    const messages = Array.from({ length: 4 }, () => prng.uint8Array(gen, prng.oneOf(gen, [0, 32, 300])))
    const signed = await Promise.all(messages.map(async (m, k) => ({ signer: identities[k % 2]!.peerId, message: m, signature: await sign(identities[k % 2]!, DOMAIN, m) })))
    const originals = new Set(signed.map((s) => `${s.signer}/${hex(s.message)}/${hex(s.signature)}`))
    const h = new Harness(replay)
    const allowed = new Set(['InvalidPeerIdError', 'InvalidKeyError', 'InvalidSignatureError'])
    const inputs = Math.ceil(COUNT / 25)
    for (let i = 0; i < inputs; i++) {
      const base = prng.oneOf(gen, signed)
      const roll = int(gen, 0, 3)
      // Cast: a hostile signer id is exactly what verify must withstand.
      const signer = roll === 0 ? mutateText(gen, identities.map((x) => x.peerId)) as PeerId : base.signer
      const message = roll === 1 ? mutateBytes(gen, messages) : base.message
      const signature = roll >= 2 ? mutateBytes(gen, signed.map((s) => s.signature)) : base.signature
      if (await h.runAsync('verify', allowed, i, { signer, message: hex(message), signature: hex(signature) }, async () => await verify(signer, DOMAIN, message, signature)) &&
        !originals.has(`${signer}/${hex(message)}/${hex(signature)}`)) {
        throw new Error(`verify accepted an altered signature: signer ${signer}, message ${hex(message)}, signature ${hex(signature)}; ${replay}`)
      }
    }
    console.log(`fuzzed ${inputs} signatures (SEED=${SEED}); true/tried: ${h.summary()}`)
  }, TIMEOUT)

  it('exported identities, backups and raw room keys: only InvalidIdentityError, DecryptionError or InvalidKeyError', async () => {
    const gen = prng.create(SEED ^ 0x1de)
    const identity = await generateIdentity({ seed: prng.uint8Array(gen, 32) })
    const exported = await exportIdentity(identity)
    const backup = await exportIdentityEncrypted(identity, 'correct horse', { iterations: MIN_BACKUP_ITERATIONS, random: (n) => prng.uint8Array(gen, n) })
    const strings = [identity.peerId, exported.seed, backup.salt, backup.iv, backup.ciphertext]
    const h = new Harness(replay)
    const inputs = Math.ceil(COUNT / 25)
    for (let i = 0; i < inputs; i++) {
      const e = int(gen, 0, 19) === 0 ? JSON.parse(JSON.stringify(exported)) as unknown : mutateJson(gen, exported, strings)
      await h.runAsync('importIdentity', new Set(['InvalidIdentityError']), i, e, async () => {
        // Only fields it ignores may differ from the export: the identity must be the exported one.
        if ((await importIdentity(e)).peerId !== identity.peerId) throw new Error(`importIdentity built another identity from ${JSON.stringify(e)}; ${replay}`)
      })
      const raw = int(gen, 0, 3) === 0 ? prng.uint8Array(gen, 32) : mutateBytes(gen, [prng.uint8Array(gen, 32)])
      await h.runAsync('importRoomKey', new Set(['InvalidKeyError']), i, raw, async () => await importRoomKey(raw))
    }
    // Each well-formed backup costs 10,000 PBKDF2 rounds: a five-hundredth of COUNT.
    const backups = Math.ceil(COUNT / 500)
    for (let i = 0; i < backups; i++) {
      const b = mutateJson(gen, backup, strings)
      const pass = int(gen, 0, 3) === 0 ? 'correct horse' : 'wrong'
      await h.runAsync('importIdentityEncrypted', new Set(['InvalidIdentityError', 'DecryptionError']), i, b, async () => {
        if ((await importIdentityEncrypted(b, pass)).peerId !== identity.peerId) throw new Error(`importIdentityEncrypted opened an altered backup ${JSON.stringify(b)}; ${replay}`)
      })
    }
    console.log(`fuzzed ${inputs} exports and room keys, ${backups} backups (SEED=${SEED}); accepted/tried: ${h.summary()}`)
    if (inputs >= 1000) expect(h.accepted.importIdentity, replay).toBeGreaterThan(0)
  }, TIMEOUT)
})
