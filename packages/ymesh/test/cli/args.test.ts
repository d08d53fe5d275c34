import { describe, expect, it } from 'vitest'
import { ANCHOR_HELP, DEFAULTS, MAIN_HELP, START_HELP, parseCommand } from '../../src/cli/args.js'

describe('ymesh command line', () => {
  it('start uses the documented defaults', () => {
    expect(parseCommand(['start'])).toEqual({ kind: 'start', args: { ...DEFAULTS, webRoot: null, anchor: true } })
  })

  it('start takes ports, host, data folder, web root and --no-anchor', () => {
    const c = parseCommand(['start', '--port-signal', '0', '--port-web', '9000', '--host', '::1', '--data', '/tmp/d', '--web-root', '/w', '--no-anchor'])
    expect(c).toEqual({ kind: 'start', args: { portSignal: 0, portWeb: 9000, host: '::1', dataDir: '/tmp/d', webRoot: '/w', anchor: false } })
  })

  it('rejects bad ports and unknown flags with a usage error naming the fix', () => {
    expect(() => parseCommand(['start', '--port-web', '70000'])).toThrow(/--port-web must be a whole number from 0 to 65535/)
    expect(() => parseCommand(['start', '--port-web', 'x'])).toThrow(expect.objectContaining({ name: 'UsageError' }))
    expect(() => parseCommand(['start', '--nope'])).toThrow(/Usage: ymesh start/)
    expect(() => parseCommand(['frobnicate'])).toThrow(/Unknown command "frobnicate"/)
  })

  it('prints help for every command', () => {
    expect(parseCommand([])).toEqual({ kind: 'help', text: MAIN_HELP })
    expect(parseCommand(['help'])).toEqual({ kind: 'help', text: MAIN_HELP })
    expect(parseCommand(['start', '--help'])).toEqual({ kind: 'help', text: START_HELP })
    expect(parseCommand(['anchor', '-h'])).toEqual({ kind: 'help', text: ANCHOR_HELP })
    expect(START_HELP).toContain('--port-signal')
  })

  it('anchor needs a ws:// signaling URL and collects rooms', () => {
    expect(() => parseCommand(['anchor'])).toThrow(/needs --signaling/)
    expect(() => parseCommand(['anchor', '--signaling', 'http://x'])).toThrow(/ws:\/\/ or wss:\/\//)
    expect(parseCommand(['anchor', '--signaling', 'ws://a:1', '--signaling', 'wss://b', '--room', 'x', '--room', 'y', '--name', 'n', '--data', 'd']))
      .toEqual({ kind: 'anchor', args: { signaling: ['ws://a:1', 'wss://b'], rooms: ['x', 'y'], name: 'n', dataDir: 'd' } })
  })
})
