import type { Counter, MetricsRegistry } from '../metrics/registry.js'

export interface GossipMetrics {
  /** Envelopes received, kind = first | duplicate (first: not seen before, before verification). */
  readonly messages: Counter
  /** Envelopes sent, kind = eager | pulled. */
  readonly sent: Counter
  readonly drops: Counter
  readonly prunes: Counter
  readonly grafts: Counter
  readonly idsAnnounced: Counter
  readonly idsWanted: Counter
  readonly handlerErrors: Counter
}

export const createGossipMetrics = (registry: MetricsRegistry): GossipMetrics => ({
  messages: registry.counter('ymesh_gossip_messages_total', 'Gossip envelopes received, by kind (first, duplicate)'),
  sent: registry.counter('ymesh_gossip_sent_total', 'Gossip envelopes sent, by kind (eager push, pulled on request)'),
  drops: registry.counter('ymesh_gossip_drops_total', 'Gossip frames or messages dropped, by reason'),
  prunes: registry.counter('ymesh_gossip_prunes_total', 'Eager links turned lazy after a duplicate'),
  grafts: registry.counter('ymesh_gossip_grafts_total', 'Lazy links turned eager to repair a gap'),
  idsAnnounced: registry.counter('ymesh_gossip_ihave_ids_total', 'Message ids announced in IHAVE frames'),
  idsWanted: registry.counter('ymesh_gossip_iwant_ids_total', 'Message ids requested in IWANT frames'),
  handlerErrors: registry.counter('ymesh_gossip_handler_errors_total', 'Gossip subscribers that threw')
})
