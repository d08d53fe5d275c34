// The host's own WebRTC (browsers, and any runtime with a global RTCPeerConnection).
// Selected through package.json "imports" (#webrtc) everywhere except Node.
import type { RtcImplementation } from './rtc-implementation.js'

export const platformName = 'native'

export function loadPlatformRtc (): RtcImplementation | string {
  const global = globalThis as { RTCPeerConnection?: RtcImplementation['RTCPeerConnection'] }
  if (typeof global.RTCPeerConnection === 'function') return { RTCPeerConnection: global.RTCPeerConnection }
  return 'this environment has no global RTCPeerConnection'
}
