import { SimNetwork } from '@ymesh/sim'
import { testSeed } from '../helpers/seed.js'
import { describeTransportAcceptance } from '../transport-acceptance/suite.js'
import type { TransportHarness } from '../transport-acceptance/suite.js'

/** Virtual time a waitFor may take before it fails. */
const WAIT_LIMIT_MS = 120_000

function simHarness (loss: number): TransportHarness {
  return {
    name: `simulator, reliable mode, ${loss * 100}% loss`,
    async createPair () {
      const net = new SimNetwork({ seed: testSeed(), link: { loss, jitterMs: 5, latencyMs: 15 } })
      const a = net.createTransport('alice')
      const b = net.createTransport('bob')
      return {
        a,
        b,
        async waitFor (predicate, what) {
          const deadline = net.sim.now + WAIT_LIMIT_MS
          const result = await net.sim.runUntil(() => predicate() || net.sim.now >= deadline, { maxEvents: 2_000_000 })
          if (!predicate()) {
            throw new Error(`timed out waiting for ${what} (${result.reason} at virtual ${net.sim.now} ms)`)
          }
        },
        async vanish (side) {
          net.crash(side === 'a' ? 'alice' : 'bob')
        },
        async close () {
          a.close()
          b.close()
          await net.sim.run()
        }
      }
    }
  }
}

describeTransportAcceptance(simHarness(0))
describeTransportAcceptance(simHarness(0.05))
