/** Where the peer reports what it dropped or survived. Fields are structured for log shippers. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
}

/** Warnings to console.warn, debug nowhere. */
export const consoleLogger: Logger = Object.freeze({
  debug: () => {},
  warn: (message: string, fields?: Record<string, unknown>) => { console.warn(`[ymesh] ${message}`, fields ?? '') }
})

/** Drops everything (tests that provoke errors on purpose). */
export const silentLogger: Logger = Object.freeze({ debug: () => {}, warn: () => {} })
