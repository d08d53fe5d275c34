/**
 * Shared machinery of the decoder fuzz tests: the seeded configuration (SEED, FUZZ_COUNT and
 * the replay line), hostile-input generators (mutated bytes, text and JSON values) and the
 * guard that tells a decoder's named errors from bugs. Not a test file: the fuzz files import it.
 *
 * A failure message always ends with `replay with SEED=… FUZZ_COUNT=…`: the whole run is a
 * pure function of those two numbers.
 */
import * as encoding from 'lib0/encoding'
import * as prng from 'lib0/prng'

export type Gen = prng.PRNG

export interface FuzzConfig {
  /** Inputs per decoder family (FUZZ_COUNT, default 50,000). */
  readonly count: number
  readonly seed: number
  /** The line that replays this run exactly. */
  readonly replay: string
  /** A test timeout that lets the full million finish. */
  readonly timeout: number
}

export const fuzzConfig = (): FuzzConfig => {
  const count = Number(process.env.FUZZ_COUNT ?? '') || 50_000
  const seed = Number(process.env.SEED ?? '') || Math.floor(Math.random() * 2 ** 31)
  return { count, seed, replay: `replay with SEED=${seed} FUZZ_COUNT=${count}`, timeout: Math.max(120_000, count * 0.5) }
}

export const int = (gen: Gen, min: number, max: number): number => prng.int32(gen, min, max)

export const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const part of parts) { out.set(part, offset); offset += part.length }
  return out
}

const varUintBytes = (value: number): Uint8Array => encoding.encode((e) => encoding.writeVarUint(e, value))

const BIG_LENGTHS = [128, 16_384, 65_536, 2 ** 24, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1]

/**
 * One hostile byte string: noise (1 in 10, sometimes around 16 KiB), or a valid input after
 * 1–3 rounds of bit flips, insertions, deletions, truncation, length-field inflation,
 * boundary bytes and splices with another valid input.
 */
export const mutateBytes = (gen: Gen, corpus: readonly Uint8Array[]): Uint8Array => {
  if (int(gen, 0, 9) === 0) return prng.uint8Array(gen, int(gen, 0, 99) === 0 ? int(gen, 16_000, 17_000) : int(gen, 0, 64))
  let bytes: Uint8Array = Uint8Array.from(prng.oneOf(gen, corpus as Uint8Array[]))
  const rounds = int(gen, 1, 3)
  for (let r = 0; r < rounds; r++) {
    const at = int(gen, 0, bytes.length)
    switch (int(gen, 0, 6)) {
      case 0: // bit flips
        for (let i = int(gen, 1, 4); i > 0 && bytes.length > 0; i--) {
          const p = int(gen, 0, bytes.length - 1)
          bytes[p] = (bytes[p] as number) ^ (1 << int(gen, 0, 7))
        }
        break
      case 1: // insertion
        bytes = concat(bytes.subarray(0, at), prng.uint8Array(gen, int(gen, 1, 8)), bytes.subarray(at))
        break
      case 2: // deletion
        bytes = concat(bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + int(gen, 1, 8))))
        break
      case 3: // truncation
        bytes = bytes.subarray(0, at)
        break
      case 4: { // length-field inflation: overwrite a byte with a large varUint
        const big = varUintBytes(int(gen, 0, 3) === 0 ? int(gen, 0, 2 ** 30) : prng.oneOf(gen, BIG_LENGTHS))
        bytes = concat(bytes.subarray(0, at), big, bytes.subarray(Math.min(bytes.length, at + 1)))
        break
      }
      case 5: // boundary bytes
        if (bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = prng.oneOf(gen, [0x00, 0x7f, 0x80, 0xff])
        break
      default: { // splice with another valid input
        const other = prng.oneOf(gen, corpus as Uint8Array[])
        bytes = concat(bytes.subarray(0, at), other.subarray(int(gen, 0, other.length)))
      }
    }
  }
  return bytes
}

/** Every proper prefix of `bytes` is a truncation a torn frame or write could produce. */
export const truncations = (bytes: Uint8Array): Uint8Array[] => Array.from({ length: bytes.length }, (_, i) => bytes.subarray(0, i))

// Characters that matter to text grammars: JSON syntax, URL and SDP separators, escapes,
// lone surrogates, NUL, and characters outside the base64url alphabet.
const SPECIAL_CHARS = ['"', '\\', '{', '}', '[', ']', ',', ':', '.', '#', '?', '&', '=', '%', '/', '\r', '\n', ' ', '\u0000',
  '\ud800', '\udfff', '\u00e9', '\u{1f600}', '+', '-', '_', 'e', '0', '9', 'A', 'z', '=', '\\u0000', '\\ud800', 'null', 'true']

const randomText = (gen: Gen, length: number): string => {
  let s = ''
  for (let i = 0; i < length; i++) s += int(gen, 0, 2) === 0 ? prng.oneOf(gen, SPECIAL_CHARS) : String.fromCharCode(int(gen, 32, 126))
  return s
}

/**
 * One hostile string: noise, deep nesting, or a valid input after character flips,
 * insertions (often of syntax characters), deletions, truncation, duplication and splices.
 */
export const mutateText = (gen: Gen, corpus: readonly string[]): string => {
  const roll = int(gen, 0, 19)
  if (roll === 0) return randomText(gen, int(gen, 0, int(gen, 0, 9) === 0 ? 5000 : 80))
  if (roll === 1) { // deep nesting, for recursive parsers and serializers
    const depth = prng.oneOf(gen, [10, 100, 1000, 5000])
    const open = prng.oneOf(gen, ['[', '{"a":'])
    return prng.oneOf(gen, corpus as string[]).slice(0, int(gen, 0, 40)) + open.repeat(depth) + '1' + (open === '[' ? ']' : '}').repeat(depth)
  }
  let s = prng.oneOf(gen, corpus as string[])
  const rounds = int(gen, 1, 3)
  for (let r = 0; r < rounds; r++) {
    const at = int(gen, 0, s.length)
    switch (int(gen, 0, 5)) {
      case 0: // character flip
        if (s.length > 0) s = s.slice(0, at) + String.fromCharCode(s.charCodeAt(Math.min(at, s.length - 1)) ^ (1 << int(gen, 0, 7))) + s.slice(at + 1)
        break
      case 1: // insertion
        s = s.slice(0, at) + randomText(gen, int(gen, 1, 4)) + s.slice(at)
        break
      case 2: // deletion
        s = s.slice(0, at) + s.slice(at + int(gen, 1, 8))
        break
      case 3: // truncation
        s = s.slice(0, at)
        break
      case 4: // duplication of a stretch
        s = s.slice(0, at) + s.slice(at, at + int(gen, 1, 64)).repeat(int(gen, 2, 50)) + s.slice(at)
        break
      default: { // splice
        const other = prng.oneOf(gen, corpus as string[])
        s = s.slice(0, at) + other.slice(int(gen, 0, other.length))
      }
    }
  }
  return s
}

/** A random JSON value (what a hostile peer can put where a field is expected). */
export const randomJson = (gen: Gen, depth = 0): unknown => {
  switch (int(gen, 0, depth > 2 ? 5 : 7)) {
    case 0: return null
    case 1: return prng.bool(gen)
    case 2: return prng.oneOf(gen, [0, -1, 1, 0.5, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, Number.MAX_SAFE_INTEGER, int(gen, -1000, 1000)])
    case 3: return randomText(gen, int(gen, 0, 50))
    case 4: return prng.oneOf(gen, ['', 'x'.repeat(int(gen, 40, 45)), 'x'.repeat(10_000), '__proto__', 'constructor'])
    case 5: return int(gen, 0, 1) === 0 ? [] : {}
    case 6: return Array.from({ length: int(gen, 0, 4) }, () => randomJson(gen, depth + 1))
    default: return Object.fromEntries(Array.from({ length: int(gen, 0, 4) }, () => [prng.oneOf(gen, ['type', 'a', '__proto__', 'toString', '']), randomJson(gen, depth + 1)]))
  }
}

/**
 * A valid JSON value after 1–3 structural mutations: a field removed, replaced by a random
 * value, or its string mutated; arrays shortened, grown or their elements replaced.
 */
export const mutateJson = (gen: Gen, value: unknown, stringCorpus: readonly string[] = ['']): unknown => {
  const clone = JSON.parse(JSON.stringify(value)) as unknown
  const rounds = int(gen, 1, 3)
  let out = clone
  for (let r = 0; r < rounds; r++) out = mutateNode(gen, out, stringCorpus, 0)
  return out
}

const mutateNode = (gen: Gen, node: unknown, strings: readonly string[], depth: number): unknown => {
  if (typeof node === 'string' && int(gen, 0, 1) === 0) return mutateText(gen, [node, ...strings])
  if (Array.isArray(node) && node.length > 0 && int(gen, 0, 2) > 0) {
    const i = int(gen, 0, node.length - 1)
    switch (int(gen, 0, 3)) {
      case 0: return node.slice(0, i)
      case 1: return [...node, ...node.slice(i)]
      default: node[i] = mutateNode(gen, node[i], strings, depth + 1); return node
    }
  }
  if (node !== null && typeof node === 'object' && !Array.isArray(node) && int(gen, 0, 4) > 0) {
    const o = node as Record<string, unknown>
    const keys = Object.keys(o)
    if (keys.length === 0) return node
    const key = prng.oneOf(gen, keys)
    switch (int(gen, 0, 3)) {
      case 0: delete o[key]; return o
      case 1: o[key] = randomJson(gen); return o
      default: o[key] = mutateNode(gen, o[key], strings, depth + 1); return o
    }
  }
  return int(gen, 0, 3) === 0 && depth > 0 ? node : randomJson(gen)
}

const show = (input: unknown): string => {
  if (input instanceof Uint8Array) return `${Buffer.from(input.subarray(0, 96)).toString('hex')}${input.length > 96 ? '…' : ''} (${input.length} bytes)`
  const text = typeof input === 'string' ? input : JSON.stringify(input) ?? String(input)
  return `${JSON.stringify(text.slice(0, 200))}${text.length > 200 ? '…' : ''} (${text.length} chars)`
}

/**
 * Counts, per decoder, how many inputs it accepted; throws (with the input and the replay
 * line) on anything but an allowed named error. `allowed` empty: the decoder must not throw.
 */
export class Harness {
  readonly accepted: Record<string, number> = {}
  readonly rejected: Record<string, number> = {}

  constructor (private readonly replay: string) {}

  private fail (name: string, iteration: number, input: unknown, err: unknown): never {
    throw new Error(`${name} threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} at iteration ${iteration} ` +
      `on input ${show(input)}; ${this.replay}`, { cause: err })
  }

  private count (name: string, ok: boolean): boolean {
    const table = ok ? this.accepted : this.rejected
    table[name] = (table[name] ?? 0) + 1
    this.accepted[name] ??= 0
    return ok
  }

  /** Runs `fn`; true if it returned, false on an allowed error. `fn` may return false to count a rejection (a null result). */
  run (name: string, allowed: ReadonlySet<string>, iteration: number, input: unknown, fn: () => unknown): boolean {
    try {
      return this.count(name, fn() !== false)
    } catch (err) {
      if (err instanceof Error && allowed.has(err.name)) return this.count(name, false)
      this.fail(name, iteration, input, err)
    }
  }

  async runAsync (name: string, allowed: ReadonlySet<string>, iteration: number, input: unknown, fn: () => Promise<unknown>): Promise<boolean> {
    try {
      return this.count(name, (await fn()) !== false)
    } catch (err) {
      if (err instanceof Error && allowed.has(err.name)) return this.count(name, false)
      this.fail(name, iteration, input, err)
    }
  }

  /** Each decoder must have accepted some input (the mutations reach past the first field) and rejected some. */
  summary (): string {
    return Object.keys(this.accepted).map((k) => `${k} ${this.accepted[k]}/${(this.accepted[k] ?? 0) + (this.rejected[k] ?? 0)}`).join(', ')
  }
}

/** Heap growth across a run: nothing is retained across inputs, so growth stays bounded. */
export const heapUsed = (): number => process.memoryUsage().heapUsed
export const MAX_HEAP_GROWTH = 256 * 1024 * 1024
