/** Parsing of `ymesh <command> [options]`; pure, so every flag is unit-tested. */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from './errors.js'

export const MAIN_HELP = `Usage: ymesh <command> [options]

Commands:
  start    the signaling server, one anchor peer and the demo app, on this machine
  anchor   an always-on peer that stores rooms and forwards messages to offline members
  help     show this help

Run \`ymesh <command> --help\` for a command's options.
`

export const START_HELP = `Usage: ymesh start [options]      (also: npm start -- [options])

Starts the signaling server, one anchor peer with an embedded store, and serves the
demo app. Ctrl-C stops everything cleanly.

Options:
  --port-signal <n>   signaling server port (default 4444; 0 = any free port)
  --port-web <n>      demo app port (default 8080; 0 = any free port)
  --host <addr>       interface to bind (default 127.0.0.1)
  --data <dir>        anchor data folder: identity and documents (default ./.ymesh-data)
  --web-root <dir>    folder of the built demo (default: apps/demo/dist of this checkout)
  --no-anchor         do not start the anchor peer
  --help              show this help
`

export const ANCHOR_HELP = `Usage: ymesh anchor --signaling <url> [options]

An always-on peer: joins the rooms of the public directory, keeps their documents in the
data folder, serves history to late joiners and messages to returning members, relays.

Options:
  --signaling <url>   signaling server (repeatable), e.g. ws://127.0.0.1:4444
  --data <dir>        identity and documents (default ./.ymesh-data)
  --room <name>       also store this room (repeatable)
  --name <text>       display name shown to members (default anchor)
  --help              show this help
`

export interface StartArgs {
  readonly portSignal: number
  readonly portWeb: number
  readonly host: string
  readonly dataDir: string
  readonly webRoot: string | null
  readonly anchor: boolean
}

export interface AnchorArgs {
  readonly signaling: string[]
  readonly dataDir: string
  readonly rooms: string[]
  readonly name: string
}

export type Command =
  | { readonly kind: 'help', readonly text: string }
  | { readonly kind: 'start', readonly args: StartArgs }
  | { readonly kind: 'anchor', readonly args: AnchorArgs }

export const DEFAULTS = Object.freeze({ portSignal: 4444, portWeb: 8080, host: '127.0.0.1', dataDir: './.ymesh-data' })

const port = (flag: string, text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback
  const n = Number(text)
  if (!/^\d+$/.test(text) || n > 65535) throw new UsageError(`--${flag} must be a whole number from 0 to 65535, got "${text}".`)
  return n
}

const parse = (argv: readonly string[], options: NonNullable<ParseArgsConfig['options']>, help: string): Record<string, unknown> => {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${help}`)
  }
}

const parseStart = (argv: readonly string[]): Command => {
  const v = parse(argv, {
    'port-signal': { type: 'string' },
    'port-web': { type: 'string' },
    host: { type: 'string' },
    data: { type: 'string' },
    'web-root': { type: 'string' },
    'no-anchor': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' }
  }, START_HELP)
  if (v.help === true) return { kind: 'help', text: START_HELP }
  return {
    kind: 'start',
    args: {
      portSignal: port('port-signal', v['port-signal'] as string | undefined, DEFAULTS.portSignal),
      portWeb: port('port-web', v['port-web'] as string | undefined, DEFAULTS.portWeb),
      host: (v.host as string | undefined) ?? DEFAULTS.host,
      dataDir: (v.data as string | undefined) ?? DEFAULTS.dataDir,
      webRoot: (v['web-root'] as string | undefined) ?? null,
      anchor: v['no-anchor'] !== true
    }
  }
}

const parseAnchor = (argv: readonly string[]): Command => {
  const v = parse(argv, {
    signaling: { type: 'string', multiple: true },
    data: { type: 'string' },
    room: { type: 'string', multiple: true },
    name: { type: 'string' },
    help: { type: 'boolean', short: 'h' }
  }, ANCHOR_HELP)
  if (v.help === true) return { kind: 'help', text: ANCHOR_HELP }
  const signaling = (v.signaling as string[] | undefined) ?? []
  if (signaling.length === 0) throw new UsageError(`ymesh anchor needs --signaling <url>, e.g. --signaling ws://127.0.0.1:4444.\n\n${ANCHOR_HELP}`)
  for (const url of signaling) {
    if (!/^wss?:\/\/./.test(url)) throw new UsageError(`--signaling takes a ws:// or wss:// URL, got "${url}".`)
  }
  return {
    kind: 'anchor',
    args: {
      signaling,
      dataDir: (v.data as string | undefined) ?? DEFAULTS.dataDir,
      rooms: (v.room as string[] | undefined) ?? [],
      name: (v.name as string | undefined) ?? 'anchor'
    }
  }
}

/** Parses argv without node and the script name; throws UsageError. */
export const parseCommand = (argv: readonly string[]): Command => {
  const [command, ...rest] = argv
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return { kind: 'help', text: MAIN_HELP }
    case 'start':
      return parseStart(rest)
    case 'anchor':
      return parseAnchor(rest)
    default:
      throw new UsageError(`Unknown command "${command}".\n\n${MAIN_HELP}`)
  }
}
