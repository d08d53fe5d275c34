/**
 * The router's metrics, on the peer's registry (created once per registry: a second router
 * on the same registry shares the families, as the registry returns existing ones).
 */
import type { Counter, MetricsRegistry, Summary } from '../metrics/registry.js'

export interface RoutingMetrics {
  /** Envelopes forwarded for others. */
  readonly forwards: Counter
  /** Routed messages and adverts dropped, by reason. */
  readonly drops: Counter
  /** Messages this peer sent (first attempts) and retried. */
  readonly sent: Counter
  readonly retries: Counter
  /** Messages delivered to a local handler. */
  readonly delivered: Counter
  /** Acknowledged sends that succeeded or gave up. */
  readonly acked: Counter
  readonly failed: Counter
  /** Bytes of route-advert frames sent and of route-ack envelopes sent: the routing overhead. */
  readonly overheadBytes: Counter
  /** Acknowledged round trips, milliseconds. */
  readonly ackRtt: Summary
  /** Hop count of the route used for each first attempt. */
  readonly pathHops: Summary
}

export const createRoutingMetrics = (registry: MetricsRegistry): RoutingMetrics => ({
  forwards: registry.counter('ymesh_routing_forwards_total', 'Routed envelopes forwarded for other peers'),
  drops: registry.counter('ymesh_routing_drops_total', 'Routed envelopes and route adverts dropped, by reason'),
  sent: registry.counter('ymesh_routing_sent_total', 'Routed messages sent by this peer (first attempts)'),
  retries: registry.counter('ymesh_routing_retries_total', 'Retries of acknowledged routed messages'),
  delivered: registry.counter('ymesh_routing_delivered_total', 'Routed messages delivered to a local handler'),
  acked: registry.counter('ymesh_routing_acked_total', 'Acknowledged routed messages confirmed by their destination'),
  failed: registry.counter('ymesh_routing_failed_total', 'Acknowledged routed messages given up, by reason'),
  overheadBytes: registry.counter('ymesh_routing_overhead_bytes_total', 'Bytes of routing control traffic sent (adverts, acks), by kind'),
  ackRtt: registry.summary('ymesh_routing_ack_rtt_ms', 'Round trip of acknowledged routed messages, milliseconds'),
  pathHops: registry.summary('ymesh_routing_path_hops', 'Hops of the route each routed message was sent on')
})
