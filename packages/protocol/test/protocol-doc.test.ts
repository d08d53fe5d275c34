import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as protocol from '@ymesh/protocol'

const spec = readFileSync(new URL('../PROTOCOL.md', import.meta.url), 'utf8')

/** The rows of the first markdown table after `heading`, as arrays of trimmed cells. */
const tableAfter = (heading: string): string[][] => {
  const start = spec.indexOf(`\n${heading}\n`)
  expect(start, `PROTOCOL.md has a "${heading}" section`).toBeGreaterThanOrEqual(0)
  const lines = spec.slice(start).split('\n')
  const first = lines.findIndex((line) => line.startsWith('|'))
  const rows: string[][] = []
  for (const line of lines.slice(first + 2)) { // skip the header row and the |---| row
    if (!line.startsWith('|')) break
    rows.push(line.slice(1, -1).split('|').map((cell) => cell.trim()))
  }
  return rows
}

// Every exported UPPER_CASE value is a protocol constant, except these two tables of their own.
const NOT_LIMITS = new Set(['TAGS', 'PROTOCOL_ERROR_NAMES'])
const constants = Object.entries(protocol).filter(([name]) => /^[A-Z][A-Z0-9_]+$/.test(name) && !NOT_LIMITS.has(name))

describe('PROTOCOL.md', () => {
  it('tag table lists exactly the tags in the code, with the same names', () => {
    const documented = tableAfter('## Tags').map(([tag, name]) => ({ tag: Number(tag), name }))
    expect(documented).toEqual(protocol.TAGS.map(({ tag, name }) => ({ tag, name })))
  })

  it('documents a grammar or "reserved" for every tag, matching its status', () => {
    for (const [tag, , use, grammar] of tableAfter('## Tags')) {
      const status = protocol.tagInfo(Number(tag))?.status
      expect(grammar, `tag ${tag}`).not.toBe('')
      expect(grammar === 'reserved', `tag ${tag} grammar`).toBe(status === 'reserved')
      if (status === 'reserved') expect(use, `tag ${tag}`).toMatch(/^reserved/)
    }
  })

  it('limits table documents every constant with its value, and only existing constants', () => {
    const rows = tableAfter('## Limits').map(([name, value]) => [name!.replace(/`/g, ''), JSON.parse(value!.replace(/`/g, '')) as unknown])
    const documented = Object.fromEntries(rows)
    expect(rows.length).toBe(Object.keys(documented).length) // no duplicates
    expect(documented).toEqual(Object.fromEntries(constants.map(([name, value]) => [name, Array.isArray(value) ? [...value] : value])))
  })

  it('errors table names every error class', () => {
    const documented = tableAfter('## Errors').map(([name]) => name!.replace(/`/g, ''))
    expect(['ProtocolError', ...documented].sort()).toEqual([...protocol.PROTOCOL_ERROR_NAMES].sort())
  })
})
