// Bundled by browser.test.ts and run in headless Chromium: the same source, on the
// browser's WebCrypto. Resolves globalThis.ymeshCryptoSmoke to one "name value" line per check.
import * as c from '@ymesh/crypto'

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
const fromHex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16))

const run = async (): Promise<string[]> => {
  const out: string[] = []
  const alice = await c.generateIdentity({ seed: fromHex('421151a459faeade3d247115f94aedae42318124095afabe4d1451a559faedee') })
  const bob = await c.generateIdentity()
  out.push(`peer-id ${alice.peerId}`)
  out.push(`x25519-public ${hex(alice.agreementPublicKey)}`)
  const sig = await c.sign(alice, 'd', new Uint8Array([1, 2]))
  out.push(`signature ${hex(sig)}`)
  out.push(`verify ${await c.verify(alice.peerId, 'd', new Uint8Array([1, 2]), sig)} ${await c.verify(alice.peerId, 'e', new Uint8Array([1, 2]), sig)}`)
  out.push(`verify-non-point ${await c.verify(fromHex('02'.padEnd(64, '0')), 'd', new Uint8Array([1, 2]), sig)}`)
  out.push(`seal ${hex(await c.openSealed(bob, 'd', await c.sealTo(bob.peerId, 'd', new Uint8Array([9, 9]))))}`)
  const injected = await c.sealTo(alice.peerId, 'd', new Uint8Array([7]), { random: (n) => new Uint8Array(n).fill(3) })
  out.push(`seal-injected ${hex(injected)}`)
  out.push(`seal-wrong-recipient ${await c.openSealed(bob, 'd', injected).catch((e: Error) => e.name)}`)
  // A pair key on the browser's WebCrypto, with a fixed peer: Node's node:crypto backend must agree.
  const carol = await c.generateIdentity({ seed: new Uint8Array(32).fill(5) })
  const pairKey = await c.derivePairKey(alice.agreementKey, carol.agreementPublicKey, new Uint8Array([1]))
  out.push(`pair-key ${hex(await pairKey.seal(new Uint8Array(12).fill(2), new Uint8Array([4, 2]), new Uint8Array([6])))}`)
  out.push(`pair-key-altered ${await pairKey.open(new Uint8Array(12).fill(2), new Uint8Array(18), new Uint8Array([6])).catch((e: Error) => e.name)}`)
  const secret = new Uint8Array(16).fill(7)
  out.push(`topic ${await c.topicFromRoomSecret(secret)}`)
  const roomKey = await c.roomKeyFromSecret(secret)
  out.push(`room-key ${roomKey.id} ${hex(await c.openWithRoomKey(roomKey, 'x', await c.sealWithRoomKey(roomKey, 'x', new Uint8Array([5]))))}`)
  out.push(`client-id ${await c.clientIdFromPublicKey(alice.publicKey)}`)
  const backup = await c.exportIdentityEncrypted(alice, 'pw', { iterations: c.MIN_BACKUP_ITERATIONS })
  out.push(`backup ${(await c.importIdentityEncrypted(backup, 'pw')).peerId === alice.peerId}`)
  const yKey = await c.deriveYWebrtcKey('pw', 'room')
  out.push(`y-webrtc ${JSON.stringify(await c.decryptYWebrtcJson(await c.encryptYWebrtcJson({ a: 1 }, yKey), yKey))}`)
  out.push(`y-webrtc-garbage ${await c.decryptYWebrtc(new Uint8Array([1, 2, 3]), yKey).catch((e: Error) => e.name)}`)
  return out
}

// The test driver reads this global through the DevTools protocol.
declare global {
  var ymeshCryptoSmoke: Promise<string> | undefined
}
globalThis.ymeshCryptoSmoke = run().then(
  (lines) => ['DONE', ...lines].join('\n'),
  (err: Error) => `FAILED ${err.name}: ${err.message}`
)
