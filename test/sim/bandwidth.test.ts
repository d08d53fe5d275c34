import { expect, it } from 'vitest'
import { SimNetwork } from '@ymesh/sim'
import { testSeed } from '../helpers/seed.js'
import { connect } from './wire.js'

it('bandwidth shapes throughput: a bulk transfer takes size / bandwidth plus latency', async () => {
  const seed = testSeed()
  async function transferMs (bandwidth: number): Promise<number> {
    const net = new SimNetwork({ seed, link: { latencyMs: 20, bandwidth } })
    const [la, lb] = await connect(net, net.createTransport('a'), net.createTransport('b'))
    let bytes = 0
    lb.on('message', (m) => { bytes += m.length })
    const start = net.sim.now
    // 1 MiB in 64 KiB messages, paced by buffered-amount-low like a real sender.
    let sent = 0
    la.bufferedAmountLowThreshold = 128 * 1024
    const pump = (): void => {
      while (sent < 16 && la.bufferedAmount <= la.bufferedAmountLowThreshold) { la.send(new Uint8Array(64 * 1024)); sent++ }
    }
    la.on('buffered-amount-low', pump)
    pump()
    await net.sim.runUntil(() => bytes === 1024 * 1024)
    return net.sim.now - start
  }
  const fast = await transferMs(10_000_000)
  const slow = await transferMs(1_000_000)
  expect(fast).toBeCloseTo(1024 * 1024 / 10_000 + 20, 0)
  expect(slow).toBeCloseTo(1024 * 1024 / 1000 + 20, 0)
})
