import { onTestFailed } from 'vitest'

/**
 * The seed for the current test: SEED from the environment when set (to replay), otherwise a
 * fresh random one. Call it inside a test: if that test fails, `SEED=<n>` is printed, and
 * `SEED=<n> npm test` (or `SEED=<n> npx vitest run ...`) replays it exactly.
 */
export function testSeed (): number {
  const fromEnv = process.env.SEED
  let seed: number
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    seed = Number(fromEnv)
    if (!Number.isSafeInteger(seed)) throw new Error(`SEED must be an integer, got ${JSON.stringify(fromEnv)}`)
  } else {
    // Math.random only picks the seed; everything after it is derived from the seed.
    seed = Math.floor(Math.random() * 0x100000000)
  }
  onTestFailed(({ task }) => {
    console.error(`\n${task.name} failed with SEED=${seed}; replay: SEED=${seed} npx vitest run ${task.file?.name ?? ''}\n`)
  })
  return seed
}
