/** Graph helpers for routing tests and the bench: random connected graphs and BFS distances. */
import type { Rng } from '@ymesh/protocol'

/** Edges of a connected random graph on n nodes with degrees near `degree` (a ring for connectivity, then random chords). */
export function randomGraph (n: number, minDegree: number, maxDegree: number, rng: Rng): Array<[number, number]> {
  const adj: Array<Set<number>> = Array.from({ length: n }, () => new Set<number>())
  const add = (a: number, b: number): boolean => {
    if (a === b || adj[a]!.has(b)) return false
    adj[a]!.add(b)
    adj[b]!.add(a)
    return true
  }
  const order = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  for (let i = 0; i < n; i++) add(order[i]!, order[(i + 1) % n]!)
  for (let tries = 0; tries < n * 50; tries++) {
    const a = rng.int(n)
    const target = minDegree + rng.int(maxDegree - minDegree + 1)
    if (adj[a]!.size >= target) continue
    const b = rng.int(n)
    if (adj[b]!.size >= maxDegree) continue
    add(a, b)
  }
  const edges: Array<[number, number]> = []
  for (let a = 0; a < n; a++) for (const b of adj[a]!) if (a < b) edges.push([a, b])
  return edges
}

/** Hop distances from `source` over undirected `edges` (Infinity when unreachable). */
export function bfs (n: number, edges: ReadonlyArray<readonly [number, number]>, source: number): number[] {
  const adj: number[][] = Array.from({ length: n }, () => [])
  for (const [a, b] of edges) { adj[a]!.push(b); adj[b]!.push(a) }
  const dist = new Array<number>(n).fill(Infinity)
  dist[source] = 0
  const queue = [source]
  for (let i = 0; i < queue.length; i++) {
    const u = queue[i]!
    for (const v of adj[u]!) if (dist[v] === Infinity) { dist[v] = dist[u]! + 1; queue.push(v) }
  }
  return dist
}
