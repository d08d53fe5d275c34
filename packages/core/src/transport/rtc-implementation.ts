/**
 * The part of the WebRTC API the transport uses. Browsers provide it as globals; in Node
 * @roamhq/wrtc provides it; tests and unusual hosts can inject their own.
 */
export interface RtcImplementation {
  readonly RTCPeerConnection: new (configuration?: RTCConfiguration) => RTCPeerConnection
}
