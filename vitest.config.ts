import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defaultServerConditions } from 'vite'
import vue from '@vitejs/plugin-vue'
import { configDefaults, defineConfig } from 'vitest/config'

const root = fileURLToPath(new URL('.', import.meta.url))

// Tests run against the packages' TypeScript sources, not their built dist/.
const alias = Object.fromEntries(
  readdirSync(new URL('./packages', import.meta.url), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(`${root}packages/${d.name}/package.json`))
    .map((d) => {
      const pkg = JSON.parse(readFileSync(`${root}packages/${d.name}/package.json`, 'utf8')) as { name: string }
      return [pkg.name, `${root}packages/${d.name}/src/index.ts`]
    })
)

// Every package with real code gets a line-coverage floor of its own.
// (Vitest matches threshold globs against paths relative to the root.)
const packageThresholds = Object.fromEntries(
  Object.values(alias).map((entry) => [entry.slice(root.length).replace(/src\/index\.ts$/, 'src/**'), { lines: 90 }])
)

export default defineConfig({
  // 'source' makes package exports and imports maps (e.g. @ymesh/core's #webrtc) resolve to
  // TypeScript sources; the alias covers the package entry points themselves.
  // Exact-match aliases, so subpath exports (e.g. '@ymesh/sync/node') resolve through the
  // 'source' condition rather than being glued onto index.ts.
  resolve: {
    alias: Object.entries(alias).map(([find, replacement]) => ({ find: new RegExp(`^${find.replace('/', '\\/')}$`), replacement })),
    conditions: ['source', ...defaultServerConditions]
  },
  ssr: { resolve: { conditions: ['source', ...defaultServerConditions] } },
  test: {
    // Projects run in groups, in order: pure tests (unit, demo, fuzz) together, then the
    // simulator, then real WebRTC and servers, then timing comparisons alone.
    // A failing simulator test prints its seed; `SEED=<n> npm test` replays it.
    env: { SEED: process.env.SEED ?? '' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'packages/*/test/**/*.timing.test.ts'],
          // Some run real wrtc links (tens of MiB through a data channel) while the project's
          // files run in parallel on 2 cores: the timeout only guards against a hang.
          testTimeout: 30_000,
          sequence: { groupOrder: 0 }
        }
      },
      {
        extends: true,
        test: {
          name: 'sim',
          include: ['test/sim/**/*.test.ts'],
          // Simulator runs are deterministic: a timeout only guards against a hang. Their wall
          // time is mostly real crypto, which a busy machine slows several-fold.
          testTimeout: 240_000,
          sequence: { groupOrder: 1 }
        }
      },
      {
        extends: true,
        plugins: [vue()],
        test: {
          name: 'demo',
          include: ['apps/demo/src/**/*.test.ts', 'apps/demo/test/**/*.test.ts'],
          environment: 'happy-dom',
          setupFiles: ['fake-indexeddb/auto'],
          sequence: { groupOrder: 0 }
        }
      },
      {
        extends: true,
        test: { name: 'fuzz', include: ['test/fuzz/**/*.test.ts'], testTimeout: 120_000, sequence: { groupOrder: 0 } }
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Real WebRTC and real servers: one file at a time keeps 2 cores from thrashing.
          fileParallelism: false,
          sequence: { groupOrder: 2 }
        }
      },
      {
        extends: true,
        test: {
          // Tests that compare timings measured in the same run (e.g. the signaling server's
          // round trips with and without a flood): they run last and alone, so other test
          // files do not take the CPU from one side of the comparison.
          name: 'timing',
          include: ['packages/*/test/**/*.timing.test.ts', 'test/**/*.timing.test.ts'],
          sequence: { groupOrder: 3 }
        }
      }
    ],
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts'],
      exclude: ['packages/*/src/**/*.d.ts', 'packages/*/src/bin/**'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: packageThresholds
    }
  }
})
