import { MetricsRegistry, type Counter, type Summary } from './registry.js'

/** Every metric of a peer, created once per peer on its own registry. */
export interface CoreMetrics {
  readonly registry: MetricsRegistry
  readonly handshakeFailures: Counter
  readonly handshakes: Counter
  readonly framesIn: Counter
  readonly framesOut: Counter
  readonly bytesIn: Counter
  readonly bytesOut: Counter
  readonly drops: Counter
  readonly handlerErrors: Counter
  readonly connectionsClosed: Counter
  /** Connections opened, by the path the remote's signals came by: mesh, server or mixed. */
  readonly connectionsOpened: Counter
  readonly signalingDrops: Counter
  readonly glare: Counter
  readonly rtt: Summary
}

export const createCoreMetrics = (registry = new MetricsRegistry()): CoreMetrics => ({
  registry,
  handshakes: registry.counter('ymesh_handshakes_total', 'Completed connection handshakes by connection kind'),
  handshakeFailures: registry.counter('ymesh_handshake_failures_total', 'Connections that did not come up authenticated, by reason'),
  framesIn: registry.counter('ymesh_frames_in_total', 'Frames received (after reassembly) by tag'),
  framesOut: registry.counter('ymesh_frames_out_total', 'Messages sent by tag'),
  bytesIn: registry.counter('ymesh_bytes_in_total', 'Bytes received by tag'),
  bytesOut: registry.counter('ymesh_bytes_out_total', 'Bytes sent by tag'),
  drops: registry.counter('ymesh_drops_total', 'Inbound or outbound messages dropped, by reason'),
  handlerErrors: registry.counter('ymesh_handler_errors_total', 'Frame handlers that threw, by tag'),
  connectionsOpened: registry.counter('ymesh_connections_opened_total', 'Connections opened, by the path the remote\'s signals came by (mesh, server, mixed)'),
  connectionsClosed: registry.counter('ymesh_connections_closed_total', 'Connections closed, by reason'),
  signalingDrops: registry.counter('ymesh_signaling_drops_total', 'Signaling messages dropped, by reason'),
  glare: registry.counter('ymesh_glare_total', 'Simultaneous offers between two peers, resolved to one connection, by which side won'),
  rtt: registry.summary('ymesh_rtt_ms', 'Round-trip times measured with ping frames, milliseconds')
})
