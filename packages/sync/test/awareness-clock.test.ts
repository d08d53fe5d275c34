import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness'
import { driveAwarenessByClock } from '@ymesh/sync'
import { ManualClock } from './helpers.js'

const cleanups: Array<() => void> = []
afterEach(() => { for (const f of cleanups.splice(0)) f() })

const make = (clock: ManualClock): Awareness => {
  const awareness = new Awareness(new Y.Doc())
  const release = driveAwarenessByClock(awareness, clock)
  cleanups.push(() => { release(); awareness.destroy() })
  return awareness
}

describe('driveAwarenessByClock', () => {
  it('renews the local entry every 15 s and drops remote entries after 30 s of the given clock, not of wall time', () => {
    const clock = new ManualClock()
    const local = make(clock)
    const remote = make(clock)
    local.setLocalState({ name: 'a' })
    remote.setLocalState({ name: 'b' })
    applyAwarenessUpdate(local, encodeAwarenessUpdate(remote, [remote.clientID]), 'net')
    const renewals: number[] = []
    local.on('update', ({ updated }: { updated: number[] }, origin: unknown) => {
      if (origin === 'local' && updated.includes(local.clientID)) renewals.push(clock.now())
    })
    const clockBefore = local.meta.get(local.clientID)?.clock ?? -1
    clock.advance(14_999)
    expect(renewals).toEqual([])
    clock.advance(1_000)
    expect(renewals).toEqual([15_000]) // checked every 3 s: the first check at or after 15 s
    expect(local.meta.get(local.clientID)?.clock).toBe(clockBefore + 1)
    expect(local.getStates().has(remote.clientID)).toBe(true)
    clock.advance(15_000) // 30 s without a word from the remote client
    expect(local.getStates().has(remote.clientID)).toBe(false)
    expect(local.getLocalState()).toEqual({ name: 'a' })
  })

  it('stops y-protocols\' own timer and releases its clock timer', () => {
    const clock = new ManualClock()
    const awareness = new Awareness(new Y.Doc())
    const release = driveAwarenessByClock(awareness, clock)
    expect((awareness as unknown as { _checkInterval: unknown })._checkInterval).toBe(null)
    expect(clock.pendingTimers).toBe(1)
    release()
    expect(clock.pendingTimers).toBe(0)
    awareness.destroy()
  })
})
