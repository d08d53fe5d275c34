/** Runtime configuration served by `ymesh start` at /config.json (ports are chosen at start). */
export interface DemoConfig {
  readonly signaling: string[]
  readonly anchor: string | null
}

export const loadConfig = async (location: Location = window.location): Promise<DemoConfig> => {
  try {
    const res = await fetch('/config.json', { cache: 'no-store' })
    if (res.ok) {
      const c = await res.json() as { signaling?: string[], signalingPort?: number, anchor?: string | null }
      const signaling = c.signaling !== undefined && c.signaling.length > 0
        ? c.signaling
        : [`ws://${location.hostname}:${c.signalingPort ?? 4444}`]
      return { signaling, anchor: c.anchor ?? null }
    }
  } catch {
    // `vite dev` serves no /config.json: fall through to the default ports of `npm start`.
  }
  return { signaling: [`ws://${location.hostname}:4444`], anchor: null }
}
