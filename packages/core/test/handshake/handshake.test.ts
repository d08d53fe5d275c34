import { describe, expect, it } from 'vitest'
import { decodeFrame, encodeFrame, encodeHello, Tag, type Link, type PeerId, type SignalData } from '@ymesh/protocol'
import type { Identity } from '@ymesh/crypto'
import type { HandshakeError } from '@ymesh/core'
import { testSeed } from '../../../../test/helpers/seed.js'
import { both, handshakeOn, identityFor, makeKit, network, wire, type Kit } from '../helpers/sim-kit.js'

const reasonOf = (result: PromiseSettledResult<unknown>): string | null =>
  result.status === 'rejected' ? (result.reason as HandshakeError).reason : null

/** Records every message a link receives. */
const tap = (link: Link): Uint8Array[] => {
  const seen: Uint8Array[] = []
  link.on('message', (data) => { seen.push(data.slice()) })
  return seen
}

const onOpen = (link: Link, fn: () => void): void => { link.on('open', fn) }

/** A kit whose identity claims `claim` but signs with its own key. */
const forged = (identity: Identity, claim: PeerId): Identity => ({ ...identity, peerId: claim })

const editFingerprint = (signal: SignalData): SignalData => {
  if (signal.type !== 'offer' && signal.type !== 'answer') return signal
  return { ...signal, sdp: signal.sdp.replace(/a=fingerprint:sha-256 ([0-9A-F:]+)/, 'a=fingerprint:sha-256 ' + '00:'.repeat(31) + '00') }
}

describe('authenticated handshake', () => {
  it('authenticates both sides and negotiates the version', async () => {
    const net = network(testSeed())
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const { la, lb } = wire(a, b)
    const [ra, rb] = await both(net, handshakeOn(a, la).promise, handshakeOn(b, lb).promise)
    expect(ra.status).toBe('fulfilled')
    expect(rb.status).toBe('fulfilled')
    if (ra.status !== 'fulfilled' || rb.status !== 'fulfilled') return
    expect(ra.value.kind).toBe('ymesh')
    expect(ra.value.remotePeer).toBe(b.identity.peerId)
    expect(rb.value.remotePeer).toBe(a.identity.peerId)
    expect(ra.value.version).toBe(1)
    expect(a.metrics.handshakes.get({ kind: 'ymesh' })).toBe(1)
  })

  it('rejects a proof made with a key other than the one the claimed id encodes', async () => {
    const net = network(testSeed())
    const alice = await makeKit(net, 'a')
    const bob = await identityFor(net, 'b')
    const mallory = await identityFor(net, 'm')
    // Mallory's transport answers as bob (signaling says bob), and her hello claims bob.
    const m: Kit = { ...(await makeKit(net, 'm', forged(mallory, bob.peerId))) }
    const { la, lb } = wire(alice, m)
    const [ra] = await both(net, handshakeOn(alice, la).promise, handshakeOn(m, lb).promise)
    expect(reasonOf(ra)).toBe('bad-signature')
    expect(alice.metrics.handshakeFailures.get({ reason: 'bad-signature' })).toBe(1)
  })

  it('ends the connection when the claimed id is not a ymesh id (not derived from a key)', async () => {
    const net = network(testSeed())
    const alice = await makeKit(net, 'a')
    const uuid = '0b6e4f9e-6d9a-4a4e-9d37-2f1c3c6a9b10' as PeerId
    const m = await makeKit(net, 'm', forged(await identityFor(net, 'm'), uuid))
    const { la, lb } = wire(alice, m)
    const [ra] = await both(net, handshakeOn(alice, la).promise, handshakeOn(m, lb).promise)
    expect(reasonOf(ra)).toBe('invalid-peer-id')
  })

  it('ends the connection when the proven id is not the one signaling announced', async () => {
    const net = network(testSeed())
    const alice = await makeKit(net, 'a')
    const mallory = await identityFor(net, 'm')
    const bob = await identityFor(net, 'b')
    // Signaling routes "bob" to mallory, who proves her own identity honestly.
    const m = await makeKit(net, 'm', mallory)
    const lb = m.transport.createLink({ remotePeer: alice.identity.peerId, initiator: false, onSignal: (s) => { la.signal(s) } })
    const la = alice.transport.createLink({ remotePeer: bob.peerId, initiator: true, onSignal: (s) => { lb.signal(s) } })
    const [ra] = await both(net, handshakeOn(alice, la).promise, handshakeOn(m, lb).promise)
    expect(reasonOf(ra)).toBe('peer-mismatch')
  })

  it('rejects a proof replayed from an earlier handshake', async () => {
    const net = network(testSeed())
    const alice = await makeKit(net, 'a')
    const bob = await makeKit(net, 'b')
    const first = wire(alice, bob)
    const recorded = tap(first.la)
    const [r1, r2] = await both(net, handshakeOn(alice, first.la).promise, handshakeOn(bob, first.lb).promise)
    expect(r1.status === 'fulfilled' && r2.status === 'fulfilled').toBe(true)
    const hello = recorded.find((m) => decodeFrame(m).tag === Tag.Hello) as Uint8Array
    const proof = recorded.find((m) => decodeFrame(m).tag === Tag.HelloProof) as Uint8Array
    // Second session: bob's side is a replayer that sends the recorded frames.
    const second = wire(alice, bob)
    onOpen(second.lb, () => { second.lb.send(hello); second.lb.send(proof) })
    const pa = handshakeOn(alice, second.la).promise
    const [ra] = await both(net, pa, Promise.resolve())
    expect(reasonOf(ra)).toBe('bad-signature')
  })

  it('rejects its own hello reflected back', async () => {
    const net = network(testSeed())
    const alice = await makeKit(net, 'a')
    const bob = await makeKit(net, 'b')
    const { la, lb } = wire(alice, bob)
    lb.on('message', (data) => { lb.send(data.slice()) })
    const [ra] = await both(net, handshakeOn(alice, la).promise, Promise.resolve())
    expect(reasonOf(ra)).toBe('reflected')
  })

  it('fails on both sides when they share no protocol version', async () => {
    const net = network(testSeed())
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const { la, lb } = wire(a, b)
    const [ra, rb] = await both(net, handshakeOn(a, la).promise, handshakeOn(b, lb, { versions: [2] }).promise)
    expect(reasonOf(ra)).toBe('version-mismatch')
    expect(reasonOf(rb)).toBe('version-mismatch')
  })

  it('times out when the remote never completes it, and closes the link', async () => {
    const net = network(testSeed())
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const { la } = wire(a, b)
    const start = net.sim.now
    const [ra] = await both(net, handshakeOn(a, la, { timeoutMs: 5_000 }).promise, Promise.resolve())
    expect(reasonOf(ra)).toBe('timeout')
    expect(net.sim.now - start).toBeLessThanOrEqual(5_000)
    expect(la.state).toBe('closed')
  })

  it('fails with link-closed when the link closes mid-handshake, and aborted on abort()', async () => {
    const net = network(testSeed())
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const first = wire(a, b)
    onOpen(first.lb, () => { first.lb.close() })
    const [r1] = await both(net, handshakeOn(a, first.la).promise, Promise.resolve())
    expect(reasonOf(r1)).toBe('link-closed')
    const second = wire(a, b)
    const pending = handshakeOn(a, second.la)
    pending.abort()
    const [r2] = await both(net, pending.promise, Promise.resolve())
    expect(reasonOf(r2)).toBe('aborted')
    expect(second.la.state).toBe('closed')
  })

  it('rejects a malformed hello and a frame out of order', async () => {
    const net = network(testSeed())
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const first = wire(a, b)
    onOpen(first.lb, () => { first.lb.send(encodeFrame(Tag.Hello, new Uint8Array([1, 2, 3]))) })
    const [r1] = await both(net, handshakeOn(a, first.la).promise, Promise.resolve())
    expect(reasonOf(r1)).toBe('bad-hello')
    const second = wire(a, b)
    onOpen(second.lb, () => {
      second.lb.send(encodeFrame(Tag.Hello, encodeHello({ versions: [1], nonce: new Uint8Array(32).fill(7), peerId: b.identity.peerId, signature: new Uint8Array(0) })))
      second.lb.send(encodeFrame(Tag.Ping, new Uint8Array([0])))
    })
    const [r2] = await both(net, handshakeOn(a, second.la).promise, Promise.resolve())
    expect(reasonOf(r2)).toBe('unexpected-frame')
  })

  it('is detected when a signaling path edits the DTLS fingerprint in a description', async () => {
    const net = network(testSeed())
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const { la, lb } = wire(a, b, (signal, from) => from === 'a' ? editFingerprint(signal) : signal)
    const [ra, rb] = await both(net, handshakeOn(a, la).promise, handshakeOn(b, lb).promise)
    expect(ra.status).toBe('rejected')
    expect(rb.status).toBe('rejected')
    const failures = a.metrics.handshakeFailures.get({ reason: 'bad-signature' }) + b.metrics.handshakeFailures.get({ reason: 'bad-signature' })
    expect(failures).toBeGreaterThanOrEqual(1)
  })

  it('is detected when a signaling path swaps the fingerprints of both descriptions', async () => {
    const net = network(testSeed())
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const mitmFingerprint = (n: number): string => 'sha-256 ' + Array.from({ length: 32 }, () => n.toString(16).toUpperCase().padStart(2, '0')).join(':')
    // A relaying MITM gives each side its own certificate's fingerprint in place of the other's.
    const { la, lb } = wire(a, b, (signal, from) => signal.type === 'candidate'
      ? signal
      : { ...signal, sdp: signal.sdp.replace(/a=fingerprint:[^\r\n]+/, `a=fingerprint:${mitmFingerprint(from === 'a' ? 0xaa : 0xbb)}`) })
    const [ra, rb] = await both(net, handshakeOn(a, la).promise, handshakeOn(b, lb).promise)
    expect(reasonOf(ra)).toBe('bad-signature')
    expect(reasonOf(rb)).toBe('bad-signature')
  })
})

describe('stock y-webrtc peers', () => {
  const syncStep1 = encodeFrame(Tag.Sync, new Uint8Array([0, 1, 0]))

  it('become a y-webrtc connection when they speak y-webrtc first and signaling did not say ymesh', async () => {
    const net = network(testSeed())
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const { la, lb } = wire(a, b)
    const toStock = tap(lb)
    const received: number[] = []
    a.dispatcher.handle(Tag.Sync, (frame) => { received.push(frame.tag) })
    onOpen(lb, () => { lb.send(syncStep1) })
    const [ra] = await both(net, handshakeOn(a, la, { remoteIsYmesh: false, room: 'room-1' }).promise, Promise.resolve())
    expect(ra.status).toBe('fulfilled')
    if (ra.status !== 'fulfilled') return
    expect(ra.value.kind).toBe('y-webrtc')
    expect(ra.value.room).toBe('room-1')
    expect(ra.value.version).toBe(0)
    expect(received).toEqual([Tag.Sync]) // the stock peer's first message is not lost
    expect(toStock).toEqual([]) // no hello to a stock peer
    ra.value.close()
  })

  it('are refused (never a downgrade) when signaling said the remote is a ymesh peer', async () => {
    const net = network(testSeed())
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const { la, lb } = wire(a, b)
    onOpen(lb, () => { lb.send(syncStep1) })
    const [ra] = await both(net, handshakeOn(a, la, { remoteIsYmesh: true }).promise, Promise.resolve())
    expect(reasonOf(ra)).toBe('downgrade-refused')
  })

  it('are refused when acceptStockPeers is false', async () => {
    const net = network(testSeed())
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const { la, lb } = wire(a, b)
    onOpen(lb, () => { lb.send(syncStep1) })
    const [ra] = await both(net, handshakeOn(a, la, { remoteIsYmesh: false, acceptStockPeers: false }).promise, Promise.resolve())
    expect(reasonOf(ra)).toBe('unexpected-frame')
  })

  it('a ymesh remote that signaling did not mark still gets the full handshake when it says hello', async () => {
    const net = network(testSeed())
    const [a, b] = [await makeKit(net, 'a'), await makeKit(net, 'b')]
    const { la, lb } = wire(a, b)
    const [ra, rb] = await both(net, handshakeOn(a, la, { remoteIsYmesh: false }).promise, handshakeOn(b, lb).promise)
    expect(ra.status === 'fulfilled' && ra.value.kind).toBe('ymesh')
    expect(rb.status === 'fulfilled' && rb.value.kind).toBe('ymesh')
  })
})
