/** Tokens refill at `rate` per second up to `burst`; take() spends them or says no. */
export class TokenBucket {
  private tokens: number
  private updatedAt: number

  constructor (private readonly rate: number, private readonly burst: number, now: number) {
    this.tokens = burst
    this.updatedAt = now
  }

  take (count: number, now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.rate)
    this.updatedAt = now
    if (this.tokens < count) return false
    this.tokens -= count
    return true
  }
}
