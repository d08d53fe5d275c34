/**
 * A token bucket: `rate` tokens per second, at most `burst` saved up. Time comes from the
 * caller (ms), so the bucket has no timers of its own.
 */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor (readonly rate: number, readonly burst: number, now: number) {
    this.tokens = burst
    this.last = now
  }

  private refill (now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000)
      this.last = now
    }
  }

  /** Takes one token if there is one. */
  take (now: number): boolean {
    this.refill(now)
    if (this.tokens >= 1) {
      this.tokens -= 1
      return true
    }
    return false
  }

  /** Milliseconds until `count` tokens are available (0 if they are now). */
  msUntil (count: number, now: number): number {
    this.refill(now)
    const missing = Math.min(count, this.burst) - this.tokens
    return missing <= 0 ? 0 : Math.ceil((missing * 1000) / this.rate)
  }
}
