// @ymesh/crypto against node:crypto doing the same operations in the same process.
// node:crypto is the baseline only: the package itself runs on WebCrypto so that one code
// path serves Node and browsers. Progress on stderr, one markdown section on stdout.
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject
} from 'node:crypto'
import {
  ed25519PublicKeyToX25519,
  ed25519SeedToX25519PrivateKey,
  generateIdentity,
  generateRoomKey,
  openSealed,
  openWithRoomKey,
  sealTo,
  sealWithRoomKey,
  sign,
  signedMessage,
  verify
} from '@ymesh/crypto'

const MEASURE_MS = Number(process.env.BENCH_MS ?? 1500)

const ROUNDS = 10

interface Rates<K extends string> {
  /** Best round's ops per second, per op. */
  best: Record<K, number>
  /** Median over rounds of a/b measured in the same round: robust to load that drifts. */
  ratio: (a: K, b: K) => number
  /** Median over rounds of the extra time per call of a over b, in µs. */
  overhead: (a: K, b: K) => number
}

/**
 * Ops per second of each of `ops`, run back to back (each awaited). The ops take turns in
 * ROUNDS short rounds: the machine is shared, and this way a burst of someone else's load
 * skews neither side of a comparison more than the other.
 */
const rates = async <K extends string>(label: string, ops: Record<K, () => unknown>): Promise<Rates<K>> => {
  const names = Object.keys(ops) as K[]
  const rounds = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>
  for (const n of names) {
    const warmEnd = performance.now() + MEASURE_MS / 10
    while (performance.now() < warmEnd) await ops[n]()
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const n of names) {
      let count = 0
      const start = performance.now()
      let now = start
      while (now - start < MEASURE_MS / ROUNDS) {
        for (let i = 0; i < 10; i++) await ops[n]()
        count += 10
        now = performance.now()
      }
      rounds[n].push((count * 1000) / (now - start))
    }
  }
  const best = Object.fromEntries(names.map((n) => [n, Math.max(...rounds[n])])) as Record<K, number>
  const median = (values: number[]): number => {
    const r = [...values].sort((x, y) => x - y)
    return (r[Math.floor((r.length - 1) / 2)]! + r[Math.ceil((r.length - 1) / 2)]!) / 2
  }
  const ratio = (a: K, b: K): number => median(rounds[a].map((x, i) => x / rounds[b][i]!))
  const overhead = (a: K, b: K): number => median(rounds[a].map((x, i) => 1e6 / x - 1e6 / rounds[b][i]!))
  process.stderr.write(`${label}: ${names.map((n) => `${n} ${Math.round(best[n])}/s`).join(', ')}\n`)
  return { best, ratio, overhead }
}

const der = (prefix: string, raw: Uint8Array): Buffer => Buffer.concat([Buffer.from(prefix, 'hex'), raw])
const ED25519_PKCS8 = '302e020100300506032b657004220420'
const X25519_PKCS8 = '302e020100300506032b656e04220420'
const X25519_SPKI = '302a300506032b656e032100'
const ED25519_SPKI = '302a300506032b6570032100'

const seed = randomBytes(32)
const identity = await generateIdentity({ seed })
const domain = 'ymesh/bench'
const message = randomBytes(256)

// --- signatures ----------------------------------------------------------------------
const nodePrivate = createPrivateKey({ key: der(ED25519_PKCS8, seed), format: 'der', type: 'pkcs8' })
const nodePublic = createPublicKey({ key: der(ED25519_SPKI, identity.publicKey), format: 'der', type: 'spki' })
const signed = signedMessage(domain, message)
const signature = await sign(identity, domain, message)
if (!nodeVerify(null, signed, nodePublic, signature)) throw new Error('node:crypto does not accept our signature')

const subtle = globalThis.crypto.subtle
const signing = await rates('sign', {
  ours: () => sign(identity, domain, message),
  web: () => subtle.sign('Ed25519', identity.signingKey, signed),
  node: () => nodeSign(null, signed, nodePrivate)
})
const verifying = await rates('verify', {
  ours: () => verify(identity.peerId, domain, message, signature),
  // verify() starts from the peer id, so the raw baseline imports the key each time too.
  web: async () => subtle.verify('Ed25519', await subtle.importKey('raw', identity.publicKey, { name: 'Ed25519' }, false, ['verify']), signature, signed),
  node: () => nodeVerify(null, signed, createPublicKey({ key: der(ED25519_SPKI, identity.publicKey), format: 'der', type: 'spki' }), signature)
})

// --- sealing to one recipient ----------------------------------------------------------
// Baseline: the same construction with node:crypto (fresh X25519 ephemeral, ECDH,
// HKDF-SHA-256, AES-256-GCM), given the recipient's X25519 key already converted.
const recipientX = createPublicKey({ key: der(X25519_SPKI, ed25519PublicKeyToX25519(identity.publicKey)), format: 'der', type: 'spki' })
const recipientXPrivate = createPrivateKey({ key: der(X25519_PKCS8, await ed25519SeedToX25519PrivateKey(seed)), format: 'der', type: 'pkcs8' })
const info = (ephemeral: Uint8Array): Buffer => Buffer.concat([Buffer.from(`ymesh-seal/v1${String.fromCharCode(domain.length)}${domain}`), ephemeral, identity.publicKey])
const aad = Buffer.from(`\x01${String.fromCharCode(domain.length)}${domain}`)
const nodeSeal = (plaintext: Uint8Array): Buffer => {
  const ephemeral = generateKeyPairSync('x25519')
  const ephemeralPublic = ephemeral.publicKey.export({ format: 'der', type: 'spki' }).subarray(12)
  const key = Buffer.from(hkdfSync('sha256', diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipientX }), Buffer.alloc(0), info(ephemeralPublic), 32))
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad)
  return Buffer.concat([Buffer.of(1), ephemeralPublic, iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
}
const nodeOpen = (sealed: Buffer): Buffer => {
  const ephemeralPublic = sealed.subarray(1, 33)
  const publicKey: KeyObject = createPublicKey({ key: der(X25519_SPKI, ephemeralPublic), format: 'der', type: 'spki' })
  const key = Buffer.from(hkdfSync('sha256', diffieHellman({ privateKey: recipientXPrivate, publicKey }), Buffer.alloc(0), info(ephemeralPublic), 32))
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(33, 45)).setAAD(aad)
  decipher.setAuthTag(sealed.subarray(sealed.length - 16))
  return Buffer.concat([decipher.update(sealed.subarray(45, sealed.length - 16)), decipher.final()])
}

// The constructions agree byte for byte: node:crypto opens ours and we open node:crypto's.
const probe = randomBytes(100)
if (!nodeOpen(Buffer.from(await sealTo(identity.peerId, domain, probe))).equals(probe)) throw new Error('node:crypto cannot open sealTo output')
if (!Buffer.from(await openSealed(identity, domain, nodeSeal(probe))).equals(probe)) throw new Error('openSealed cannot open the node:crypto baseline')

const converting = await rates('Ed25519→X25519 public key conversion', { convert: () => ed25519PublicKeyToX25519(identity.publicKey) })

// --- report rows, measured as they are printed ------------------------------------------
interface Row {
  name: string
  measured: Rates<'ours' | 'node'> | Rates<'ours' | 'web' | 'node'>
  hasWeb: boolean
  bytes?: number
  target: string
  met?: (best: Record<string, number>, extraMicros: number) => boolean
}
// What this package adds to the WebCrypto calls it wraps (encoding, checks, copies).
const OVERHEAD_TARGET_US = 10
const overheadTarget = { target: `≤ ${OVERHEAD_TARGET_US} µs over WebCrypto`, met: (_: Record<string, number>, extra: number) => extra <= OVERHEAD_TARGET_US }
const rows: Row[] = []
rows.push({ name: 'Ed25519 sign (domain-separated)', measured: signing, hasWeb: true, ...overheadTarget })
rows.push({ name: 'Ed25519 verify (from peer id)', measured: verifying, hasWeb: true, ...overheadTarget })

const roomKey = await generateRoomKey()
const rawRoomKey = Buffer.from(await crypto.subtle.exportKey('raw', roomKey.key))
const nodeRoomSeal = (plaintext: Uint8Array): Buffer => {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', rawRoomKey, iv).setAAD(aad)
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
}
const nodeRoomOpen = (sealed: Buffer): Buffer => {
  const decipher = createDecipheriv('aes-256-gcm', rawRoomKey, sealed.subarray(0, 12)).setAAD(aad)
  decipher.setAuthTag(sealed.subarray(sealed.length - 16))
  return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()])
}

const sealTarget = { target: '≥ 500/s', met: (best: Record<string, number>) => best.ours! >= 500 }
const roomRows: Row[] = []
for (const [size, bytes] of [['1 KiB', 1024], ['16 KiB', 16384]] as const) {
  const plaintext = randomBytes(bytes)
  const sealed = await sealTo(identity.peerId, domain, plaintext)
  const nodeSealed = nodeSeal(plaintext)
  rows.push({ name: `sealTo ${size}`, bytes, hasWeb: false, ...sealTarget, measured: await rates(`seal ${size}`, {
    ours: () => sealTo(identity.peerId, domain, plaintext),
    node: () => nodeSeal(plaintext)
  }) })
  rows.push({ name: `openSealed ${size}`, bytes, hasWeb: false, ...sealTarget, measured: await rates(`open ${size}`, {
    ours: () => openSealed(identity, domain, sealed),
    node: () => nodeOpen(nodeSealed)
  }) })

  // Room sealing carries document traffic: for small messages what matters is our overhead
  // over the AES-GCM call, for 16 KiB frames throughput.
  const roomTarget = bytes >= 16384
    ? { target: '≥ 100 MB/s', met: (best: Record<string, number>) => (best.ours! * bytes) / 1e6 >= 100 }
    : overheadTarget
  const roomSealed = await sealWithRoomKey(roomKey, domain, plaintext)
  const nodeRoomSealed = nodeRoomSeal(plaintext)
  const webIv = randomBytes(12)
  const webSealed = await subtle.encrypt({ name: 'AES-GCM', iv: webIv, additionalData: aad }, roomKey.key, plaintext)
  roomRows.push({ name: `sealWithRoomKey ${size}`, bytes, hasWeb: true, ...roomTarget, measured: await rates(`room seal ${size}`, {
    ours: () => sealWithRoomKey(roomKey, domain, plaintext),
    web: () => subtle.encrypt({ name: 'AES-GCM', iv: randomBytes(12), additionalData: aad }, roomKey.key, plaintext),
    node: () => nodeRoomSeal(plaintext)
  }) })
  roomRows.push({ name: `openWithRoomKey ${size}`, bytes, hasWeb: true, ...roomTarget, measured: await rates(`room open ${size}`, {
    ours: () => openWithRoomKey(roomKey, domain, roomSealed),
    web: () => subtle.decrypt({ name: 'AES-GCM', iv: webIv, additionalData: aad }, roomKey.key, webSealed),
    node: () => nodeRoomOpen(nodeRoomSealed)
  }) })
}
rows.push(...roomRows)

// --- report ----------------------------------------------------------------------------
// Targets. Our own overhead is what this package controls: the domain-separated
// operations may add at most 10 µs per call to the raw WebCrypto calls they wrap (for
// verify: importing the key, as verify() starts from a peer id, and verifying) — an
// absolute bound, as a fixed cost weighs most on the smallest operations. Sealing to a peer
// is per signaling or routed message — tens per second per peer — so ≥ 500/s per core
// leaves ample room. Room sealing carries document traffic: ≥ 100 MB/s at 16 KiB.
// node:crypto is the native reference (FACTS.md: WebCrypto ~0.8× for Ed25519, ~0.4× for
// AES-GCM 16 KiB).
const k = (n: number): string => n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n >= 1000 ? `${(n / 1000).toFixed(2)}k` : n.toFixed(0)
const pct = (r: number): string => `${(r * 100).toFixed(0)}%`
const lines: string[] = []
lines.push('## Crypto (@ymesh/crypto on WebCrypto vs raw WebCrypto and node:crypto)')
lines.push('')
lines.push(`Operations run back to back (each awaited), one process, same keys and bytes, in ${ROUNDS} interleaved rounds:`)
lines.push('rates are the best round, ratios and added time the median over rounds of same-round comparisons. Baselines: the raw WebCrypto calls each')
lines.push('function wraps, and node:crypto doing the same construction (synchronously). Signed message: 256 bytes.')
lines.push('')
lines.push('| operation | @ymesh/crypto | raw WebCrypto | node:crypto | vs WebCrypto | added per call | vs node | target | status |')
lines.push('|---|---|---|---|---|---|---|---|---|')
for (const r of rows) {
  const m = r.measured as Rates<'ours' | 'web' | 'node'>
  const fmt = (n: number): string => r.bytes === undefined ? `${k(n)}/s` : `${k(n)}/s (${((n * r.bytes) / 1e6).toFixed(0)} MB/s)`
  const extra = r.hasWeb ? m.overhead('ours', 'web') : Number.NaN
  const ok = r.met?.(m.best, extra)
  lines.push(`| ${r.name} | ${fmt(m.best.ours)} | ${r.hasWeb ? fmt(m.best.web) : '—'} | ${fmt(m.best.node)} | ${r.hasWeb ? pct(m.ratio('ours', 'web')) : '—'} | ${r.hasWeb ? `${extra.toFixed(1)} µs` : '—'} | ${pct(m.ratio('ours', 'node'))} | ${r.target} | ${ok === undefined ? '—' : ok ? 'met' : '**not met**'} |`)
}
lines.push(`| Ed25519→X25519 public key (BigInt, inside every sealTo) | ${k(converting.best.convert)}/s | — | — | — | — | — | — | — |`)
lines.push('')
lines.push('The node:crypto seal baseline is given the recipient\'s X25519 key ready-made; sealTo converts and validates it')
lines.push('from the peer id each time (last row), as neither WebCrypto nor node:crypto has that conversion. The two seal')
lines.push('constructions open each other\'s output (checked before timing).')
process.stdout.write(lines.join('\n') + '\n')
