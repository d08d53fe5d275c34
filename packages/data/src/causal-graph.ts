/**
 * The causal graph of a set of entries and one deterministic total order over it.
 *
 * Each entry names the heads its author had seen (deps), so "A happened before B" is
 * "A is an ancestor of B" and two entries are concurrent when neither is. The total order
 * is a topological sort (every entry after everything it depends on) that breaks ties
 * between entries ready at the same time by (priority, id): a pure function of the set of
 * entries, so every replica that holds the same entries computes the same order, whatever
 * order they arrived in.
 *
 * Entries whose dependencies are missing wait (the ordering buffer) and count as pending;
 * duplicates of an id keep the first occurrence.
 */
import type { Entry, EntryId } from './signed-entry.js'

export interface CausalGraph<T extends Entry> {
  /** Entries in the total order. */
  readonly order: readonly T[]
  /** Entries waiting for a dependency this replica does not hold (yet). */
  readonly pending: readonly T[]
  readonly position: ReadonlyMap<EntryId, number>
  /** True when order[a] is in the causal past of order[b]. */
  isAncestor: (a: number, b: number) => boolean
  /** How many entries are in the causal past of order[i]. */
  ancestorCount: (i: number) => number
  /** Neither is in the other's past. */
  concurrent: (a: number, b: number) => boolean
  /** Ids of entries no other entry depends on: what a new entry should name as deps. */
  heads: () => EntryId[]
  /** The entries in the causal past of the given heads, plus the heads (as positions). */
  pastOf: (heads: readonly EntryId[]) => Uint32Array
}

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

export const buildCausalGraph = <T extends Entry>(entries: Iterable<T>, priority: (e: T) => number = () => 0): CausalGraph<T> => {
  const byId = new Map<EntryId, T>()
  for (const e of entries) if (!byId.has(e.id)) byId.set(e.id, e)

  // Entries reachable only through missing deps wait; resolve readiness transitively.
  const ready = new Map<EntryId, boolean>()
  const isReady = (id: EntryId, stack: Set<EntryId>): boolean => {
    const known = ready.get(id)
    if (known !== undefined) return known
    const e = byId.get(id)
    if (e === undefined || stack.has(id)) return false
    stack.add(id)
    let ok = true
    for (const d of e.deps) if (!isReady(d, stack)) { ok = false; break }
    stack.delete(id)
    ready.set(id, ok)
    return ok
  }
  const pending: T[] = []
  const live: T[] = []
  for (const e of byId.values()) (isReady(e.id, new Set()) ? live : pending).push(e)

  // Kahn's algorithm; the ready set is kept sorted by (priority, id).
  const key = (e: T): [number, string] => [priority(e), e.id]
  const less = (a: T, b: T): number => {
    const [pa, ia] = key(a)
    const [pb, ib] = key(b)
    return pa !== pb ? pa - pb : compareIds(ia, ib)
  }
  const waiting = new Map<EntryId, number>()
  const children = new Map<EntryId, T[]>()
  for (const e of live) {
    const deps = new Set(e.deps)
    waiting.set(e.id, deps.size)
    for (const d of deps) {
      let c = children.get(d)
      if (c === undefined) children.set(d, (c = []))
      c.push(e)
    }
  }
  const queue = live.filter((e) => waiting.get(e.id) === 0).sort(less)
  const order: T[] = []
  while (queue.length > 0) {
    const e = queue.shift() as T
    order.push(e)
    for (const c of children.get(e.id) ?? []) {
      const left = (waiting.get(c.id) ?? 1) - 1
      waiting.set(c.id, left)
      if (left === 0) {
        let lo = 0
        let hi = queue.length
        while (lo < hi) {
          const mid = (lo + hi) >> 1
          if (less(queue[mid] as T, c) < 0) lo = mid + 1
          else hi = mid
        }
        queue.splice(lo, 0, c)
      }
    }
  }

  const position = new Map<EntryId, number>()
  order.forEach((e, i) => position.set(e.id, i))
  const words = (order.length + 31) >>> 5
  const past: Uint32Array[] = []
  const counts: number[] = []
  for (let i = 0; i < order.length; i++) {
    const bits = new Uint32Array(words)
    for (const d of (order[i] as T).deps) {
      const j = position.get(d) as number
      const pj = past[j] as Uint32Array
      for (let w = 0; w < words; w++) bits[w]! |= pj[w]!
      bits[j >>> 5]! |= 1 << (j & 31)
    }
    past.push(bits)
    let n = 0
    for (let w = 0; w < words; w++) {
      let v = bits[w]!
      while (v !== 0) { v &= v - 1; n++ }
    }
    counts.push(n)
  }
  const isAncestor = (a: number, b: number): boolean => ((past[b] as Uint32Array)[a >>> 5]! & (1 << (a & 31))) !== 0

  return {
    order,
    pending,
    position,
    isAncestor,
    ancestorCount: (i) => counts[i] as number,
    concurrent: (a, b) => a !== b && !isAncestor(a, b) && !isAncestor(b, a),
    heads: () => {
      const referenced = new Set<EntryId>()
      for (const e of order) for (const d of e.deps) referenced.add(d)
      return order.filter((e) => !referenced.has(e.id)).map((e) => e.id).sort(compareIds)
    },
    pastOf: (heads) => {
      const bits = new Uint32Array(words)
      for (const h of heads) {
        const j = position.get(h)
        if (j === undefined) continue
        const pj = past[j] as Uint32Array
        for (let w = 0; w < words; w++) bits[w]! |= pj[w]!
        bits[j >>> 5]! |= 1 << (j & 31)
      }
      return bits
    }
  }
}

export const hasBit = (bits: Uint32Array, i: number): boolean => ((bits[i >>> 5] ?? 0) & (1 << (i & 31))) !== 0
