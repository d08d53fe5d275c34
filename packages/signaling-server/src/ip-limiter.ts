import type { RejectReason } from './messages.js'
import type { Limits } from './options.js'
import { TokenBucket } from './token-bucket.js'

interface IpState {
  open: number
  bucket: TokenBucket
  bannedUntil: number
}

/** Connections per IP address: a count limit, a rate limit (token bucket), and a ban for rate offenders. */
export class IpLimiter {
  private readonly ips = new Map<string, IpState>()

  constructor (private readonly limits: Limits) {}

  /** Whether a new connection from `ip` is allowed now; on success it is counted as open. */
  admit (ip: string, now: number): { ok: true } | { ok: false, reason: RejectReason } {
    let s = this.ips.get(ip)
    if (s === undefined) {
      s = { open: 0, bucket: new TokenBucket(this.limits.connectionsPerSecondPerIp, this.limits.connectionBurstPerIp, now), bannedUntil: 0 }
      this.ips.set(ip, s)
    }
    if (s.bannedUntil > now) return { ok: false, reason: 'ip-banned' }
    if (!s.bucket.take(now)) {
      s.bannedUntil = now + this.limits.banMs
      return { ok: false, reason: 'ip-rate' }
    }
    if (s.open >= this.limits.maxConnectionsPerIp) return { ok: false, reason: 'ip-connections' }
    s.open++
    return { ok: true }
  }

  /** Whether `ip` is banned now (checked before any HTTP parsing, so a banned flood stays cheap). */
  isBanned (ip: string, now: number): boolean {
    const s = this.ips.get(ip)
    return s !== undefined && s.bannedUntil > now
  }

  release (ip: string): void {
    const s = this.ips.get(ip)
    if (s !== undefined && s.open > 0) s.open--
  }

  /** Forgets addresses with nothing open, no ban and a full bucket, so the map stays bounded. */
  sweep (now: number): void {
    for (const [ip, s] of this.ips) {
      if (s.open === 0 && s.bannedUntil <= now && s.bucket.msUntil(s.bucket.burst, now) === 0) this.ips.delete(ip)
    }
  }

  get size (): number {
    return this.ips.size
  }
}
