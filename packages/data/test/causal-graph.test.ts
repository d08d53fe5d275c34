import { describe, expect, it } from 'vitest'
import { buildCausalGraph } from '../src/index.js'
import type { Entry, EntryId } from '../src/index.js'

/** The causal graph reads only id, kind and deps: a minimal entry is enough. */
const e = (id: string, deps: string[] = [], kind = 1): Entry =>
  ({ id: id as EntryId, deps: deps as EntryId[], kind, author: 'a', time: 0, body: new Uint8Array(), bytes: new Uint8Array(), signed: new Uint8Array(), batch: null }) as unknown as Entry

const ids = (xs: readonly Entry[]): string[] => xs.map((x) => x.id)

/** Deterministic shuffle (xorshift) so permutations are reproducible. */
const shuffled = <T>(xs: readonly T[], seed: number): T[] => {
  const out = [...xs]
  let s = seed | 1
  for (let i = out.length - 1; i > 0; i--) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5
    const j = (s >>> 0) % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

//      a
//     / \
//    c   b       b and c concurrent; d after both; e concurrent with everything after a
//     \ /
//      d    e(a)
const diamond = [e('a'), e('b', ['a']), e('c', ['a']), e('d', ['b', 'c']), e('e', ['a'])]

describe('causal graph', () => {
  it('orders every entry after its dependencies, ties by id, the same for every arrival order', () => {
    const g = buildCausalGraph(diamond)
    expect(ids(g.order)).toEqual(['a', 'b', 'c', 'd', 'e'])
    for (let seed = 1; seed < 30; seed++) expect(ids(buildCausalGraph(shuffled(diamond, seed)).order)).toEqual(ids(g.order))
  })

  it('breaks ties by priority before id', () => {
    const g = buildCausalGraph(diamond, (x) => (x.id === 'e' ? 0 : 1))
    expect(ids(g.order)).toEqual(['a', 'e', 'b', 'c', 'd'])
  })

  it('answers ancestry, concurrency, ancestor counts, heads and pasts', () => {
    const g = buildCausalGraph(diamond)
    const p = (id: string): number => g.position.get(id as EntryId)!
    expect(g.isAncestor(p('a'), p('d'))).toBe(true)
    expect(g.isAncestor(p('b'), p('d'))).toBe(true)
    expect(g.isAncestor(p('d'), p('b'))).toBe(false)
    expect(g.concurrent(p('b'), p('c'))).toBe(true)
    expect(g.concurrent(p('e'), p('d'))).toBe(true)
    expect(g.concurrent(p('a'), p('b'))).toBe(false)
    expect(g.concurrent(p('a'), p('a'))).toBe(false)
    expect(g.ancestorCount(p('d'))).toBe(3)
    expect(g.ancestorCount(p('a'))).toBe(0)
    expect(g.heads()).toEqual(['d', 'e'])
    const past = g.pastOf(['b' as EntryId, 'missing' as EntryId])
    const members = g.order.filter((_, i) => (past[i >>> 5]! & (1 << (i & 31))) !== 0).map((x) => x.id)
    expect(members).toEqual(['a', 'b'])
  })

  it('holds entries whose dependencies are missing (transitively) as pending, and releases them when they arrive', () => {
    const partial = [e('a'), e('x', ['missing']), e('y', ['x']), e('z', ['a'])]
    const g = buildCausalGraph(partial)
    expect(ids(g.order)).toEqual(['a', 'z'])
    expect(ids(g.pending).sort()).toEqual(['x', 'y'])
    expect(g.heads()).toEqual(['z'])
    const full = buildCausalGraph([...partial, e('missing', ['a'])])
    expect(full.pending).toHaveLength(0)
    expect(ids(full.order)).toEqual(['a', 'missing', 'x', 'y', 'z'])
  })

  it('keeps the first of duplicate ids, and never orders a forged dependency cycle', () => {
    const g = buildCausalGraph([e('a'), e('b', ['a']), e('b', []), e('a', ['b'])])
    expect(ids(g.order)).toEqual(['a', 'b'])
    expect(g.order[1]!.deps).toEqual(['a'])
    const cycle = buildCausalGraph([e('root'), e('p', ['q']), e('q', ['p']), e('s', ['s'])])
    expect(ids(cycle.order)).toEqual(['root'])
    expect(ids(cycle.pending).sort()).toEqual(['p', 'q', 's'])
  })

  it('scales past one 32-bit word of ancestry bits', () => {
    const chain = Array.from({ length: 100 }, (_, i) => e(`n${String(i).padStart(3, '0')}`, i === 0 ? [] : [`n${String(i - 1).padStart(3, '0')}`]))
    const g = buildCausalGraph(shuffled(chain, 7))
    expect(ids(g.order)).toEqual(ids(chain))
    expect(g.isAncestor(0, 99)).toBe(true)
    expect(g.isAncestor(40, 70)).toBe(true)
    expect(g.ancestorCount(99)).toBe(99)
    expect(g.heads()).toEqual(['n099'])
  })
})
