import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { afterAll, describe, expect, it } from 'vitest'
import {
  clientIdFromPublicKey,
  derivePairKey,
  generateIdentity,
  openSealed,
  roomKeyFromSecret,
  sealTo,
  sign,
  topicFromRoomSecret
} from '@ymesh/crypto'
import { evaluateInChromium } from '../../../test/helpers/chromium.js'
import { fromHex, toHex } from './helpers.js'

const CHROMIUM = '/usr/bin/chromium'
const entry = fileURLToPath(new URL('./browser/smoke-entry.ts', import.meta.url))

/** Runs the bundled smoke entry in headless Chromium and returns its lines by name. */
const runInChromium = async (dir: string): Promise<Map<string, string>> => {
  // 'source' resolves @ymesh/crypto to its TypeScript, as in the tests: no dist/ needed.
  await build({ entryPoints: [entry], bundle: true, format: 'esm', conditions: ['source'], outfile: join(dir, 'smoke.js'), logLevel: 'silent' })
  writeFileSync(join(dir, 'index.html'), '<!doctype html><body></body><script type="module" src="smoke.js"></script>')
  const body = await evaluateInChromium(CHROMIUM, pathToFileURL(join(dir, 'index.html')).href, 'globalThis.ymeshCryptoSmoke', join(dir, 'profile'))
  expect(body.startsWith('DONE'), body).toBe(true)
  return new Map(body.split('\n').slice(1).map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)]))
}

describe.skipIf(!existsSync(CHROMIUM))('in Chromium (the same source on the browser\'s WebCrypto)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ymesh-crypto-browser-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('computes what Node computes, and interoperates with it', async () => {
    const lines = await runInChromium(dir)
    const alice = await generateIdentity({ seed: fromHex('421151a459faeade3d247115f94aedae42318124095afabe4d1451a559faedee') })
    const secret = new Uint8Array(16).fill(7)
    expect(lines.get('peer-id')).toBe(alice.peerId)
    expect(lines.get('x25519-public')).toBe('f1814f0e8ff1043d8a44d25babff3cedcae6c22c3edaa48f857ae70de2baae50')
    // Ed25519 is deterministic: the browser's signature equals Node's.
    expect(lines.get('signature')).toBe(toHex(await sign(alice, 'd', new Uint8Array([1, 2]))))
    expect(lines.get('verify')).toBe('true false')
    expect(lines.get('verify-non-point')).toBe('false')
    expect(lines.get('seal')).toBe('0909')
    // Sealed in the browser with injected randomness: Node seals identically and opens it.
    const injected = await sealTo(alice.peerId, 'd', new Uint8Array([7]), { random: (n) => new Uint8Array(n).fill(3) })
    expect(lines.get('seal-injected')).toBe(toHex(injected))
    expect(toHex(await openSealed(alice, 'd', fromHex(lines.get('seal-injected')!)))).toBe('07')
    expect(lines.get('seal-wrong-recipient')).toBe('DecryptionError')
    // The browser's pair key (WebCrypto) and Node's (node:crypto) seal identically, both ways.
    const carol = await generateIdentity({ seed: new Uint8Array(32).fill(5) })
    const nodeKey = await derivePairKey(carol.agreementKey, alice.agreementPublicKey, new Uint8Array([1]))
    expect(toHex(await nodeKey.open(new Uint8Array(12).fill(2), fromHex(lines.get('pair-key')!), new Uint8Array([6])))).toBe('0402')
    expect(lines.get('pair-key')).toBe(toHex(await nodeKey.seal(new Uint8Array(12).fill(2), new Uint8Array([4, 2]), new Uint8Array([6]))))
    expect(lines.get('pair-key-altered')).toBe('DecryptionError')
    expect(lines.get('topic')).toBe(await topicFromRoomSecret(secret))
    expect(lines.get('room-key')).toBe(`${(await roomKeyFromSecret(secret)).id} 05`)
    expect(lines.get('client-id')).toBe(String(await clientIdFromPublicKey(alice.publicKey)))
    expect(lines.get('backup')).toBe('true')
    expect(lines.get('y-webrtc')).toBe('{"a":1}')
    expect(lines.get('y-webrtc-garbage')).toBe('DecryptionError')
  }, 90_000)
})
