import type { PeerId } from '@ymesh/protocol'
import { Simulator } from '@ymesh/sim'
import { createCoreMetrics, MemorySignalingHub } from '@ymesh/core'
import { testSeed } from '../../../../test/helpers/seed.js'
import { describeSignalingAcceptance } from './suite.js'

describeSignalingAcceptance({
  name: 'MemorySignalingHub on the simulator',
  async create () {
    const sim = new Simulator({ seed: testSeed() })
    const hub = new MemorySignalingHub({ clock: sim.clock, latencyMs: 10 })
    const raw = hub.createSource({ localPeer: 'r'.repeat(43) as PeerId, clock: sim.clock, rng: sim.rng })
    const sources: { stop(): void }[] = [raw]
    return {
      createSource (peer) {
        const metrics = createCoreMetrics()
        const source = hub.createSource({ localPeer: peer, clock: sim.createClock(), rng: sim.rng.fork(peer), metrics, reconnectMinMs: 100 })
        sources.push(source)
        return { source, metrics }
      },
      async waitFor (predicate, what) {
        const deadline = sim.now + 60_000
        await sim.runUntil(() => predicate() || sim.now > deadline, { maxEvents: 1_000_000 })
        await sim.advance(200)
        if (!predicate() || sim.now > deadline) throw new Error(`timed out waiting for ${what}`)
      },
      async rawPublish (topic, data) {
        // The hub's own channel, outside any client: what a misbehaving client would send.
        const channel = (hub as unknown as { connect: (p: PeerId, h: object) => { send: (m: object) => void } })
        const c = channel.connect('z'.repeat(43) as PeerId, { open: () => {}, message: () => {}, closed: () => {} })
        await sim.advance(50)
        c.send({ type: 'publish', topic, data })
        await sim.advance(50)
      },
      async restartServer () {
        hub.restart(500)
        await sim.advance(100)
      },
      async close () {
        for (const s of sources) s.stop()
        await sim.run({ maxEvents: 100_000 })
      }
    }
  }
})
