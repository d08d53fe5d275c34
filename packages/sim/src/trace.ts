/** One entry of the optional event trace: what happened, when, where. */
export interface TraceEvent {
  /** Virtual time in ms. */
  readonly time: number
  /** e.g. 'send', 'deliver', 'drop', 'duplicate', 'open', 'close', 'partition', 'crash', 'settle'. */
  readonly kind: string
  /** The node it happened on ('' for network-wide events). */
  readonly node: string
  readonly details?: Readonly<Record<string, string | number | boolean | null>>
}

/** Where trace events go: kept in memory, handed to a callback, or dropped (the default). */
export type TraceOption = boolean | ((event: TraceEvent) => void)
