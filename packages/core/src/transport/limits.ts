/**
 * Largest message the WebRTC transport sends, whatever the SDP offers: @roamhq/wrtc closes the
 * channel on a 262,145-byte message and Chromium's SCTP transport announces 262,144 (FACTS.md).
 * Equal to @ymesh/protocol's LEGACY_MAX_FRAME_SIZE, whose reason this is.
 */
export const WEBRTC_MAX_MESSAGE_SIZE = 256 * 1024

/**
 * Largest send queue a link allows. libwebrtc's data channel holds at most 16 MiB; past that
 * @roamhq/wrtc silently drops messages and Chromium closes the channel.
 */
export const WEBRTC_MAX_BUFFERED_AMOUNT = 16 * 1024 * 1024

export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000

/** How often bufferedAmount is read while above the threshold (wrtc fires no bufferedamountlow). */
export const DEFAULT_BUFFER_POLL_INTERVAL_MS = 5

/**
 * How long a closed link waits for its open data channel to finish closing before it closes
 * the peer connection anyway (WebRtcLink.release says why it waits). The close takes about a
 * round trip; the grace only matters when the far side is gone.
 */
export const CHANNEL_CLOSE_GRACE_MS = 2000
