import type { Clock, Timer } from '@ymesh/protocol'

/** Wall-clock time and the host's timers: the Clock of a real peer. */
export function createSystemClock (): Clock {
  return {
    now: () => performance.now(),
    setTimeout: (callback, delayMs) => setTimeout(callback, delayMs) as unknown as Timer,
    clearTimeout: (timer) => clearTimeout(timer as unknown as ReturnType<typeof setTimeout>),
    setInterval: (callback, intervalMs) => setInterval(callback, intervalMs) as unknown as Timer,
    clearInterval: (timer) => clearInterval(timer as unknown as ReturnType<typeof setInterval>),
    settle: (work) => work
  }
}
