/**
 * The app's Awareness (y-webrtc's `provider.awareness`, available synchronously) and the
 * engine's signed one (created when the engine starts) are kept as one: local changes of
 * the app's go to the engine, which signs and sends them; verified remote entries from the
 * engine are copied into the app's. Stock peers' entries are applied to the app's directly
 * (filtered by the provider).
 */
import { applyAwarenessUpdate, encodeAwarenessUpdate, type Awareness } from 'y-protocols/awareness'

export const BRIDGE_ORIGIN = 'ymesh'

interface Change { added: number[], updated: number[], removed: number[] }

/**
 * Moves the app's local entry to the doc's current clientID (the engine rebinds the clientID
 * at start, after the app may already have set a state under the old one).
 */
export const rebindLocalClient = (awareness: Awareness, clientId: number): void => {
  if (awareness.clientID === clientId) return
  const state = awareness.getLocalState()
  awareness.states.delete(awareness.clientID)
  awareness.meta.delete(awareness.clientID)
  awareness.clientID = clientId
  awareness.setLocalState(state)
}

export const bridgeAwareness = (app: Awareness, engine: Awareness): (() => void) => {
  engine.setLocalState(app.getLocalState())
  const fromApp = (_c: Change, origin: unknown): void => {
    if (origin === 'local') engine.setLocalState(app.getLocalState())
  }
  const fromEngine = ({ added, updated, removed }: Change, origin: unknown): void => {
    if (origin === 'local') return
    const changed = [...added, ...updated, ...removed].filter((c) => c !== app.clientID)
    if (changed.length > 0) applyAwarenessUpdate(app, encodeAwarenessUpdate(engine, changed), BRIDGE_ORIGIN)
  }
  app.on('update', fromApp)
  engine.on('update', fromEngine)
  return () => {
    app.off('update', fromApp)
    engine.off('update', fromEngine)
  }
}
