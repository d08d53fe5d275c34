import { expect, it } from 'vitest'
import { SimNetwork } from '@ymesh/sim'
import { testSeed } from '../helpers/seed.js'
import { connect, readU32, u32 } from './wire.js'

it('unreliable mode drops, duplicates and reorders at about the configured rates', async () => {
  const net = new SimNetwork({ seed: testSeed(), link: { latencyMs: 10, jitterMs: 2 } })
  const [la, lb] = await connect(net, net.createTransport('a'), net.createTransport('b'))
  net.setLink('a', 'b', { mode: 'unreliable', loss: 0.1, duplicate: 0.05, reorder: 0.1, reorderDelayMs: 30 })
  const got: number[] = []
  lb.on('message', (m) => got.push(readU32(m)))
  const n = 10_000
  // Spread sends over time so reordering is against neighbours, not all at one instant.
  let i = 0
  const timer = net.sim.clock.setInterval(() => { if (i < n) la.send(u32(i++)); else net.sim.clock.clearInterval(timer) }, 1)
  await net.sim.run()
  const distinct = new Set(got)
  const lossRate = 1 - distinct.size / n
  const dupRate = (got.length - distinct.size) / distinct.size
  let inversions = 0
  for (let k = 1; k < got.length; k++) if (got[k]! < got[k - 1]!) inversions++
  const inversionRate = inversions / got.length
  expect(lossRate).toBeGreaterThan(0.08)
  expect(lossRate).toBeLessThan(0.12)
  expect(dupRate).toBeGreaterThan(0.035)
  expect(dupRate).toBeLessThan(0.065)
  // A delayed message (10%) lands after ~15 later sends; each delayed one makes at least one inversion.
  expect(inversionRate).toBeGreaterThan(0.05)
  expect(inversionRate).toBeLessThan(0.3)
  // The reverse direction is still reliable: nothing lost, nothing reordered.
  const back: number[] = []
  la.on('message', (m) => back.push(readU32(m)))
  for (let k = 0; k < 1000; k++) lb.send(u32(k))
  await net.sim.run()
  expect(back).toEqual(Array.from({ length: 1000 }, (_, k) => k))
})

it('reliable mode with loss and jitter never drops or reorders, and loss shows as delay', async () => {
  const seed = testSeed()
  async function meanDelay (loss: number): Promise<number> {
    const net = new SimNetwork({ seed, link: { latencyMs: 10, jitterMs: 10, loss, rtoMs: 100 } })
    const [la, lb] = await connect(net, net.createTransport('a'), net.createTransport('b'))
    const sentAt: number[] = []
    const got: number[] = []
    let total = 0
    lb.on('message', (m) => { const k = readU32(m); got.push(k); total += net.sim.now - sentAt[k]! })
    let i = 0
    const timer = net.sim.clock.setInterval(() => { if (i < 2000) { sentAt.push(net.sim.now); la.send(u32(i++)) } else net.sim.clock.clearInterval(timer) }, 2)
    await net.sim.run()
    expect(got).toEqual(Array.from({ length: 2000 }, (_, k) => k))
    return total / got.length
  }
  const clean = await meanDelay(0)
  const lossy = await meanDelay(0.1)
  expect(lossy).toBeGreaterThan(clean + 5)
})
