import { afterEach, describe, expect, it } from 'vitest'
import wrtc from '@roamhq/wrtc'
import { loadPlatformRtc as loadNative, platformName as nativeName } from '../../src/transport/rtc-native.js'
import { loadPlatformRtc as loadNode, platformName as nodeName } from '../../src/transport/rtc-node.js'

describe('picking the WebRTC implementation', () => {
  const global = globalThis as { RTCPeerConnection?: unknown }
  afterEach(() => { delete global.RTCPeerConnection })

  it('in Node, @roamhq/wrtc (what package.json "#webrtc" selects under the node condition)', async () => {
    const found = loadNode()
    expect(nodeName).toBe('node')
    expect(typeof found === 'object' && found.RTCPeerConnection).toBe(wrtc.RTCPeerConnection)
    // The transport's own module resolves #webrtc to the Node file here.
    const { platformName } = await import('#webrtc')
    expect(platformName).toBe('node')
  })

  it('elsewhere, the global RTCPeerConnection, or a reason why there is none', () => {
    expect(nativeName).toBe('native')
    expect(loadNative()).toMatch(/no global RTCPeerConnection/)
    global.RTCPeerConnection = wrtc.RTCPeerConnection
    const found = loadNative()
    expect(typeof found === 'object' && found.RTCPeerConnection).toBe(wrtc.RTCPeerConnection)
  })
})
