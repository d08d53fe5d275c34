import { defineConfig } from '@playwright/test'

// Debian's Chromium: Playwright's own browser builds cannot be downloaded everywhere we run.
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'
]

export default defineConfig({
  testDir: './e2e',
  globalSetup: './e2e/global-setup.ts',
  // Screenshots of the chat and the network panel are written here by the tests (kept when they pass).
  outputDir: '../../test-results/demo-e2e',
  preserveOutput: 'always',
  // One set of real processes (signaling, anchor, web) serves the whole file; the steps build on each other.
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  // A failed step prints its diagnostics (server and anchor output, each page's network panel and
  // console) and the file runs once more from fresh processes; the report marks that as flaky.
  retries: 1,
  expect: { timeout: 20_000 },
  reporter: process.env.CI === undefined ? 'list' : [['list'], ['html', { open: 'never', outputFolder: '../../playwright-report' }]],
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure'
  }
})
