import type { Metrics } from './metrics.js'
import type { Outbox, Receiver } from './outbox.js'

/** A connection as the hub sees it: a receiver with its subscriptions. */
export interface Subscriber extends Receiver {
  /** topic -> the peerId announced for it (ymesh extension) or undefined. */
  readonly topics: Map<string, string | undefined>
}

interface Topic {
  readonly subscribers: Set<Subscriber>
  /** Subscribers that announced a peerId, for addressed delivery. */
  readonly peers: Map<string, Set<Subscriber>>
  /** Subscribers that asked for quiet: no broadcasts from ymesh clients unless marked `all`. */
  readonly quiet: Set<Subscriber>
}

/** Local topics and delivery to their subscribers. */
export class Hub {
  private readonly topics = new Map<string, Topic>()

  constructor (
    private readonly outbox: Outbox,
    private readonly metrics: Metrics,
    private readonly maxTopics: number,
    /** Told when a topic gains its first or loses its last local subscriber (Redis follows it). */
    private readonly onTopicChange: (topic: string, active: boolean) => void
  ) {}

  get topicCount (): number {
    return this.topics.size
  }

  subscriberCount (topic: string): number {
    return this.topics.get(topic)?.subscribers.size ?? 0
  }

  /**
   * Subscribes; false when a new topic would exceed maxTopics. `quiet` takes effect for a
   * subscriber with a peerId in the topic (it must stay addressable); see deliver.
   */
  subscribe (s: Subscriber, name: string, peerId: string | undefined, quiet = false): boolean {
    let t = this.topics.get(name)
    if (t === undefined) {
      if (this.topics.size >= this.maxTopics) return false
      t = { subscribers: new Set(), peers: new Map(), quiet: new Set() }
      this.topics.set(name, t)
      this.onTopicChange(name, true)
    }
    const previous = s.topics.get(name)
    if (previous !== undefined && peerId !== undefined && previous !== peerId) this.removePeer(t, previous, s)
    t.subscribers.add(s)
    if (peerId !== undefined) {
      let set = t.peers.get(peerId)
      if (set === undefined) t.peers.set(peerId, (set = new Set()))
      set.add(s)
    }
    // A plain re-subscribe keeps an announced peerId: stock clients re-subscribe on reconnect only.
    s.topics.set(name, peerId ?? previous)
    if (quiet && (peerId ?? previous) !== undefined) t.quiet.add(s)
    else t.quiet.delete(s)
    return true
  }

  unsubscribe (s: Subscriber, name: string): void {
    const t = this.topics.get(name)
    const peerId = s.topics.get(name)
    s.topics.delete(name)
    if (t === undefined) return
    t.subscribers.delete(s)
    t.quiet.delete(s)
    if (peerId !== undefined) this.removePeer(t, peerId, s)
    if (t.subscribers.size === 0) {
      this.topics.delete(name)
      this.onTopicChange(name, false)
    }
  }

  removeSubscriber (s: Subscriber): void {
    for (const name of [...s.topics.keys()]) this.unsubscribe(s, name)
  }

  /** All topics with local subscribers (to re-subscribe on Redis after a reconnect). */
  topicNames (): IterableIterator<string> {
    return this.topics.keys()
  }

  /**
   * Whether a broadcast by `sender` on `topic` skips the quiet subscribers: it comes from a
   * ymesh client (subscribed to the topic with a peerId) and is not marked `all`. Stock
   * clients' broadcasts reach everyone: y-webrtc peers signal by broadcast.
   */
  skipsQuiet (sender: Subscriber, topic: string, all: boolean): boolean {
    return !all && sender.topics.get(topic) !== undefined
  }

  /**
   * Delivers a publish to the local subscribers of `topic` (only those that announced `to`,
   * when given; a broadcast with `skipQuiet` leaves out the quiet ones). y-webrtc's server
   * echoes a publish to its sender too, and its client drops it (its own `from`): one wasted
   * message per broadcast. A `sender` that subscribed to the topic with a peerId (a ymesh
   * client, which drops its own publishes the same way) gets no echo; every other client keeps
   * y-webrtc's behaviour. Serializes once; returns the number of receivers.
   */
  deliver (topic: string, data: unknown, to: string | undefined, sender?: Subscriber, skipQuiet = false): number {
    const t = this.topics.get(topic)
    if (t === undefined) return 0
    const all = to === undefined ? t.subscribers : t.peers.get(to)
    if (all === undefined || all.size === 0) return 0
    const skip = sender !== undefined && sender.topics.get(topic) !== undefined && all.has(sender)
    const quiet = to === undefined && skipQuiet && t.quiet.size > 0
    const receivers = skip || quiet ? new Set([...all].filter((r) => r !== (skip ? sender : undefined) && !(quiet && t.quiet.has(r)))) : all
    if (receivers.size === 0) return 0
    // Field order as y-webrtc's server produces it (it adds `clients` to the message it got).
    const message = to === undefined
      ? { type: 'publish', topic, data, clients: t.subscribers.size }
      : { type: 'publish', topic, data, to, clients: t.subscribers.size }
    const frame = Buffer.from(JSON.stringify(message))
    for (const r of receivers) this.outbox.enqueue(r, frame)
    this.metrics.countOut('publish', frame.length, receivers.size)
    return receivers.size
  }

  private removePeer (t: Topic, peerId: string, s: Subscriber): void {
    const set = t.peers.get(peerId)
    if (set === undefined) return
    set.delete(s)
    if (set.size === 0) t.peers.delete(peerId)
  }
}
