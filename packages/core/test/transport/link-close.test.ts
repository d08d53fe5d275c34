// How a link closes its WebRTC objects: channel first, peer connection once the channel has
// closed. With @roamhq/wrtc, closing the peer connection at once closes the far side's channel
// abruptly, which can crash the far process inside a send() (WebRtcLink.release says how).
import { afterEach, describe, expect, it } from 'vitest'
import type { RtcImplementation } from '@ymesh/core'
import { ManualClock, next, openPair, peer, rtc, transport, wiredPair } from './helpers.js'

/** Real wrtc, recording the state of the connection's data channels whenever close() is called on the connection. */
function watchedRtc (): { rtc: RtcImplementation, closes: string[][], closed: Promise<void> } {
  const closes: string[][] = []
  let resolve: () => void = () => {}
  const closed = new Promise<void>((r) => { resolve = r })
  class Watched extends rtc.RTCPeerConnection {
    private readonly channels: RTCDataChannel[] = []
    override createDataChannel (label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, init)
      this.channels.push(channel)
      return channel
    }

    override close (): void {
      closes.push(this.channels.map((c) => c.readyState))
      super.close()
      resolve()
    }
  }
  return { rtc: { RTCPeerConnection: Watched }, closes, closed }
}

describe('WebRtcLink close (real wrtc on loopback)', () => {
  const cleanup: Array<() => void> = []
  afterEach(() => { for (const fn of cleanup.splice(0)) fn() })

  it('closes the peer connection only once its open data channel has closed, and leaves no timer behind', async () => {
    const clock = new ManualClock()
    const watched = watchedRtc()
    const pair = await openPair({ clock, rtc: watched.rtc }, { clock })
    cleanup.push(() => pair.close())
    pair.a.close()
    expect(pair.a.state).toBe('closed')
    expect(watched.closes).toEqual([])
    expect(clock.pending).toBe(1) // the grace period
    await watched.closed
    expect(watched.closes).toEqual([['closed']])
    expect(clock.pending).toBe(0)
  })

  it('closes the peer connection after the grace period if the channel has not closed by then', async () => {
    const clock = new ManualClock()
    const watched = watchedRtc()
    const pair = await openPair({ clock, rtc: watched.rtc }, { clock })
    cleanup.push(() => pair.close())
    pair.a.close()
    expect(watched.closes).toEqual([])
    clock.advance(60_000) // synchronously, so before the channel's close event can come
    expect(watched.closes).toHaveLength(1)
    expect(clock.pending).toBe(0)
    await next(pair.b, 'close')
  })

  it('an answering side closed before its channel reached JS closes that channel when it comes, then the connection', async () => {
    const log: string[] = []
    let deliver: () => void = () => {}
    let held: () => void = () => {}
    const channelHeld = new Promise<void>((resolve) => { held = resolve })
    let closed: () => void = () => {}
    const pcClosed = new Promise<void>((resolve) => { closed = resolve })
    // Holds the 'datachannel' event back, as a busy event loop does, and records close().
    class Late extends rtc.RTCPeerConnection {
      override dispatchEvent (event: Event): boolean {
        if (event.type !== 'datachannel') return super.dispatchEvent(event)
        deliver = () => { log.push('datachannel'); super.dispatchEvent(event) }
        log.push('datachannel held')
        held()
        return true
      }

      override close (): void {
        log.push('pc.close')
        super.close()
        closed()
      }
    }
    const pair = wiredPair({}, { rtc: { RTCPeerConnection: Late } })
    cleanup.push(() => pair.close())
    await Promise.all([next(pair.a, 'open'), channelHeld])
    const farClosed = next(pair.a, 'close')
    pair.b.close()
    expect(log).toEqual(['datachannel held']) // the connection is up: not closed yet
    deliver()
    await Promise.all([farClosed, pcClosed])
    expect(log).toEqual(['datachannel held', 'datachannel', 'pc.close'])
  })

  it('a link that never opened closes its peer connection at once', () => {
    const clock = new ManualClock()
    const watched = watchedRtc()
    const t = transport('solo', { clock, rtc: watched.rtc })
    cleanup.push(() => t.close())
    const link = t.createLink({ remotePeer: peer('nobody'), initiator: true, onSignal: () => {} })
    link.close()
    expect(watched.closes).toHaveLength(1) // synchronously: nothing can be sending on the far side
    expect(clock.pending).toBe(0)
  })
})
