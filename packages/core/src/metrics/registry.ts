/**
 * A small metrics registry with Prometheus text exposition. One registry per Peer (no
 * module-level state), so hundreds of simulated peers keep separate figures.
 */

export type Labels = Readonly<Record<string, string>>

const labelKey = (labels: Labels): string => {
  const keys = Object.keys(labels).sort()
  return keys.map((k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')
}

interface Family {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge' | 'summary'
  render(): string[]
}

/** A monotonically increasing count, per label set. */
export class Counter implements Family {
  readonly type = 'counter'
  private readonly values = new Map<string, number>()
  constructor (readonly name: string, readonly help: string) {}

  inc (labels: Labels = {}, by = 1): void {
    const key = labelKey(labels)
    this.values.set(key, (this.values.get(key) ?? 0) + by)
  }

  get (labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0
  }

  /** Sum over every label set. */
  total (): number {
    let sum = 0
    for (const v of this.values.values()) sum += v
    return sum
  }

  render (): string[] {
    return [...this.values].map(([key, v]) => `${this.name}${key === '' ? '' : `{${key}}`} ${v}`)
  }
}

/** A value read when the metrics are rendered. */
export class Gauge implements Family {
  readonly type = 'gauge'
  constructor (readonly name: string, readonly help: string, private readonly read: () => ReadonlyArray<readonly [Labels, number]>) {}

  render (): string[] {
    return this.read().map(([labels, v]) => {
      const key = labelKey(labels)
      return `${this.name}${key === '' ? '' : `{${key}}`} ${v}`
    })
  }
}

/** Quantiles over a sliding window of the most recent observations. */
export class Summary implements Family {
  readonly type = 'summary'
  private readonly window: number[] = []
  private next = 0
  private count = 0
  private sum = 0
  constructor (readonly name: string, readonly help: string, private readonly size = 1024) {}

  observe (value: number): void {
    if (this.window.length < this.size) this.window.push(value)
    else this.window[this.next] = value
    this.next = (this.next + 1) % this.size
    this.count++
    this.sum += value
  }

  quantile (q: number): number {
    if (this.window.length === 0) return Number.NaN
    const sorted = [...this.window].sort((a, b) => a - b)
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
  }

  render (): string[] {
    return [
      ...[0.5, 0.9, 0.99].map((q) => `${this.name}{quantile="${q}"} ${this.quantile(q)}`),
      `${this.name}_sum ${this.sum}`,
      `${this.name}_count ${this.count}`
    ]
  }
}

export class MetricsRegistry {
  private readonly families = new Map<string, Family>()

  counter (name: string, help: string): Counter {
    return this.add(new Counter(name, help))
  }

  gauge (name: string, help: string, read: () => ReadonlyArray<readonly [Labels, number]>): Gauge {
    return this.add(new Gauge(name, help, read))
  }

  summary (name: string, help: string, size?: number): Summary {
    return this.add(new Summary(name, help, size))
  }

  /** Prometheus text exposition format 0.0.4. */
  render (): string {
    const lines: string[] = []
    for (const family of this.families.values()) {
      lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`, ...family.render())
    }
    return lines.join('\n') + '\n'
  }

  private add<F extends Family> (family: F): F {
    const existing = this.families.get(family.name)
    if (existing !== undefined) return existing as F
    this.families.set(family.name, family)
    return family
  }
}
