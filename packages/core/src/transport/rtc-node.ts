// Node's WebRTC: @roamhq/wrtc, loaded on first use so that importing @ymesh/core (e.g. to run
// on the simulator) does not load a native addon. Selected through package.json "imports"
// (#webrtc, condition "node"); browser builds get rtc-native.ts and never see wrtc.
import { createRequire } from 'node:module'
import type { RtcImplementation } from './rtc-implementation.js'

export const platformName = 'node'

export function loadPlatformRtc (): RtcImplementation | string {
  const global = globalThis as { RTCPeerConnection?: RtcImplementation['RTCPeerConnection'] }
  try {
    const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as RtcImplementation
    return wrtc
  } catch (err) {
    // A host that has its own (Deno, Bun with a polyfill) still works without wrtc.
    if (typeof global.RTCPeerConnection === 'function') return { RTCPeerConnection: global.RTCPeerConnection }
    return `@roamhq/wrtc could not be loaded: ${(err as Error).message}`
  }
}
