import { LEGACY_MAX_FRAME_SIZE } from '@ymesh/protocol'
import type { CreateLinkOptions, PeerId } from '@ymesh/protocol'
import { DuplicatePeerError, NodeCrashedError, UnknownPeerError } from './errors.js'
import { DEFAULT_LINK_PARAMS, LossState, resolveParams } from './link-params.js'
import type { LinkParams } from './link-params.js'
import { PartitionTable, groupRules } from './partitions.js'
import type { Partition } from './partitions.js'
import { SimLink } from './sim-link.js'
import type { Connection, LinkHost, PathState } from './sim-link.js'
import { SimNode } from './sim-node.js'
import type { SimRng } from './sim-rng.js'
import { SimTransport } from './sim-transport.js'
import type { LinkFactory } from './sim-transport.js'
import { Simulator } from './simulator.js'
import type { SimulatorOptions } from './simulator.js'

export interface NetworkOptions extends SimulatorOptions {
  /** Drive this simulator instead of making one (the other simulator options are then ignored). */
  readonly simulator?: Simulator
  /** Parameters of every path without its own (see setLink). */
  readonly link?: Partial<LinkParams>
  /**
   * How long a connection's path may be dead (partition, crashed peer) before both ends
   * close with reason 'timeout' — like SCTP/ICE giving up on a vanished WebRTC peer. Default 10 s.
   */
  readonly deadPathTimeoutMs?: number
  /** Largest message a link accepts. Default 256 KiB, like @roamhq/wrtc. */
  readonly maxMessageSize?: number
  /**
   * false (default): a link hands the receiver the very bytes given to send(), like an
   * in-process channel, because copying each message cost more than everything else a
   * delivery does. The contract: do not write into a buffer after passing it to send(),
   * and treat received messages as read-only (the same bytes may reach several receivers).
   * Every delivery checks a fingerprint of the bytes taken at send() and fails the run with
   * MessageMutatedError when they changed in flight. true: each send() copies into a
   * buffer of the message's own, as a WebRTC data channel does (slower; more memory).
   */
  readonly copyMessages?: boolean
}

class Path implements PathState {
  readonly loss = new LossState()
  epoch = -1
  blockedCache = false
  constructor (readonly from: string, readonly to: string, public params: LinkParams, readonly rng: SimRng) {}
}

/**
 * The simulated network: nodes (one per peer id), directed paths with latency, jitter,
 * bandwidth and loss, partitions, crashes and restarts, and one SimTransport per node.
 */
export class SimNetwork implements LinkHost, LinkFactory {
  readonly sim: Simulator
  readonly deadPathTimeoutMs: number
  readonly maxMessageSize: number
  readonly copyMessages: boolean
  private defaults: LinkParams
  private readonly overrides = new Map<string, Partial<LinkParams>>()
  private readonly paths = new Map<string, Path>()
  private readonly nodes = new Map<string, SimNode>()
  private readonly transports = new Map<string, SimTransport>()
  private readonly tokens = new Map<string, SimLink>()
  private readonly connections = new Set<Connection>()
  private readonly partitions = new PartitionTable()
  private linkCount = 0

  constructor (options: NetworkOptions = {}) {
    this.sim = options.simulator ?? new Simulator(options)
    this.defaults = resolveParams(DEFAULT_LINK_PARAMS, options.link)
    this.deadPathTimeoutMs = options.deadPathTimeoutMs ?? 10_000
    this.maxMessageSize = options.maxMessageSize ?? LEGACY_MAX_FRAME_SIZE
    this.copyMessages = options.copyMessages ?? false
  }

  /** A node for `peer` and its transport. Its clock and rng are `transport.clock` / `transport.rng`. */
  createTransport (peer: PeerId | string): SimTransport {
    const existing = this.nodes.get(peer)
    if (existing !== undefined) {
      if (existing.alive) throw new DuplicatePeerError(peer)
      throw new NodeCrashedError(peer)
    }
    return this.startNode(peer as PeerId, 0, this.nodes.size)
  }

  /** The current incarnation of a node. */
  node (peer: PeerId | string): SimNode {
    const node = this.nodes.get(peer)
    if (node === undefined) throw new UnknownPeerError(peer)
    return node
  }

  /** The transport of a node's current incarnation. */
  transport (peer: PeerId | string): SimTransport {
    return this.transports.get(this.node(peer).id) as SimTransport
  }

  get peers (): PeerId[] {
    return [...this.nodes.keys()] as PeerId[]
  }

  /** Changes the defaults of every path that has no parameters of its own. */
  setDefaultLink (params: Partial<LinkParams>): void {
    this.defaults = resolveParams(this.defaults, params)
    for (const path of this.paths.values()) path.params = this.paramsFor(path.from, path.to)
  }

  /** Sets the parameters of the path from → to (one direction); also on open links. */
  setLink (from: PeerId | string, to: PeerId | string, params: Partial<LinkParams>): void {
    const key = pathKey(from, to)
    const merged = { ...this.overrides.get(key), ...params }
    resolveParams(this.defaults, merged)
    this.overrides.set(key, merged)
    const path = this.paths.get(key)
    if (path !== undefined) path.params = this.paramsFor(from, to)
  }

  /** setLink in both directions. */
  setLinkBetween (a: PeerId | string, b: PeerId | string, params: Partial<LinkParams>): void {
    this.setLink(a, b, params)
    this.setLink(b, a, params)
  }

  /** Two-way partition: nothing passes between side a and side b. */
  partition (a: readonly string[], b: readonly string[]): Partition {
    return this.addPartition('partition', groupRules([a, b]), { a: a.join(','), b: b.join(',') })
  }

  /** One-way partition: traffic from `from` to `to` is lost; the other direction works. */
  partitionOneWay (from: readonly string[], to: readonly string[]): Partition {
    return this.addPartition('partition-one-way', [{ from: new Set(from), to: new Set(to) }], { from: from.join(','), to: to.join(',') })
  }

  /** n-way partition: each group talks only within itself; nodes in no group are unaffected. */
  partitionGroups (groups: readonly (readonly string[])[]): Partition {
    return this.addPartition('partition-groups', groupRules(groups), { groups: groups.map((g) => g.join(',')).join('|') })
  }

  /** Undoes one partition, or all of them. Stalled traffic resumes; links not yet timed out survive. */
  heal (partition?: Partition): void {
    this.partitions.remove(partition)
    if (this.sim.tracing) this.sim.record('heal', '', { all: partition === undefined })
    this.refreshAll()
  }

  /**
   * The node dies without a goodbye: its links go silent (no events on it), its timers stop,
   * and the far ends only notice through the dead-path timeout.
   */
  crash (peer: PeerId | string): void {
    const node = this.node(peer)
    if (!node.alive) return
    node.alive = false
    node.clock.halt()
    for (const link of [...node.links]) link.silence()
    if (this.sim.tracing) this.sim.record('crash', node.id)
    this.refreshAll()
  }

  /** A fresh node under the id of a crashed one: new clock, certificate and links; old links stay dead. */
  restart (peer: PeerId | string): SimTransport {
    const old = this.node(peer)
    if (old.alive) this.crash(peer)
    if (this.sim.tracing) this.sim.record('restart', old.id, { incarnation: old.incarnation + 1 })
    return this.startNode(old.id, old.incarnation + 1, old.index)
  }

  createSimLink (node: SimNode, options: CreateLinkOptions): SimLink {
    const id = `sim-${++this.linkCount}:${node.id}>${options.remotePeer}`
    return new SimLink(id, node, options.remotePeer, options.initiator, this, options.onSignal, this.maxMessageSize)
  }

  registerToken (token: string, link: SimLink): void {
    this.tokens.set(token, link)
  }

  unregisterToken (token: string): void {
    this.tokens.delete(token)
  }

  connect (a: SimLink): void {
    const b = a.remoteToken === null ? undefined : this.tokens.get(a.remoteToken)
    const sim = this.sim
    if (b === undefined || b === a || b.initiator || b.peer !== null || b.remoteToken !== a.token || b.state !== 'connecting') {
      // Nobody answers connectivity checks at that endpoint: ICE gives up eventually.
      a.openEvent = sim.schedule(sim.now + this.deadPathTimeoutMs, iceFail, a, null)
      return
    }
    a.peer = b
    b.peer = a
    a.path = this.path(a.node.id, b.node.id)
    b.path = this.path(b.node.id, a.node.id)
    const connection: Connection = { a, b, deadSince: null, deadCheck: null }
    a.connection = connection
    b.connection = connection
    this.connections.add(connection)
    const there = a.path.params.latencyMs
    b.openEvent = sim.schedule(sim.now + there, fireOpen, this, b)
    a.openEvent = sim.schedule(sim.now + there + b.path.params.latencyMs, fireOpen, this, a)
    this.refresh(connection)
  }

  blocked (from: SimLink): boolean {
    const to = from.peer
    if (to === null || !from.node.alive || !to.node.alive) return true
    if (this.partitions.size === 0) return false
    const path = from.path as Path
    if (path.epoch !== this.partitions.epoch) {
      path.epoch = this.partitions.epoch
      path.blockedCache = this.partitions.blocks(from.node.id, to.node.id)
    }
    return path.blockedCache
  }

  released (link: SimLink): void {
    const connection = link.connection
    if (connection === null || connection.a.state !== 'closed' || connection.b.state !== 'closed') return
    if (connection.deadCheck !== null) this.sim.cancel(connection.deadCheck)
    connection.deadCheck = null
    this.connections.delete(connection)
  }

  lossTimeout (link: SimLink): void {
    if (link.connection !== null) this.sim.schedule(this.sim.now + this.deadPathTimeoutMs, killConnection, link.connection, 'timeout')
  }

  /** @internal Rechecks one connection after a partition, heal or crash. */
  refresh (connection: Connection): void {
    const { a, b } = connection
    const sim = this.sim
    const aDown = this.blocked(a)
    const bDown = this.blocked(b)
    if (aDown || bDown) {
      if (connection.deadSince === null) {
        connection.deadSince = sim.now
        connection.deadCheck = sim.schedule(sim.now + this.deadPathTimeoutMs, checkDead, this, connection)
      }
    } else if (connection.deadSince !== null) {
      connection.deadSince = null
      if (connection.deadCheck !== null) sim.cancel(connection.deadCheck)
      connection.deadCheck = null
    }
    if (!aDown) this.wake(a, b)
    if (!bDown) this.wake(b, a)
  }

  /** @internal */
  deadCheck (connection: Connection): void {
    connection.deadCheck = null
    if (connection.deadSince === null) return
    killConnection(connection, connection.a.state === 'open' || connection.b.state === 'open' ? 'timeout' : 'ice-failed')
  }

  /** @internal */
  tryOpen (link: SimLink): void {
    link.openEvent = null
    if (this.blocked(link) || this.blocked(link.peer as SimLink)) return
    link.openNow()
  }

  private wake (from: SimLink, to: SimLink): void {
    from.resume()
    if (to.state === 'connecting' && to.openEvent === null) {
      to.openEvent = this.sim.schedule(this.sim.now + (from.path as Path).params.latencyMs, fireOpen, this, to)
    }
  }

  private refreshAll (): void {
    for (const connection of [...this.connections]) this.refresh(connection)
  }

  private addPartition (kind: string, rules: Parameters<PartitionTable['add']>[0], details: Record<string, string>): Partition {
    const partition = this.partitions.add(rules)
    if (this.sim.tracing) this.sim.record(kind, '', details)
    this.refreshAll()
    return partition
  }

  private startNode (id: PeerId, incarnation: number, index: number): SimTransport {
    const root = this.sim.rng
    const suffix = incarnation === 0 ? '' : `#${incarnation}`
    const node = new SimNode(id, incarnation, index, this.sim.createClock(), root.fork(`node:${id}${suffix}`), root.fork(`net:${id}${suffix}`))
    this.nodes.set(id, node)
    const transport = new SimTransport(node, this)
    this.transports.set(id, transport)
    return transport
  }

  private path (from: string, to: string): Path {
    const key = pathKey(from, to)
    let path = this.paths.get(key)
    if (path === undefined) {
      path = new Path(from, to, this.paramsFor(from, to), this.sim.rng.fork(`path:${key}`))
      this.paths.set(key, path)
    }
    return path
  }

  private paramsFor (from: string, to: string): LinkParams {
    return resolveParams(this.defaults, this.overrides.get(pathKey(from, to)))
  }
}

function pathKey (from: string, to: string): string {
  return `${from}>${to}`
}

function fireOpen (network: SimNetwork, link: SimLink): void {
  network.tryOpen(link)
}

function iceFail (link: SimLink): void {
  link.openEvent = null
  if (link.state === 'connecting' && link.peer === null) link.closeWith({ reason: 'ice-failed' })
}

function checkDead (network: SimNetwork, connection: Connection): void {
  network.deadCheck(connection)
}

/** The path is gone: both ends close and everything in flight is lost. */
function killConnection (connection: Connection, reason: string): void {
  connection.a.dropQueue()
  connection.b.dropQueue()
  connection.a.closeWith({ reason })
  connection.b.closeWith({ reason })
}
