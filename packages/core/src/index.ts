export { WebRtcTransport } from './transport/webrtc-transport.js'
export type { WebRtcTransportOptions } from './transport/webrtc-transport.js'
export { WebRtcLink } from './transport/webrtc-link.js'
export type { WebRtcCloseReason } from './transport/webrtc-link.js'
export type { RtcImplementation } from './transport/rtc-implementation.js'
export { createSystemClock } from './transport/system-clock.js'
export {
  WEBRTC_MAX_MESSAGE_SIZE,
  WEBRTC_MAX_BUFFERED_AMOUNT,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_BUFFER_POLL_INTERVAL_MS
} from './transport/limits.js'
export { parseFingerprint, parseMaxMessageSize } from './transport/sdp.js'

export {
  CoreError,
  WebRtcUnavailableError,
  InvalidTransportOptionsError,
  TransportClosedError,
  InvalidSignalError,
  ConnectTimeoutError,
  IceFailedError,
  SendQueueFullError,
  CORE_ERROR_NAMES
} from './errors.js'

export { HandshakeError, InvalidOptionsError, StoppedError } from './errors.js'
export type { HandshakeFailureReason } from './errors.js'
export { createSystemRng } from './system-rng.js'
export { consoleLogger, silentLogger } from './logger.js'
export type { Logger } from './logger.js'
export { MetricsRegistry, Counter, Gauge, Summary } from './metrics/registry.js'
export type { Labels } from './metrics/registry.js'
export { createCoreMetrics } from './metrics/core-metrics.js'
export type { CoreMetrics } from './metrics/core-metrics.js'
export { FrameDispatcher } from './connections/dispatcher.js'
export type { FrameHandler } from './connections/dispatcher.js'
export { Connection } from './connections/connection.js'
export type {
  ConnectionKind,
  ConnectionTuning,
  ConnectionOptions,
  ConnectionCloseEvent,
  ConnectionQuality,
  ConnectionEvents
} from './connections/connection.js'
export { startHandshake, openConnection, DEFAULT_HANDSHAKE_TIMEOUT_MS } from './handshake/handshake.js'
export type { HandshakeOptions, PendingHandshake } from './handshake/handshake.js'
export { HANDSHAKE_SIGNING_DOMAIN, encodeTranscript } from './handshake/transcript.js'
export type { Transcript, TranscriptSide } from './handshake/transcript.js'
export { NeighbourSet } from './connections/neighbours.js'
export type { Neighbours, NeighbourEvents } from './connections/neighbours.js'
export { SignalingClient } from './signaling/client.js'
export type { SignalingClientOptions, SignalingConnector, SignalingChannel, ChannelHandlers } from './signaling/client.js'
export { ServerSignaling } from './signaling/server-signaling.js'
export type { ServerSignalingOptions } from './signaling/server-signaling.js'
export { MemorySignalingHub } from './signaling/memory-hub.js'
export type { MemorySignalingHubOptions, MemorySourceOptions } from './signaling/memory-hub.js'
export { YMESH_SIGNALING_VERSION } from './signaling/types.js'
export type {
  SignalingSource,
  SignalingEvents,
  SignalingAnnounce,
  SignalingSignal,
  SignalPath,
  SignalingStatus,
  SignalingUnreachable,
  JoinOptions,
  SendSignalOptions
} from './signaling/types.js'
export type { WebSocketConstructor, WebSocketLike } from './signaling/websocket.js'
export { decodeRelayMessage, encodeRelayMessage, decodeCapsule, encodeCapsule, CAPSULE_DOMAIN } from './signaling/relay-wire.js'
export type { RelayMessage, Capsule } from './signaling/relay-wire.js'
export type { HybridSignalingOptions, HybridStats } from './signaling/hybrid.js'
export { createPeer, MeshPeer } from './peer.js'
export type { Peer, PeerOptions, PeerEvents, RoomSpec, CapabilityOptions, PeerCapabilities } from './peer.js'
export { MessageRouter } from './routing/message-router.js'
export type {
  RoutedMessage, RoutedMessageHandler, SendOptions as RouterSendOptions, DeliveryReport, RouterEvents, MessageRouterInit
} from './routing/message-router.js'
export { DEFAULT_ROUTER_OPTIONS, resolveRouterOptions } from './routing/options.js'
export type { RouterOptions, ResolvedRouterOptions } from './routing/options.js'
export { DeliveryFailedError } from './routing/errors.js'
export type { DeliveryFailureReason } from './routing/errors.js'
export type { RouteInfo, SelectedRoute } from './routing/routing-table.js'
export { Gossip, GOSSIP_PENALTIES, payloadMessageId } from './gossip/gossip.js'
export type { GossipAuthentication, SubscribeOptions as GossipSubscribeOptions } from './gossip/types.js'
export type { GossipMessage, GossipVerdict, GossipHandler, GossipDropReason, GossipEvents, GossipOptions } from './gossip/gossip.js'
export { GOSSIP_DEFAULTS, resolveGossipTuning } from './gossip/options.js'
export type { GossipTuning, ResolvedGossipTuning } from './gossip/options.js'
export type { GossipMetrics } from './gossip/metrics.js'
export { PeerCapabilityManager } from './capabilities/manager.js'
export type { CapabilityRejectReason, CapabilityEvents, PeerCapabilityManagerOptions } from './capabilities/manager.js'
export { CapabilityAdvertiser } from './capabilities/advertiser.js'
export type { CapabilityAdvertiserOptions } from './capabilities/advertiser.js'
export { PeerRoleClassifier, classifyRecord, DEFAULT_ROLE_THRESHOLDS } from './capabilities/classifier.js'
export type { PeerRole, RoleThresholds, RoleEvents } from './capabilities/classifier.js'
export {
  CAPABILITY_TOPIC, MAX_LOAD, CapabilityRole, encodeCapabilityRecord, decodeCapabilityRecord
} from './capabilities/record.js'
export type { CapabilityFields, CapabilityRecord, CapabilityRoleName } from './capabilities/record.js'
export { MemoryCapabilityStore } from './capabilities/store.js'
export type { CapabilityStore } from './capabilities/store.js'
export {
  resolvePoolOptions,
  planDials,
  planPrunes,
  acceptIncoming,
  glareOursWins,
  backoffDelay,
  connectionValue
} from './connections/pool.js'
export type { PoolOptions, ResolvedPoolOptions, DegreeLimits, Candidate, DialPlanInput, PruneCandidate, GlareAttempt } from './connections/pool.js'
