/**
 * Deciding, before a Yjs update touches the live document, whether it can apply in full:
 * Y.applyUpdate parks structs with missing dependencies in pendingStructs (costly, FACTS.md)
 * and a malformed update can throw after integrating part of itself. So an update is fully
 * decoded here first (any decoder error rejects it), and applied only when every struct's
 * start clock, origins, parent and every deleted range are already in the document or in
 * the update itself.
 */
import * as Y from 'yjs'

export interface UpdateAnalysis {
  /** clientID → [first clock, end clock) the update inserts under. */
  readonly ranges: ReadonlyMap<number, readonly [number, number]>
  /** clientID → highest clock referenced (origins, parents, deletions) that must exist. */
  readonly needs: ReadonlyMap<number, number>
  /** Items whose parent is another item: that item must be a shared type. */
  readonly parentRefs: ReadonlyArray<{ readonly client: number, readonly clock: number }>
  readonly structs: ReadonlyArray<Y.Item | Y.GC | Y.Skip>
}

/** Decodes `update` fully; throws (anything) when it is malformed or has gaps (Skip structs). */
export const analyseUpdate = (update: Uint8Array): UpdateAnalysis => {
  const { structs, ds } = Y.decodeUpdate(update)
  const ranges = new Map<number, [number, number]>()
  const needs = new Map<number, number>()
  const parentRefs: Array<{ client: number, clock: number }> = []
  const need = (client: number, clock: number): void => {
    const prev = needs.get(client)
    if (prev === undefined || clock > prev) needs.set(client, clock)
  }
  for (const struct of structs) {
    if (struct instanceof Y.Skip) throw new Error('the update has a gap (a Skip struct); send contiguous updates')
    const { client, clock } = struct.id
    const range = ranges.get(client)
    if (range === undefined) ranges.set(client, [clock, clock + struct.length])
    else {
      if (clock !== range[1]) throw new Error('the update\'s structs are not contiguous')
      range[1] = clock + struct.length
    }
    if (struct instanceof Y.Item) {
      if (struct.origin !== null) need(struct.origin.client, struct.origin.clock)
      if (struct.rightOrigin !== null) need(struct.rightOrigin.client, struct.rightOrigin.clock)
      const parent = struct.parent as unknown
      if (parent instanceof Y.ID) {
        need(parent.client, parent.clock)
        parentRefs.push({ client: parent.client, clock: parent.clock })
      }
    }
  }
  for (const [client, items] of ds.clients) {
    for (const item of items) {
      if (item.len > 0) need(client, item.clock + item.len - 1)
    }
  }
  return { ranges, needs, parentRefs, structs }
}

/**
 * 'ready': every dependency is present; 'duplicate': it inserts nothing new and deletes only
 * what exists; 'missing': hold it. `state(client)` is the document's next clock for client.
 */
export const dependencyStatus = (analysis: UpdateAnalysis, state: (client: number) => number): 'ready' | 'missing' | 'duplicate' => {
  let fresh = false
  const reach = (client: number): number => {
    const s = state(client)
    const range = analysis.ranges.get(client)
    return range !== undefined && range[0] <= s ? Math.max(s, range[1]) : s
  }
  for (const [client, [start, end]] of analysis.ranges) {
    const s = state(client)
    if (start > s) return 'missing'
    if (end > s) fresh = true
  }
  for (const [client, clock] of analysis.needs) {
    if (clock >= reach(client)) return 'missing'
  }
  return fresh || analysis.ranges.size === 0 ? 'ready' : 'duplicate'
}

/** True when every item-parent reference names a shared type (Yjs throws mid-apply otherwise). */
export const parentsAreTypes = (analysis: UpdateAnalysis, doc: Y.Doc): boolean => {
  for (const ref of analysis.parentRefs) {
    let target: Y.Item | Y.GC | undefined
    const range = analysis.ranges.get(ref.client)
    if (range !== undefined && ref.clock >= range[0] && ref.clock >= Y.getState(doc.store, ref.client)) {
      target = analysis.structs.find((s) => s.id.client === ref.client && s.id.clock <= ref.clock && ref.clock < s.id.clock + s.length) as Y.Item | Y.GC | undefined
    } else {
      target = Y.getItem(doc.store, Y.createID(ref.client, ref.clock)) as Y.Item | Y.GC
    }
    if (target === undefined) return false
    if (target instanceof Y.Item && !(target.content instanceof Y.ContentType)) return false
  }
  return true
}
