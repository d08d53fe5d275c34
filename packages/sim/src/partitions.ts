/** One partition: traffic from any node in `from` to any node in `to` is dropped. */
export interface PartitionRule {
  readonly from: ReadonlySet<string>
  readonly to: ReadonlySet<string>
}

/** Handle returned by the partition calls; pass it to heal() to undo only that partition. */
export interface Partition {
  readonly rules: readonly PartitionRule[]
}

/**
 * The set of active partitions. `epoch` changes whenever it does, so paths can cache
 * whether they are blocked and recheck only after a change.
 */
export class PartitionTable {
  private readonly active = new Set<Partition>()
  epoch = 0

  add (rules: PartitionRule[]): Partition {
    const partition: Partition = { rules }
    this.active.add(partition)
    this.epoch++
    return partition
  }

  remove (partition?: Partition): void {
    if (partition === undefined) this.active.clear()
    else this.active.delete(partition)
    this.epoch++
  }

  get size (): number {
    return this.active.size
  }

  blocks (from: string, to: string): boolean {
    for (const partition of this.active) {
      for (const rule of partition.rules) {
        if (rule.from.has(from) && rule.to.has(to)) return true
      }
    }
    return false
  }
}

/** Rules for groups that cannot reach each other (n-way); nodes in no group are unaffected. */
export function groupRules (groups: readonly (readonly string[])[]): PartitionRule[] {
  const sets = groups.map((g) => new Set(g))
  const rules: PartitionRule[] = []
  for (let i = 0; i < sets.length; i++) {
    for (let j = 0; j < sets.length; j++) {
      if (i !== j) rules.push({ from: sets[i] as Set<string>, to: sets[j] as Set<string> })
    }
  }
  return rules
}
