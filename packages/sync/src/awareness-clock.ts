/**
 * y-protocols' Awareness keeps time with a real setInterval and Date.now(): it renews the
 * local entry every 15 s and drops remote entries not heard of for 30 s. On the simulator
 * that ties presence traffic to wall time — a slow run renews (and signs, and every peer
 * verifies) more often the slower it goes, and its timeouts differ from run to run. This
 * moves both duties onto the injected clock, with y-protocols' own periods.
 */
import { outdatedTimeout, removeAwarenessStates, type Awareness } from 'y-protocols/awareness'
import type { Clock } from '@ymesh/protocol'

interface Change { added: number[], updated: number[], removed: number[] }

/** Where y-protocols keeps its timer (not part of its typed surface). */
interface WithCheckInterval { _checkInterval: ReturnType<typeof setInterval> | null }

/**
 * Stops `awareness`'s own timer and runs renewal and timeouts on `clock` instead. Returns
 * the function that releases the clock's timer and the listener (call it before, or
 * instead of relying on, awareness.destroy()).
 */
export const driveAwarenessByClock = (awareness: Awareness, clock: Clock): (() => void) => {
  const internal = awareness as unknown as WithCheckInterval
  if (internal._checkInterval !== null) clearInterval(internal._checkInterval)
  internal._checkInterval = null
  const lastUpdated = new Map<number, number>()
  const now = clock.now()
  for (const clientId of awareness.states.keys()) lastUpdated.set(clientId, now)
  const onUpdate = ({ added, updated, removed }: Change): void => {
    const at = clock.now()
    for (const c of added) lastUpdated.set(c, at)
    for (const c of updated) lastUpdated.set(c, at)
    for (const c of removed) lastUpdated.delete(c)
  }
  awareness.on('update', onUpdate)
  const timer = clock.setInterval(() => {
    const at = clock.now()
    const own = awareness.clientID
    if (awareness.getLocalState() !== null && outdatedTimeout / 2 <= at - (lastUpdated.get(own) ?? at)) {
      awareness.setLocalState(awareness.getLocalState()) // renews: a new clock, so peers keep it
    }
    const outdated: number[] = []
    for (const [clientId, seen] of lastUpdated) {
      if (clientId !== own && outdatedTimeout <= at - seen && awareness.states.has(clientId)) outdated.push(clientId)
    }
    if (outdated.length > 0) removeAwarenessStates(awareness, outdated, 'timeout')
  }, Math.floor(outdatedTimeout / 10))
  return () => {
    clock.clearInterval(timer)
    awareness.off('update', onUpdate)
  }
}
