export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

/** What the server logs through; pass your own to route logs elsewhere. */
export interface Logger {
  debug: (message: string, fields?: Record<string, unknown>) => void
  info: (message: string, fields?: Record<string, unknown>) => void
  warn: (message: string, fields?: Record<string, unknown>) => void
  error: (message: string, fields?: Record<string, unknown>) => void
}

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 }

/** A console logger that prints messages at `level` and above, with fields as JSON. */
export const createConsoleLogger = (level: LogLevel = 'info'): Logger => {
  const at = (l: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>): void => {
    if (ORDER[l] < ORDER[level]) return
    const line = `[ymesh-signal] ${l} ${message}${fields === undefined ? '' : ` ${JSON.stringify(fields)}`}`
    // Errors and warnings to stderr, so stdout can carry the address for scripts.
    if (l === 'error' || l === 'warn') console.error(line)
    else console.log(line)
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = createConsoleLogger('silent')
