import type { Clock, Timer } from '@ymesh/protocol'

/**
 * Tells once when a data channel's bufferedAmount falls to its low threshold after having
 * been above it. Uses the channel's own 'bufferedamountlow' event where it fires, and polls
 * bufferedAmount through the clock because @roamhq/wrtc never fires it (FACTS.md). Polls only
 * while armed, so an idle link runs no timer.
 */
export class BufferedAmountMonitor {
  private timer: Timer | null = null

  constructor (
    private readonly clock: Clock,
    private readonly pollIntervalMs: number,
    private readonly read: () => { bufferedAmount: number, threshold: number },
    private readonly onLow: () => void
  ) {}

  get armed (): boolean {
    return this.timer !== null
  }

  /** After a send, with the queue's size then: start watching if it is above the threshold. */
  check (bufferedAmount: number): void {
    if (this.timer !== null) return
    if (bufferedAmount <= this.read().threshold) return
    this.timer = this.clock.setInterval(() => this.poll(), this.pollIntervalMs)
  }

  /** The channel's native event, or a poll tick. */
  poll (): void {
    if (this.timer === null) return
    const { bufferedAmount, threshold } = this.read()
    if (bufferedAmount > threshold) return
    this.stop()
    this.onLow()
  }

  stop (): void {
    if (this.timer === null) return
    this.clock.clearInterval(this.timer)
    this.timer = null
  }
}
