/**
 * The routing control plane: route adverts to and from neighbours. A full table to each
 * neighbour when it comes up and every updateIntervalMs, triggered updates (batched for
 * triggeredDelayMs) when a route changes significantly, seqno requests when the feasibility
 * condition blocks every route, link costs refreshed from connection quality, and expiry.
 *
 * Adverts come from authenticated neighbours only, but are still untrusted: malformed ones,
 * bursts over the per-neighbour rate and destinations past maxRoutes are counted drops.
 */
import {
  decodeRouteAdvert, encodeRouteAdvert, MAX_ROUTE_ADVERT_ITEMS, ROUTE_METRIC_INFINITY, Tag,
  type Clock, type Frame, type PeerId, type RouteAdvertItem, type RouteRef, type Rng, type Timer
} from '@ymesh/protocol'
import type { Connection } from '../connections/connection.js'
import type { FrameDispatcher } from '../connections/dispatcher.js'
import type { Neighbours } from '../connections/neighbours.js'
import type { Logger } from '../logger.js'
import { seqnoNewer } from './metric.js'
import type { ResolvedRouterOptions } from './options.js'
import type { RouteOptimizer } from './route-optimizer.js'
import type { RoutingMetrics } from './routing-metrics.js'
import type { RoutingTableManager } from './routing-table.js'
import { SeenCache } from './seen-cache.js'
import { TokenBucket } from './token-bucket.js'

interface NeighbourState {
  readonly connection: Connection
  readonly onRtt: (event: { readonly rttMs: number }) => void
  /** Destinations we named on this connection, and their indices. */
  readonly dictOut: Map<PeerId, number>
  /** Destinations the neighbour named, by index. */
  dictIn: PeerId[]
  readonly bucket: TokenBucket
}

export interface RouteExchangeDeps {
  readonly table: RoutingTableManager
  readonly optimizer: RouteOptimizer
  readonly neighbours: Neighbours
  readonly dispatcher: FrameDispatcher
  readonly clock: Clock
  readonly rng: Rng
  readonly metrics: RoutingMetrics
  readonly logger: Logger
  readonly options: ResolvedRouterOptions
}

class AdvertError extends Error {
  constructor (readonly reason: string, message: string) {
    super(message)
  }
}

export class RouteExchange {
  private readonly states = new Map<PeerId, NeighbourState>()
  /** Destinations whose change every neighbour must hear about. */
  private readonly triggered = new Set<PeerId>()
  /** Destinations one neighbour asked about. */
  private readonly unicast = new Map<PeerId, Set<PeerId>>()
  private readonly requestsSeen: SeenCache
  private flushTimer: Timer | null = null
  private periodicTimer: Timer | null = null
  private costTimer: Timer | null = null
  private expiryTimer: Timer | null = null
  private unregister: (() => void) | null = null
  private readonly disposers: Array<() => void> = []

  constructor (private readonly deps: RouteExchangeDeps) {
    this.requestsSeen = new SeenCache(deps.options.requestIntervalMs * 2, 4096)
  }

  start (): void {
    const { dispatcher, neighbours, table, clock, options } = this.deps
    this.unregister = dispatcher.handle(Tag.RouteAdvert, (frame, connection) => { this.receive(frame, connection) })
    const up = neighbours.on('neighbour-up', ({ connection }) => { this.neighbourUp(connection) })
    const down = neighbours.on('neighbour-down', ({ connection }) => { this.neighbourDown(connection) })
    const changed = table.on('route-changed', ({ destination, significant }) => { if (significant) this.trigger(destination) })
    const request = table.on('seqno-request', ({ destination, seqno, via }) => {
      this.sendRequest(via, destination, seqno, options.requestHopLimit)
    })
    const self = table.on('self-seqno', () => { this.trigger(table.self) })
    this.disposers.push(
      () => { neighbours.off('neighbour-up', up) },
      () => { neighbours.off('neighbour-down', down) },
      () => { table.off('route-changed', changed) },
      () => { table.off('seqno-request', request) },
      () => { table.off('self-seqno', self) }
    )
    for (const connection of neighbours.all()) this.neighbourUp(connection)
    this.schedulePeriodic()
    this.costTimer = clock.setInterval(() => { this.refreshCosts() }, options.costIntervalMs)
    this.expiryTimer = clock.setInterval(() => {
      table.expire(clock.now(), options.routeExpiryMs, options.sourceGcMs)
    }, Math.min(options.updateIntervalMs, options.routeExpiryMs / 4))
  }

  stop (): void {
    const clock = this.deps.clock
    this.unregister?.()
    this.unregister = null
    for (const dispose of this.disposers.splice(0)) dispose()
    for (const timer of [this.flushTimer, this.periodicTimer]) if (timer !== null) clock.clearTimeout(timer)
    for (const timer of [this.costTimer, this.expiryTimer]) if (timer !== null) clock.clearInterval(timer)
    this.flushTimer = this.periodicTimer = this.costTimer = this.expiryTimer = null
    for (const state of this.states.values()) state.connection.off('rtt', state.onRtt)
    this.states.clear()
    this.deps.optimizer.clear()
    this.triggered.clear()
    this.unicast.clear()
    this.requestsSeen.clear()
  }

  private neighbourUp (connection: Connection): void {
    const { table, optimizer, clock, options } = this.deps
    const peer = connection.remotePeer
    const now = clock.now()
    const onRtt = ({ rttMs }: { readonly rttMs: number }): void => { optimizer.observeRtt(peer, rttMs, clock.now()) }
    connection.on('rtt', onRtt)
    this.states.set(peer, {
      connection,
      onRtt,
      dictOut: new Map(),
      dictIn: [],
      bucket: new TokenBucket(options.advertItemsPerSecond, options.advertBurst, now)
    })
    table.setLinkCost(peer, optimizer.cost(peer, connection.quality, now), now)
    this.sendFull(peer)
  }

  private neighbourDown (connection: Connection): void {
    const peer = connection.remotePeer
    const state = this.states.get(peer)
    if (state?.connection !== connection) return
    connection.off('rtt', state.onRtt)
    this.states.delete(peer)
    this.unicast.delete(peer)
    this.deps.optimizer.forget(peer)
    this.deps.table.removeNeighbour(peer, this.deps.clock.now())
  }

  private refreshCosts (): void {
    const { table, optimizer, clock } = this.deps
    const now = clock.now()
    for (const [peer, state] of this.states) table.setLinkCost(peer, optimizer.cost(peer, state.connection.quality, now), now)
  }

  private schedulePeriodic (): void {
    const interval = this.deps.options.updateIntervalMs
    // Jitter keeps neighbours from synchronising their dumps (Floyd & Jacobson 1994).
    this.periodicTimer = this.deps.clock.setTimeout(() => {
      for (const peer of this.states.keys()) this.sendFull(peer)
      this.schedulePeriodic()
    }, interval * (0.75 + this.deps.rng.float() * 0.25))
  }

  private trigger (destination: PeerId): void {
    this.triggered.add(destination)
    this.scheduleFlush()
  }

  private scheduleFlush (): void {
    if (this.flushTimer !== null) return
    this.flushTimer = this.deps.clock.setTimeout(() => {
      this.flushTimer = null
      this.flush()
    }, this.deps.options.triggeredDelayMs)
  }

  private flush (): void {
    const destinations = [...this.triggered]
    this.triggered.clear()
    for (const peer of this.states.keys()) {
      const extra = this.unicast.get(peer)
      const list = extra === undefined ? destinations : [...new Set([...destinations, ...extra])]
      if (list.length > 0) this.sendUpdates(peer, list)
    }
    this.unicast.clear()
  }

  private sendFull (peer: PeerId): void {
    const items: Array<{ destination: PeerId, seqno: number, metric: number, hops: number, nextHop: PeerId | null }> = []
    for (const route of this.deps.table.advertisable()) items.push(route)
    this.sendItems(peer, items.map((route) => this.updateItem(peer, route.destination, route)), 'full')
  }

  private sendUpdates (peer: PeerId, destinations: readonly PeerId[]): void {
    const table = this.deps.table
    this.sendItems(peer, destinations.map((destination) => this.updateItem(peer, destination, table.advertisedFor(destination))), 'triggered')
  }

  /** Poisoned reverse: a route through `peer` is advertised to `peer` as unreachable. */
  private updateItem (peer: PeerId, destination: PeerId, route: { seqno: number, metric: number, hops: number, nextHop: PeerId | null }): PendingItem {
    const metric = route.nextHop === peer || destination === peer ? ROUTE_METRIC_INFINITY : route.metric
    return { kind: 'update', destination, seqno: route.seqno, metric, hops: route.hops }
  }

  private sendRequest (peer: PeerId, destination: PeerId, seqno: number, hopLimit: number): void {
    this.sendItems(peer, [{ kind: 'seqno-request', destination, seqno, hopLimit }], 'request')
  }

  private sendItems (peer: PeerId, pending: readonly PendingItem[], why: 'full' | 'triggered' | 'request'): void {
    const state = this.states.get(peer)
    if (state === undefined || pending.length === 0) return
    const { metrics, options } = this.deps
    let items: RouteAdvertItem[] = []
    const send = (): void => {
      if (items.length === 0) return
      const payload = encodeRouteAdvert(items)
      items = []
      if (state.connection.send(Tag.RouteAdvert, payload)) metrics.overheadBytes.inc({ kind: 'advert', why }, payload.length + 1)
      else metrics.drops.inc({ reason: 'advert-send-failed' })
    }
    for (const item of pending) {
      if (items.length >= MAX_ROUTE_ADVERT_ITEMS - 1) send()
      let dest: RouteRef
      const index = state.dictOut.get(item.destination)
      if (index !== undefined) {
        dest = { index }
      } else {
        if (state.dictOut.size >= options.maxDictionarySize) {
          items.push({ kind: 'reset' })
          state.dictOut.clear()
        }
        state.dictOut.set(item.destination, state.dictOut.size)
        dest = { define: item.destination }
      }
      items.push(item.kind === 'update'
        ? { kind: 'update', dest, seqno: item.seqno, metric: item.metric, hops: item.hops }
        : { kind: 'seqno-request', dest, seqno: item.seqno, hopLimit: item.hopLimit })
    }
    send()
  }

  private receive (frame: Frame, connection: Connection): void {
    const { metrics, logger, clock } = this.deps
    const peer = connection.remotePeer
    const state = this.states.get(peer)
    if (state === undefined || state.connection !== connection) {
      metrics.drops.inc({ reason: 'advert-from-non-neighbour' })
      return
    }
    let items: RouteAdvertItem[]
    try {
      items = decodeRouteAdvert(frame.payload)
    } catch (error) {
      metrics.drops.inc({ reason: 'malformed-advert' })
      logger.warn('dropped a malformed route advert', { remotePeer: peer, error })
      return
    }
    const now = clock.now()
    // Over the rate, updates are ignored but the dictionary is still followed, or every later advert would be misread.
    const allowed = state.bucket.take(items.length, now)
    if (!allowed) metrics.drops.inc({ reason: 'advert-rate-limited' }, items.length)
    try {
      for (const item of items) {
        if (item.kind === 'reset') {
          state.dictIn = []
          continue
        }
        const destination = this.resolve(state, item.dest)
        if (!allowed) continue
        if (item.kind === 'update') {
          const outcome = this.deps.table.applyUpdate(peer, destination, item.seqno, item.metric, item.hops, now)
          if (outcome === 'table-full') metrics.drops.inc({ reason: 'table-full' })
        } else {
          this.onRequest(peer, destination, item.seqno, item.hopLimit, now)
        }
      }
    } catch (error) {
      if (!(error instanceof AdvertError)) throw error
      metrics.drops.inc({ reason: error.reason })
      logger.warn('dropped the rest of a route advert', { remotePeer: peer, reason: error.reason, error: error.message })
    }
  }

  private resolve (state: NeighbourState, ref: RouteRef): PeerId {
    if ('define' in ref) {
      if (state.dictIn.length >= this.deps.options.maxDictionarySize) {
        throw new AdvertError('advert-dictionary-overflow', `the neighbour named more than ${this.deps.options.maxDictionarySize} destinations without a reset`)
      }
      state.dictIn.push(ref.define)
      return ref.define
    }
    const destination = state.dictIn[ref.index]
    if (destination === undefined) throw new AdvertError('advert-unknown-index', `dictionary index ${ref.index} was never defined`)
    return destination
  }

  private onRequest (from: PeerId, destination: PeerId, seqno: number, hopLimit: number, now: number): void {
    const table = this.deps.table
    if (destination === table.self) {
      // requestSelfSeqno triggers an update to everyone when our seqno moves; else answer the asker.
      if (!table.requestSelfSeqno(seqno)) this.answer(from, destination)
      return
    }
    const route = table.route(destination)
    if (route !== null && !seqnoNewer(seqno, route.seqno)) {
      this.answer(from, destination)
      return
    }
    if (hopLimit <= 1 || this.requestsSeen.checkAndAdd(`${destination}:${seqno}`, now)) return
    const next = table.nextHop(destination, from)
    if (next !== null) this.sendRequest(next, destination, seqno, hopLimit - 1)
  }

  private answer (peer: PeerId, destination: PeerId): void {
    let set = this.unicast.get(peer)
    if (set === undefined) this.unicast.set(peer, set = new Set())
    set.add(destination)
    this.scheduleFlush()
  }
}

type PendingItem =
  | { readonly kind: 'update', readonly destination: PeerId, readonly seqno: number, readonly metric: number, readonly hops: number }
  | { readonly kind: 'seqno-request', readonly destination: PeerId, readonly seqno: number, readonly hopLimit: number }
