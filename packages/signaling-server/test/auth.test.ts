import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  CloseCode, createEd25519Verifier, createSignalingServer, createToken, generateIssuerKeys, importIssuerPublicKey,
  silentLogger, verifyToken
} from '@ymesh/signaling-server'
import type { Authenticate, SignalingServer } from '@ymesh/signaling-server'
import { TestClient } from './client.js'

let keys: Awaited<ReturnType<typeof generateIssuerKeys>>
let server: SignalingServer | undefined
const clients: TestClient[] = []
const connect = async (query = ''): Promise<TestClient> => {
  const c = await TestClient.connect(`${(server as SignalingServer).url}/${query}`)
  clients.push(c)
  return c
}
const start = async (authenticate: Authenticate, authTimeoutMs?: number): Promise<SignalingServer> => {
  server = createSignalingServer({ port: 0, logger: silentLogger, authenticate, ...(authTimeoutMs === undefined ? {} : { authTimeoutMs }) })
  await server.start()
  return server
}
const token = async (rooms: string[], ttlSeconds = 60, now?: number): Promise<string> =>
  await createToken({ privateKey: keys.privateKey, sub: 'alice', rooms, ttlSeconds, ...(now === undefined ? {} : { now }) })

beforeAll(async () => { keys = await generateIssuerKeys() })
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await server?.stop()
  server = undefined
})

describe('Ed25519 tokens', () => {
  it('verifies a token it issued and returns its claims', async () => {
    const claims = await verifyToken(await token(['room']), keys.publicKey, Date.now() / 1000)
    expect(claims).toMatchObject({ sub: 'alice', rooms: ['room'] })
    expect(claims.exp - claims.iat).toBe(60)
  })

  it('refuses a tampered, foreign-signed, expired, future or malformed token', async () => {
    const now = Date.now() / 1000
    const good = await token(['room'])
    const [body, sig] = good.split('.') as [string, string]
    const forged = Buffer.from(JSON.stringify({ sub: 'alice', rooms: ['*'], iat: 0, exp: 2e9 })).toString('base64url')
    const other = await generateIssuerKeys()
    const cases = [
      `${forged}.${sig}`,
      await createToken({ privateKey: other.privateKey, sub: 'x', rooms: ['room'] }),
      await token(['room'], 10, Math.floor(now) - 100),
      await token(['room'], 3600, Math.floor(now) + 600),
      body, `${body}.${sig}.x`, `${body}.!!!`, 'x'.repeat(9000)
    ]
    for (const t of cases) {
      await expect(verifyToken(t, keys.publicKey, now)).rejects.toMatchObject({ name: 'InvalidTokenError' })
    }
  })

  it('imports the issuer key from base64url and refuses a key of the wrong size', async () => {
    const key = await importIssuerPublicKey(keys.publicKeyBase64url)
    await verifyToken(await token(['r']), key, Date.now() / 1000)
    await expect(importIssuerPublicKey('abc')).rejects.toMatchObject({ name: 'InvalidTokenError' })
  })
})

describe('authenticated server', () => {
  it('accepts a valid token in the URL and refuses a bad or expired one with HTTP 401', async () => {
    const s = await start(createEd25519Verifier({ publicKey: keys.publicKeyBase64url }))
    const a = await connect(`?token=${await token(['room'])}`)
    a.send({ type: 'subscribe', topics: ['room'] })
    a.send({ type: 'publish', topic: 'room', data: 1 })
    await a.next((m) => m.type === 'publish')
    expect(await TestClient.refused(`${s.url}/?token=garbage`)).toBe(401)
    const expired = await token(['room'], 1, Math.floor(Date.now() / 1000) - 3600)
    expect(await TestClient.refused(`${s.url}/?token=${expired}`)).toBe(401)
    expect(s.metrics.rejections.get('unauthorized')).toBe(2)
  })

  it('scopes a token to its rooms: other topics get forbidden-topic errors', async () => {
    await start(createEd25519Verifier({ publicKey: keys.publicKey }))
    const a = await connect(`?token=${await token(['room'])}`)
    a.send({ type: 'subscribe', topics: ['room', 'secret'] })
    expect(await a.next((m) => m.type === 'error')).toMatchObject({ code: 'forbidden-topic', topic: 'secret' })
    a.send({ type: 'publish', topic: 'secret', data: 1 })
    await a.next((m) => m.type === 'error' && m.topic === 'secret', a.messages.length)
    expect(server?.health().topics).toBe(1)
  })

  it('accepts the token as the first message and acknowledges it with auth-ok', async () => {
    await start(createEd25519Verifier({ publicKey: keys.publicKey }))
    const a = await connect()
    a.send({ type: 'auth', token: await token(['*']) })
    expect(await a.next()).toEqual({ type: 'auth-ok' })
    a.send({ type: 'subscribe', topics: ['anything'] })
    a.send({ type: 'publish', topic: 'anything', data: 1 })
    await a.next((m) => m.type === 'publish')
  })

  it('closes with UNAUTHORIZED a connection whose first message is not auth, or whose token is bad', async () => {
    await start(createEd25519Verifier({ publicKey: keys.publicKey }))
    const a = await connect()
    a.send({ type: 'subscribe', topics: ['room'] })
    expect((await a.closed).code).toBe(CloseCode.UNAUTHORIZED)
    const b = await connect()
    b.send({ type: 'auth', token: 'bad' })
    expect((await b.closed).code).toBe(CloseCode.UNAUTHORIZED)
  })

  it('closes with AUTH_TIMEOUT a connection that never authenticates', async () => {
    await start(createEd25519Verifier({ publicKey: keys.publicKey }), 50)
    const a = await connect()
    expect((await a.closed).code).toBe(CloseCode.AUTH_TIMEOUT)
    expect(server?.metrics.rejections.get('auth-timeout')).toBe(1)
  })

  it('treats a throwing hook as a refusal, at the upgrade and in the first message', async () => {
    const hook: Authenticate = () => { throw new Error('database down') }
    const s = await start(hook)
    expect(await TestClient.refused(`${s.url}/?token=x`)).toBe(401)
    const a = await connect()
    a.send({ type: 'auth', token: 'x' })
    expect((await a.closed).code).toBe(CloseCode.UNAUTHORIZED)
  })

  it('passes the token, request and IP to a custom hook', async () => {
    const seen: Array<{ token: string, ip: string, hasRequest: boolean }> = []
    await start(async ({ token, ip, request }) => {
      seen.push({ token, ip, hasRequest: request !== undefined })
      return { ok: token === 'open-sesame' }
    })
    const a = await connect('?token=open-sesame')
    await a.roundTrip()
    expect(seen).toEqual([{ token: 'open-sesame', ip: '127.0.0.1', hasRequest: true }])
  })
})
