// The shared transport acceptance suite on real WebRTC (@roamhq/wrtc, host candidates on
// loopback, no STUN). Side a runs in this process; side b runs in a child process, so that
// vanish('b') is a real crash: SIGKILL, no goodbye on the wire.
import { describe, expect, it } from 'vitest'
import type { LinkCloseEvent, PeerId } from '@ymesh/protocol'
import { WebRtcTransport } from '@ymesh/core'
import { describeTransportAcceptance } from '../transport-acceptance/suite.js'
import type { TransportHarness, TransportPair } from '../transport-acceptance/suite.js'
import { spawnRemoteTransport } from '../../packages/core/test/transport/remote-transport.js'

const LOOPBACK = / 127\.0\.0\.1 \d+ typ /
// ICE declares a silent peer failed ~17 s after it stops answering here (FACTS-style measurement in the report).
const WAIT_TIMEOUT_MS = 40_000

const harness: TransportHarness = {
  name: 'webrtc (wrtc, two processes)',
  async createPair (): Promise<TransportPair> {
    const a = new WebRtcTransport({ localPeer: 'alice' as PeerId, candidateFilter: (c) => LOOPBACK.test(c.candidate) })
    const b = await spawnRemoteTransport('bob' as PeerId)
    return {
      a,
      b,
      waitFor: (predicate, what) => new Promise((resolve, reject) => {
        const deadline = Date.now() + WAIT_TIMEOUT_MS
        const check = (): void => {
          if (predicate()) return resolve()
          if (Date.now() > deadline) return reject(new Error(`timed out after ${WAIT_TIMEOUT_MS} ms waiting for ${what}`))
          setTimeout(check, 2)
        }
        check()
      }),
      vanish: async (side) => {
        if (side !== 'b') throw new Error('this harness runs side a in the test process; only b can vanish')
        await b.kill()
      },
      close: async () => {
        a.close()
        await b.shutdown()
      }
    }
  }
}

describeTransportAcceptance(harness)

describe('WebRTC transport: a vanished peer', () => {
  it("closes the survivor's link with reason ice-failed once ICE gives up on the dead peer", async () => {
    const pair = await harness.createPair()
    try {
      const { a, b } = pair
      const remote = b.createLink({ remotePeer: a.localPeer, initiator: false, onSignal: (s) => local.signal(s) })
      const local = a.createLink({ remotePeer: b.localPeer, initiator: true, onSignal: (s) => remote.signal(s) })
      const closes: LinkCloseEvent[] = []
      local.on('close', (event) => closes.push(event))
      await pair.waitFor(() => local.state === 'open' && remote.state === 'open', 'both links open')
      await pair.vanish('b')
      await pair.waitFor(() => local.state === 'closed', 'the survivor to give up')
      expect(closes).toEqual([{ reason: 'ice-failed', error: expect.objectContaining({ name: 'IceFailedError' }) }])
    } finally {
      await pair.close()
    }
  })
})
