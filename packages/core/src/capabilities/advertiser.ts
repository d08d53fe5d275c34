/**
 * Re-advertises our capability record when something meaningful changed — a role, the
 * platform or versions, the storage quota, free slots or load by more than a threshold,
 * bandwidth by more than a ratio — debounced, so a burst of changes makes one record; plus
 * a slow refresh so records never expire. Never a timer flood: between changes and
 * refreshes it sends nothing.
 */
import type { Clock, Rng, Timer } from '@ymesh/protocol'
import type { Logger } from '../logger.js'
import type { PeerCapabilityManager } from './manager.js'
import type { CapabilityFields } from './record.js'

export interface CapabilityAdvertiserOptions {
  readonly manager: PeerCapabilityManager
  readonly clock: Clock
  readonly rng: Rng
  readonly logger: Logger
  /** Our current figures; called on start, on changed() and on refresh. */
  readonly measure: () => CapabilityFields
  /** A change waits this long for more before a record goes out. Default 2 000 ms. */
  readonly debounceMs?: number
  /** Re-advertise unchanged figures this often. Default 10 minutes. */
  readonly refreshMs?: number
  /** The first record goes out after a random delay up to this (spreads a mass start). Default 1 000 ms. */
  readonly initialDelayMs?: number
  /** Load change (permille) that is meaningful. Default 100. */
  readonly loadThreshold?: number
  /** Free-slot change that is meaningful (reaching 0 always is). Default 2. */
  readonly slotsThreshold?: number
  /** Relative bandwidth change that is meaningful. Default 0.25. */
  readonly bandwidthRatio?: number
}

export class CapabilityAdvertiser {
  private readonly options: CapabilityAdvertiserOptions
  private last: CapabilityFields | null = null
  private debounce: Timer | null = null
  private refresh: Timer | null = null
  private publishing = false
  private again = false
  private running = false
  /** Records sent since construction. */
  published = 0

  constructor (options: CapabilityAdvertiserOptions) {
    this.options = options
  }

  start (): void {
    if (this.running) return
    this.running = true
    const initial = this.options.rng.float() * (this.options.initialDelayMs ?? 1_000)
    this.debounce = this.options.clock.setTimeout(() => { this.fire() }, initial)
    this.refresh = this.options.clock.setInterval(() => { this.publishNow() }, this.options.refreshMs ?? 600_000)
  }

  stop (): void {
    this.running = false
    if (this.debounce !== null) this.options.clock.clearTimeout(this.debounce)
    if (this.refresh !== null) this.options.clock.clearInterval(this.refresh)
    this.debounce = this.refresh = null
  }

  /** Tell the advertiser our figures may have changed; it re-advertises only if they changed meaningfully. */
  changed (): void {
    if (!this.running || this.debounce !== null) return
    if (this.last !== null && !this.isMeaningful(this.last, this.options.measure())) return
    this.debounce = this.options.clock.setTimeout(() => { this.fire() }, this.options.debounceMs ?? 2_000)
  }

  /** True when `next` differs from `previous` enough to be worth a new record. */
  isMeaningful (previous: CapabilityFields, next: CapabilityFields): boolean {
    const o = this.options
    if (previous.platform !== next.platform || previous.storageQuota !== next.storageQuota) return true
    if (previous.roles.join() !== next.roles.join() || previous.protocolVersions.join() !== next.protocolVersions.join()) return true
    if ((previous.freeSlots === 0) !== (next.freeSlots === 0)) return true
    if (Math.abs(previous.freeSlots - next.freeSlots) >= (o.slotsThreshold ?? 2)) return true
    if (Math.abs(previous.load - next.load) >= (o.loadThreshold ?? 100)) return true
    const base = Math.max(1, previous.bandwidth)
    return Math.abs(next.bandwidth - previous.bandwidth) / base >= (o.bandwidthRatio ?? 0.25)
  }

  private fire (): void {
    this.debounce = null
    this.publishNow()
  }

  private publishNow (): void {
    if (!this.running) return
    if (this.publishing) { this.again = true; return }
    this.publishing = true
    const fields = this.options.measure()
    this.options.manager.publish(fields).then(() => {
      this.last = fields
      this.published++
    }, (error: unknown) => {
      this.options.logger.warn('capability advertisement failed', { error })
    }).finally(() => {
      this.publishing = false
      if (this.again) { this.again = false; this.publishNow() }
    })
  }
}
