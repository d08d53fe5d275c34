/**
 * The connection manager's decisions, kept apart from the Peer's wiring so each can be
 * tested on its own: which candidates to dial, whether to accept an incoming connection,
 * which connections to prune, and how long to back off after a failure.
 *
 * Degrees count per room: a ymesh connection serves every room both ends are in.
 */
import type { PeerId, Rng } from '@ymesh/protocol'
import { InvalidOptionsError } from '../errors.js'
import type { ConnectionQuality } from './connection.js'

export interface DegreeLimits {
  /** Below this the room is under-connected and reconnects with backoff. Default 4. */
  readonly low: number
  /** What the pool dials up to. Default 6. */
  readonly target: number
  /** Incoming connections are refused at this degree, and connections beyond it pruned. Default 8. */
  readonly high: number
}

export interface PoolOptions {
  /** Most connections in total, all rooms together. Default 64. */
  readonly maxConnections?: number
  readonly degree?: Partial<DegreeLimits>
  /** Independent neighbours per room whenever that many peers exist (raises low and target if needed). Default 3. */
  readonly redundancy?: number
  /** Peers always dialed when present, accepted over the limits, and never pruned. */
  readonly anchors?: readonly PeerId[]
  /** A dial not authenticated by then is abandoned (link open + handshake). Default 10 000 ms. */
  readonly connectTimeoutMs?: number
  /**
   * A dial that heard nothing back from the remote (no answer, no refusal) by then is abandoned
   * as a failure: the remote is gone, and the slot goes to another candidate. Default 5 000 ms.
   */
  readonly answerTimeoutMs?: number
  /** Backoff after a failure: min × 2^failures, capped at max, times a jitter in [0.5, 1.5). Default 1 000 / 60 000 ms. */
  readonly backoffMinMs?: number
  readonly backoffMaxMs?: number
  /** After this many failures in a row a candidate is forgotten until it announces again. Default 4. */
  readonly maxFailures?: number
  /** How often the pool reviews every room. Default 1 000 ms. */
  readonly maintenanceIntervalMs?: number
  /**
   * A newcomer whose announce this peer answered is accepted over `high` (up to maxConnections)
   * for this long, and its link is not pruned meanwhile: members at their limit must still make
   * room for a peer below `low`. Default 12 000 ms.
   */
  readonly welcomeMs?: number
}

export interface ResolvedPoolOptions {
  readonly maxConnections: number
  readonly degree: DegreeLimits
  readonly redundancy: number
  readonly anchors: ReadonlySet<PeerId>
  readonly connectTimeoutMs: number
  readonly answerTimeoutMs: number
  readonly backoffMinMs: number
  readonly backoffMaxMs: number
  readonly maxFailures: number
  readonly maintenanceIntervalMs: number
  readonly welcomeMs: number
}

export const resolvePoolOptions = (options: PoolOptions = {}): ResolvedPoolOptions => {
  const redundancy = options.redundancy ?? 3
  const low = Math.max(options.degree?.low ?? 4, redundancy)
  const target = Math.max(options.degree?.target ?? 6, low)
  const high = options.degree?.high ?? Math.max(8, target)
  const resolved: ResolvedPoolOptions = {
    maxConnections: options.maxConnections ?? 64,
    degree: { low, target, high },
    redundancy,
    anchors: new Set(options.anchors ?? []),
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    answerTimeoutMs: options.answerTimeoutMs ?? 5_000,
    backoffMinMs: options.backoffMinMs ?? 1_000,
    backoffMaxMs: options.backoffMaxMs ?? 60_000,
    maxFailures: options.maxFailures ?? 4,
    maintenanceIntervalMs: options.maintenanceIntervalMs ?? 1_000,
    welcomeMs: options.welcomeMs ?? 12_000
  }
  const positive = (n: number): boolean => Number.isFinite(n) && n > 0
  if (!(Number.isInteger(redundancy) && redundancy >= 1)) throw new InvalidOptionsError(`pool.redundancy must be an integer ≥ 1, not ${redundancy}`)
  if (!(high >= target)) throw new InvalidOptionsError(`pool.degree must satisfy low ≤ target ≤ high (with low ≥ redundancy); got ${low}/${target}/${high}`)
  if (!(resolved.maxConnections >= high)) throw new InvalidOptionsError(`pool.maxConnections (${resolved.maxConnections}) must be at least degree.high (${high})`)
  for (const key of ['connectTimeoutMs', 'backoffMinMs', 'backoffMaxMs', 'maintenanceIntervalMs', 'maxFailures', 'welcomeMs', 'answerTimeoutMs'] as const) {
    if (!positive(resolved[key])) throw new InvalidOptionsError(`pool.${key} must be a positive number, not ${resolved[key]}`)
  }
  return resolved
}

export interface Candidate {
  readonly peer: PeerId
  readonly ymesh: boolean
  failures: number
  /** Clock time before which it is not dialed (backoff). */
  notBefore: number
}

/** Delay before the next attempt after `failures` failures in a row. */
export const backoffDelay = (options: ResolvedPoolOptions, failures: number, rng: Rng): number =>
  Math.min(options.backoffMaxMs, options.backoffMinMs * 2 ** Math.max(0, Math.min(failures - 1, 30))) * (0.5 + rng.float())

export interface DialPlanInput {
  readonly candidates: Iterable<Candidate>
  /** Peers with a connection or an attempt in progress (never dialed twice). */
  readonly busy: ReadonlySet<PeerId>
  /** Connections and attempts counting towards this room. */
  readonly degree: number
  /** Connections and attempts in total. */
  readonly total: number
  readonly now: number
  /** Open (authenticated) connections counting towards this room; default `degree`. */
  readonly open?: number
  /**
   * Preference among candidates, lower first (ties in random order): e.g. how stale the last
   * first-hand sighting of a member is, so members a neighbour is connected to now are dialed
   * before ones that may have crashed. Default: no preference. A rank below 0 marks a
   * candidate known reachable right now (it answered our announce through the server): while the
   * room is below `low` it is dialed even when attempts in flight fill `high`, since those may be
   * stuck behind a relay that crashed.
   */
  readonly rank?: (peer: PeerId) => number
  /**
   * Dials beyond `target` while the room has fewer than `low` open connections, within `high`
   * (a hedge: the slowest of several attempts no longer sets the time to `low`). Default 0.
   */
  readonly spare?: number
}

/**
 * Whom to dial for one room: anchors first, then random candidates (best `rank` first), up to the target degree.
 * A room whose open connections are below `low` does not wait for attempts still in flight (a
 * candidate that crashed holds its attempt until connectTimeoutMs): it dials up to `low - open`
 * more, never beyond `high` connections and attempts together.
 */
export const planDials = (options: ResolvedPoolOptions, input: DialPlanInput, rng: Rng): PeerId[] => {
  const anchors: PeerId[] = []
  const others: PeerId[] = []
  for (const c of input.candidates) {
    if (input.busy.has(c.peer) || c.notBefore > input.now) continue
    ;(options.anchors.has(c.peer) ? anchors : others).push(c.peer)
  }
  const open = input.open ?? input.degree
  const hedge = open < options.degree.low ? Math.max(0, input.spare ?? 0) : 0
  const room = Math.max(0, Math.min(options.degree.target + hedge, options.degree.high) - input.degree, Math.min(options.degree.low - open, options.degree.high - input.degree))
  const capacity = Math.max(0, options.maxConnections - input.total)
  // Anchors are always dialed, whatever the degree.
  const plan = anchors.slice(0, capacity)
  for (let i = others.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const t = others[i] as PeerId
    others[i] = others[j] as PeerId
    others[j] = t
  }
  const rank = input.rank
  let urgent = 0
  if (rank !== undefined) {
    const ranks = new Map(others.map((p) => [p, rank(p)]))
    others.sort((a, b) => (ranks.get(a) as number) - (ranks.get(b) as number))
    if (open < options.degree.low) while (urgent < others.length && urgent < options.degree.low - open && (ranks.get(others[urgent] as PeerId) as number) < 0) urgent++
  }
  return plan.concat(others.slice(0, Math.min(Math.max(room, urgent), capacity - plan.length)))
}

/**
 * Whether to accept a connection offered by `peer`, given the degrees of the rooms it shares
 * with us. `welcomed`: `peer` is a newcomer whose announce we answered within welcomeMs. It is
 * accepted even when every shared room is at `high`: a room whose members all sit at their
 * limit would otherwise leave a late joiner below `low` for good, since nothing else makes
 * room for it (the surplus link is pruned later, once the newcomer has other neighbours).
 */
export const acceptIncoming = (options: ResolvedPoolOptions, peer: PeerId, sharedRoomDegrees: readonly number[], total: number, welcomed = false): boolean => {
  if (options.anchors.has(peer)) return true
  if (total >= options.maxConnections) return false
  return welcomed || sharedRoomDegrees.some((d) => d < options.degree.high)
}

/** Our pending dial, as glare sees it. */
export interface GlareAttempt {
  readonly token: number | undefined
  /** Whether anything came back from the remote for this attempt. */
  readonly heardBack: boolean
  readonly ageMs: number
}

/**
 * Crossing offers (glare): does our attempt win over the remote's offer? Both sides must
 * decide alike. Between ymesh peers the smaller peer id wins, except that an attempt of ours
 * that never heard back and is older than `staleMs` went to a previous incarnation of the
 * remote (it restarted) and yields. A stock y-webrtc peer applies its own rule on its side,
 * the higher token wins, and takes our offer into its pending connection when ours is higher;
 * so with stock peers we keep to exactly that rule, or we would answer an offer whose
 * connection it has already thrown away (y-webrtc 10 then throws on our answer).
 */
export const glareOursWins = (local: PeerId, remote: PeerId, remoteIsYmesh: boolean, ours: GlareAttempt, remoteToken: number | undefined, staleMs: number): boolean => {
  if (!remoteIsYmesh) return (ours.token ?? 0) > (remoteToken ?? 0)
  if (!ours.heardBack && ours.ageMs > staleMs) return false
  return local < remote
}

export interface PruneCandidate {
  readonly peer: PeerId
  readonly quality: ConnectionQuality
  /** Every room (topic) this connection serves. */
  readonly rooms: readonly string[]
}

/**
 * How valuable a connection is: more shared rooms, lower RTT and loss are better. Anchors
 * are never pruned, so they need no score.
 */
export const connectionValue = (c: PruneCandidate): number =>
  c.rooms.length * 1_000 - (c.quality.rttMs ?? 500) - c.quality.loss * 1_000

/**
 * Connections to close so that no room stays above `high` and the total stays within
 * maxConnections; the least valuable go first, and none whose loss would take a room it
 * serves below `low`. `degrees` (room → connections) is not modified.
 */
export const planPrunes = (options: ResolvedPoolOptions, connections: readonly PruneCandidate[], degrees: ReadonlyMap<string, number>, total: number): PeerId[] => {
  const ranked = connections.filter((c) => !options.anchors.has(c.peer)).sort((a, b) => connectionValue(a) - connectionValue(b))
  const degree = new Map(degrees)
  const out: PeerId[] = []
  let over = total - options.maxConnections
  for (const c of ranked) {
    const d = c.rooms.map((r) => degree.get(r) ?? 0)
    const roomOver = d.length > 0 && d.every((n) => n > options.degree.high)
    const safe = d.every((n) => n - 1 >= options.degree.low)
    if ((roomOver || over > 0) && safe) {
      out.push(c.peer)
      over--
      for (const r of c.rooms) degree.set(r, (degree.get(r) ?? 0) - 1)
    }
  }
  return out
}
