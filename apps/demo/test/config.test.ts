/** /config.json, served by `ymesh start` with the ports and anchor chosen at start. */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { loadConfig } from '../src/mesh/config'

const here = { hostname: 'demo.test' } as Location
const serve = (body: unknown, ok = true): void => {
  vi.stubGlobal('fetch', async () => ({ ok, json: async () => body }))
}

afterEach(() => { vi.unstubAllGlobals() })

describe('loadConfig', () => {
  it('uses the signaling URLs and the anchor the server gives', async () => {
    serve({ signaling: ['ws://127.0.0.1:5000'], anchor: 'anchor-id' })
    expect(await loadConfig(here)).toEqual({ signaling: ['ws://127.0.0.1:5000'], anchor: 'anchor-id' })
  })

  it('builds the URL from the page\'s host when the server binds every interface', async () => {
    serve({ signaling: [], signalingPort: 4555, anchor: null })
    expect(await loadConfig(here)).toEqual({ signaling: ['ws://demo.test:4555'], anchor: null })
  })

  it('falls back to the defaults of `npm start` without a config (vite dev)', async () => {
    serve({}, false)
    expect(await loadConfig(here)).toEqual({ signaling: ['ws://demo.test:4444'], anchor: null })
    vi.stubGlobal('fetch', async () => { throw new TypeError('offline') })
    expect(await loadConfig(here)).toEqual({ signaling: ['ws://demo.test:4444'], anchor: null })
  })
})
