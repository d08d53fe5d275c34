/**
 * The routing table: what each neighbour advertised for each destination, the feasibility
 * distance per destination, and the route selected from them (a Babel-style distance vector,
 * docs/routing.md). No I/O and no timers: the router feeds it adverts, link costs and the
 * time, and sends what it announces through its events.
 */
import { ObservableV2 } from 'lib0/observable'
import { ROUTE_METRIC_INFINITY, MAX_ROUTE_HOPS, type PeerId } from '@ymesh/protocol'
import { addMetric, betterDistance, isFeasible, seqnoAdd, seqnoNewer, type Distance } from './metric.js'

/** One neighbour's advertised route to a destination. */
interface Advertised {
  readonly neighbour: PeerId
  seqno: number
  metric: number
  hops: number
  refreshedAt: number
}

/** The route this peer uses (and advertises) for a destination. */
export interface SelectedRoute {
  readonly destination: PeerId
  readonly nextHop: PeerId
  readonly seqno: number
  /** Total cost: the next hop's advertised metric plus the link to it. */
  readonly metric: number
  readonly hops: number
}

/** A row of the table for introspection (the demo's network panel). */
export interface RouteInfo {
  readonly destination: PeerId
  readonly nextHop: PeerId | null
  readonly metric: number
  readonly hops: number
  readonly seqno: number
  /** Milliseconds since the selected route was last refreshed by its next hop. */
  readonly ageMs: number
  /** Routes heard from neighbours for this destination, feasible or not. */
  readonly alternatives: number
}

interface DestinationState {
  readonly destination: PeerId
  readonly byNeighbour: Map<PeerId, Advertised>
  selected: SelectedRoute | null
  fd: Distance | undefined
  lastSeenAt: number
  lastRequestAt: number
}

export interface RoutingTableEvents {
  /** The route to `destination` changed; `significant` changes are worth a triggered update. */
  'route-changed': (event: { readonly destination: PeerId, readonly route: SelectedRoute | null, readonly significant: boolean }) => void
  /** No feasible route while a neighbour offers an infeasible one: ask the destination for a newer seqno. */
  'seqno-request': (event: { readonly destination: PeerId, readonly seqno: number, readonly via: PeerId }) => void
  /** This peer's own seqno moved on (it must advertise itself). */
  'self-seqno': (event: { readonly seqno: number }) => void
}

export interface RoutingTableOptions {
  readonly self: PeerId
  readonly initialSeqno: number
  readonly maxRoutes: number
  readonly switchHysteresis: number
  readonly requestIntervalMs: number
  readonly hopCost: number
}

export type UpdateOutcome = 'applied' | 'table-full' | 'unknown-neighbour' | 'self'

export class RoutingTableManager extends ObservableV2<RoutingTableEvents> {
  private readonly destinations = new Map<PeerId, DestinationState>()
  private readonly linkCosts = new Map<PeerId, number>()
  private seqno: number

  constructor (private readonly options: RoutingTableOptions) {
    super()
    this.seqno = options.initialSeqno >>> 0
  }

  get self (): PeerId {
    return this.options.self
  }

  get selfSeqno (): number {
    return this.seqno
  }

  /** Destinations with a selected route. */
  get size (): number {
    let n = 0
    for (const state of this.destinations.values()) if (state.selected !== null) n++
    return n
  }

  /** Destinations tracked, with or without a route (what maxRoutes bounds). */
  get trackedSize (): number {
    return this.destinations.size
  }

  neighbours (): Iterable<PeerId> {
    return this.linkCosts.keys()
  }

  linkCost (neighbour: PeerId): number | undefined {
    return this.linkCosts.get(neighbour)
  }

  setLinkCost (neighbour: PeerId, cost: number, now: number): void {
    const known = this.linkCosts.has(neighbour)
    if (known && this.linkCosts.get(neighbour) === cost) return
    this.linkCosts.set(neighbour, cost)
    if (!known) return
    for (const state of this.destinations.values()) {
      if (state.byNeighbour.has(neighbour)) this.select(state, now)
    }
  }

  removeNeighbour (neighbour: PeerId, now: number): void {
    if (!this.linkCosts.delete(neighbour)) return
    for (const state of this.destinations.values()) {
      if (state.byNeighbour.delete(neighbour)) this.select(state, now)
    }
  }

  /** Applies one neighbour's update for `destination`. */
  applyUpdate (neighbour: PeerId, destination: PeerId, seqno: number, metric: number, hops: number, now: number): UpdateOutcome {
    if (!this.linkCosts.has(neighbour)) return 'unknown-neighbour'
    if (destination === this.options.self) {
      // A neighbour still holds a newer seqno of ours than we do (we restarted): jump past it.
      if (metric < ROUTE_METRIC_INFINITY && seqnoNewer(seqno, this.seqno)) this.bumpSeqno(seqno)
      return 'self'
    }
    let state = this.destinations.get(destination)
    if (state === undefined) {
      if (metric >= ROUTE_METRIC_INFINITY) return 'applied' // a retraction of something we never had
      if (this.destinations.size >= this.options.maxRoutes) return 'table-full'
      state = { destination, byNeighbour: new Map(), selected: null, fd: undefined, lastSeenAt: now, lastRequestAt: -Infinity }
      this.destinations.set(destination, state)
    }
    state.lastSeenAt = now
    if (metric >= ROUTE_METRIC_INFINITY) {
      state.byNeighbour.delete(neighbour)
    } else {
      const entry = state.byNeighbour.get(neighbour)
      if (entry === undefined) {
        state.byNeighbour.set(neighbour, { neighbour, seqno, metric, hops, refreshedAt: now })
      } else {
        entry.seqno = seqno
        entry.metric = metric
        entry.hops = hops
        entry.refreshedAt = now
      }
    }
    this.select(state, now)
    return 'applied'
  }

  /**
   * A seqno request for our own id: advertise at least `seqno`. Returns true when our
   * seqno moved (a triggered update follows through 'self-seqno').
   */
  requestSelfSeqno (seqno: number): boolean {
    if (!seqnoNewer(seqno, this.seqno)) return false
    this.bumpSeqno(seqno)
    return true
  }

  /** Drops routes not refreshed since `now - expiryMs` and forgets idle destinations. */
  expire (now: number, expiryMs: number, sourceGcMs: number): void {
    for (const state of [...this.destinations.values()]) {
      let changed = false
      for (const [neighbour, entry] of state.byNeighbour) {
        if (now - entry.refreshedAt > expiryMs) {
          state.byNeighbour.delete(neighbour)
          changed = true
        }
      }
      if (changed) this.select(state, now)
      if (state.byNeighbour.size === 0 && state.selected === null && now - state.lastSeenAt > sourceGcMs) {
        this.destinations.delete(state.destination)
      }
    }
  }

  /** The selected route, or null. */
  route (destination: PeerId): SelectedRoute | null {
    return this.destinations.get(destination)?.selected ?? null
  }

  /**
   * The next hop for a message that arrived from `arrivedFrom`: the selected route, or,
   * when that points straight back, the best other feasible route (null if none).
   */
  nextHop (destination: PeerId, arrivedFrom: PeerId | null): PeerId | null {
    const state = this.destinations.get(destination)
    if (state === undefined) return null
    const selected = state.selected
    if (selected !== null && selected.nextHop !== arrivedFrom) return selected.nextHop
    const alternative = this.best(state, arrivedFrom)
    return alternative?.neighbour ?? null
  }

  /**
   * Neighbours that advertise a route of their own to `destination` (they could relay to it),
   * of at most `maxHops` hops from them (1: they are connected to it).
   */
  neighboursWithRoute (destination: PeerId, maxHops = Infinity): PeerId[] {
    const state = this.destinations.get(destination)
    if (state === undefined) return []
    const out: PeerId[] = []
    for (const [neighbour, entry] of state.byNeighbour) if (entry.metric < ROUTE_METRIC_INFINITY && entry.hops <= maxHops) out.push(neighbour)
    return out
  }

  /** Every selected route (and our own id, metric 0), for a full advert. */
  * advertisable (): Iterable<{ readonly destination: PeerId, readonly seqno: number, readonly metric: number, readonly hops: number, readonly nextHop: PeerId | null }> {
    yield { destination: this.options.self, seqno: this.seqno, metric: 0, hops: 0, nextHop: null }
    for (const state of this.destinations.values()) {
      const s = state.selected
      if (s !== null) yield { destination: s.destination, seqno: s.seqno, metric: s.metric, hops: s.hops, nextHop: s.nextHop }
    }
  }

  /** What to advertise for one destination right now (a retraction when unreachable). */
  advertisedFor (destination: PeerId): { readonly seqno: number, readonly metric: number, readonly hops: number, readonly nextHop: PeerId | null } {
    if (destination === this.options.self) return { seqno: this.seqno, metric: 0, hops: 0, nextHop: null }
    const state = this.destinations.get(destination)
    const s = state?.selected ?? null
    if (s !== null) return { seqno: s.seqno, metric: s.metric, hops: s.hops, nextHop: s.nextHop }
    return { seqno: state?.fd?.seqno ?? 0, metric: ROUTE_METRIC_INFINITY, hops: 0, nextHop: null }
  }

  routes (now: number): RouteInfo[] {
    const rows: RouteInfo[] = []
    for (const state of this.destinations.values()) {
      const s = state.selected
      const entry = s === null ? undefined : state.byNeighbour.get(s.nextHop)
      rows.push({
        destination: state.destination,
        nextHop: s?.nextHop ?? null,
        metric: s?.metric ?? ROUTE_METRIC_INFINITY,
        hops: s?.hops ?? 0,
        seqno: s?.seqno ?? state.fd?.seqno ?? 0,
        ageMs: entry === undefined ? 0 : now - entry.refreshedAt,
        alternatives: state.byNeighbour.size
      })
    }
    return rows
  }

  clear (): void {
    this.destinations.clear()
    this.linkCosts.clear()
  }

  private bumpSeqno (atLeast: number): void {
    this.seqno = seqnoNewer(atLeast, this.seqno) ? atLeast >>> 0 : seqnoAdd(this.seqno, 1)
    this.emit('self-seqno', [{ seqno: this.seqno }])
  }

  /** The cheapest feasible route, skipping `exclude`. */
  private best (state: DestinationState, exclude: PeerId | null): { neighbour: PeerId, entry: Advertised, total: number } | null {
    let best: { neighbour: PeerId, entry: Advertised, total: number } | null = null
    for (const [neighbour, entry] of state.byNeighbour) {
      if (neighbour === exclude) continue
      const cost = this.linkCosts.get(neighbour)
      if (cost === undefined || !isFeasible(entry, state.fd)) continue
      const total = addMetric(entry.metric, cost)
      if (total >= ROUTE_METRIC_INFINITY) continue
      if (best === null || total < best.total || (total === best.total && neighbour < best.neighbour)) best = { neighbour, entry, total }
    }
    return best
  }

  private select (state: DestinationState, now: number): void {
    const before = state.selected
    let choice = this.best(state, null)
    // Hysteresis: keep the current next hop while it stays feasible and close to the best.
    if (choice !== null && before !== null && choice.neighbour !== before.nextHop) {
      const current = state.byNeighbour.get(before.nextHop)
      const cost = this.linkCosts.get(before.nextHop)
      if (current !== undefined && cost !== undefined && isFeasible(current, state.fd)) {
        const total = addMetric(current.metric, cost)
        const sameSeqno = current.seqno === choice.entry.seqno
        if (sameSeqno && total < ROUTE_METRIC_INFINITY && choice.total >= total * (1 - this.options.switchHysteresis)) {
          choice = { neighbour: before.nextHop, entry: current, total }
        }
      }
    }
    const after: SelectedRoute | null = choice === null
      ? null
      : {
          destination: state.destination,
          nextHop: choice.neighbour,
          seqno: choice.entry.seqno,
          metric: choice.total,
          hops: Math.min(MAX_ROUTE_HOPS, choice.entry.hops + 1)
        }
    state.selected = after
    if (after !== null) state.fd = betterDistance(after, state.fd)
    if (after === null) this.maybeRequest(state, now)
    if (before === null && after === null) return
    if (before !== null && after !== null && before.nextHop === after.nextHop && before.seqno === after.seqno &&
      before.metric === after.metric && before.hops === after.hops) return
    // A new next hop is significant: the old one was told "unreachable" (poisoned reverse) and must hear the truth.
    const significant = before === null || after === null || before.nextHop !== after.nextHop || before.seqno !== after.seqno ||
      before.hops !== after.hops || Math.abs(before.metric - after.metric) >= this.options.hopCost / 2
    this.emit('route-changed', [{ destination: state.destination, route: after, significant }])
  }

  /** Unreachable, but some neighbour offers a route the feasibility condition refuses. */
  private maybeRequest (state: DestinationState, now: number): void {
    if (now - state.lastRequestAt < this.options.requestIntervalMs) return
    let via: Advertised | null = null
    for (const entry of state.byNeighbour.values()) {
      if (entry.metric < ROUTE_METRIC_INFINITY && this.linkCosts.has(entry.neighbour) && (via === null || entry.metric < via.metric)) via = entry
    }
    if (via === null) return
    state.lastRequestAt = now
    const fdSeqno = state.fd?.seqno ?? via.seqno
    this.emit('seqno-request', [{ destination: state.destination, seqno: seqnoAdd(seqnoNewer(via.seqno, fdSeqno) ? via.seqno : fdSeqno, 1), via: via.neighbour }])
  }
}
