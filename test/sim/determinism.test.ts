import { expect, it } from 'vitest'
import { SimNetwork } from '@ymesh/sim'
import type { SimLink, TraceEvent } from '@ymesh/sim'
import { testSeed } from '../helpers/seed.js'
import { connect, u32 } from './wire.js'

/**
 * A non-trivial scenario: 12 peers in a ring with chords, jitter and loss, traffic driven by
 * each node's own rng and timers, settle() calls whose work completes in a random real-time
 * order, a partition that heals, a crash and a restart. Returns the whole trace.
 */
async function scenario (seed: number): Promise<TraceEvent[]> {
  const net = new SimNetwork({ seed, trace: true, deadPathTimeoutMs: 2000, link: { latencyMs: 10, jitterMs: 8, loss: 0.05 } })
  const ids = Array.from({ length: 12 }, (_, i) => `p${i}`)
  const transports = ids.map((id) => net.createTransport(id))
  const links: SimLink[] = []
  for (let i = 0; i < ids.length; i++) {
    for (const d of [1, 5]) {
      const [x, y] = await connect(net, transports[i]!, transports[(i + d) % ids.length]!)
      links.push(x, y)
    }
  }
  let received = 0
  for (const link of links) {
    link.on('message', (m) => {
      received++
      // Real WebCrypto: concurrent operations complete out of order.
      const work = crypto.subtle.digest('SHA-256', new Uint8Array(m))
      void link.node.clock.settle(work).then(() => {
        if (link.state === 'open' && link.node.rng.float() < 0.3) link.send(u32(received))
      })
    })
  }
  for (const t of transports) {
    t.clock.setInterval(() => {
      const open = t.links.filter((l) => l.state === 'open')
      if (open.length > 0) open[t.rng.int(open.length)]!.send(t.rng.bytes(1 + t.rng.int(300)))
    }, 20 + t.rng.int(20))
  }
  await net.sim.advance(300)
  const p = net.partition(ids.slice(0, 4), ids.slice(4, 8))
  await net.sim.advance(500)
  net.heal(p)
  net.crash('p3')
  await net.sim.advance(600)
  net.partitionGroups([['p0', 'p1'], ['p6', 'p7'], ['p9']])
  await net.sim.advance(2500)
  net.heal()
  net.restart('p3')
  await net.sim.advance(400)
  return net.sim.trace
}

it('replays the identical trace from the same seed, and a different one from another seed', async () => {
  const seed = testSeed()
  const first = await scenario(seed)
  const second = await scenario(seed)
  expect(first.length).toBeGreaterThan(2000)
  const kinds = new Set(first.map((e) => e.kind))
  for (const k of ['send', 'deliver', 'retransmit', 'settle', 'stall', 'partition', 'heal', 'crash', 'restart', 'close']) expect(kinds).toContain(k)
  // Compared as text: the same, event for event, or a diff of the first divergence.
  const text = (trace: TraceEvent[]): string => trace.map((e) => JSON.stringify(e)).join('\n')
  expect(text(second)).toBe(text(first))
  const other = await scenario(seed + 1)
  expect(text(other)).not.toBe(text(first))
})
