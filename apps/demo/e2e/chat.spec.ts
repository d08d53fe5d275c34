import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../playwright.config'
import { REPO, startServers, type Servers } from './servers'

test.describe.configure({ mode: 'serial' })

const ROOM = 'general'
let servers: Servers
let browser: Browser
let alice: Page
let bob: Page
let bobContext: BrowserContext
let bobProfile: string
let carol: Page | undefined
/** What each page printed to its console (the demo logs the mesh's warnings there), for failed steps. */
const consoles = new Map<string, string[]>()
const recordConsole = (name: string, page: Page): void => {
  const lines: string[] = []
  consoles.set(name, lines)
  page.on('console', (m) => { if (lines.length < 500) lines.push(`${m.type()}: ${m.text()}`) })
  page.on('pageerror', (e) => { lines.push(`pageerror: ${e.message}`) })
}

const messageInput = (page: Page) => page.getByRole('textbox', { name: 'Message' })
const send = async (page: Page, text: string): Promise<void> => {
  await messageInput(page).fill(text)
  await page.getByRole('button', { name: 'Send' }).click()
}
const messages = (page: Page) => page.getByRole('list', { name: 'Messages' })
// Tall enough that the screenshots hold the whole network panel (graph, peers, routes, server load).
const VIEWPORT = { width: 1280, height: 1100 }
const peerRows = (page: Page) => page.getByTestId('peer-row')
const networkPanel = (page: Page) => page.getByRole('complementary', { name: 'Network' })
/** Saves a screenshot as a test artifact (kept in test-results/demo-e2e and attached to the report). */
const keep = async (name: string, target: Page | ReturnType<typeof networkPanel>): Promise<void> => {
  const path = test.info().outputPath(`${name}.png`)
  await target.screenshot({ path })
  await test.info().attach(name, { path, contentType: 'image/png' })
}
/** Every connection says how it was signaled, and the panel shows the server-load numbers. */
const expectSignaling = async (page: Page): Promise<void> => {
  for (const cell of await networkPanel(page).getByTestId('signaled').all()) await expect(cell).toHaveText(/^(relayed|server|mixed)$/)
  await expect(networkPanel(page).getByTestId('signals-server')).toHaveText(/^\d+$/)
  await expect(networkPanel(page).getByTestId('signal-saving')).toHaveText(/^\d+%$/)
}
const openBob = async (): Promise<Page> => {
  bobContext = await chromium.launchPersistentContext(bobProfile, { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, viewport: VIEWPORT })
  const page = bobContext.pages()[0] ?? await bobContext.newPage()
  recordConsole('bob', page)
  return page
}

test.beforeAll(async () => {
  servers = await startServers()
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
  bobProfile = await mkdtemp(join(tmpdir(), 'ymesh-e2e-bob-'))
})

// A failed step prints (and attaches) what the signaling server and the anchor printed (a crash
// shows up there), each open page's network panel and console: CI keeps only its output.
// eslint-disable-next-line no-empty-pattern -- Playwright reads fixtures from a destructuring pattern; this hook needs none
test.afterEach(async ({}, info) => {
  if (info.status === info.expectedStatus) return
  const parts = [`--- ymesh start output ---\n${servers?.log() ?? '(not started)'}`]
  for (const [name, page] of [['alice', alice], ['bob', bob], ['carol', carol]] as Array<[string, Page | undefined]>) {
    if (page === undefined || page.isClosed()) continue
    const panel = await networkPanel(page).innerText({ timeout: 2_000 }).catch((e: unknown) => `(unreadable: ${String(e)})`)
    parts.push(`--- ${name}: network panel ---\n${panel}`, `--- ${name}: console ---\n${(consoles.get(name) ?? []).join('\n')}`)
  }
  const body = parts.join('\n')
  await info.attach('diagnostics.txt', { body, contentType: 'text/plain' })
  console.log(body)
})

test.afterAll(async () => {
  await bobContext?.close().catch(() => {})
  await browser?.close()
  await servers?.stop()
  if (bobProfile !== undefined) await rm(bobProfile, { recursive: true, force: true })
})

test('two browsers chat both ways over WebRTC', async () => {
  alice = await (await browser.newContext({ viewport: VIEWPORT })).newPage()
  recordConsole('alice', alice)
  await alice.goto(`${servers.webUrl}/?room=${ROOM}&name=Alice`)
  bob = await openBob()
  await bob.goto(`${servers.webUrl}/?room=${ROOM}&name=Bob`)
  // Both see each other as WebRTC peers (the anchor is a third).
  await expect(peerRows(alice).filter({ hasText: 'Bob' })).toHaveCount(1)
  await expect(peerRows(bob).filter({ hasText: 'Alice' })).toHaveCount(1)
  await send(alice, 'hello bob')
  await expect(messages(bob).getByText('hello bob')).toBeVisible()
  await send(bob, 'hi alice')
  await expect(messages(alice).getByText('hi alice')).toBeVisible()
  // Bob has the room open, so Alice's message reaches "read".
  await expect(alice.locator('li.message', { hasText: 'hello bob' }).locator('.status')).toHaveText('read')
  await expect(peerRows(alice).filter({ hasText: 'anchor' })).toHaveCount(1)
  await expectSignaling(alice)
  // The connections' pings (every 2 s) measured an RTT.
  await expect(peerRows(alice).filter({ hasText: 'Bob' })).toContainText(' ms')
  await keep('chat', alice)
  await keep('network-panel', networkPanel(alice))
})

test('a late joiner gets the history', async () => {
  carol = await (await browser.newContext({ viewport: VIEWPORT })).newPage()
  recordConsole('carol', carol)
  await carol.goto(`${servers.webUrl}/?room=${ROOM}&name=Carol`)
  await expect(messages(carol).getByText('hello bob')).toBeVisible()
  await expect(messages(carol).getByText('hi alice')).toBeVisible()
  await expect(peerRows(carol).filter({ hasText: 'anchor' })).toHaveCount(1)
  await expectSignaling(carol)
  await expect(peerRows(carol).filter({ hasText: 'Alice' })).toContainText(' ms')
  await keep('network-panel-late-joiner', networkPanel(carol))
  await carol.context().close()
})

test('an offline member gets what was sent meanwhile, with the right statuses', async () => {
  test.setTimeout(120_000)
  await bobContext.close()
  // Closing the browser profile cuts its WebRTC connections (setOffline would not).
  await expect(peerRows(alice).filter({ hasText: 'Bob' })).toHaveCount(0)
  await send(alice, 'while you were away')
  const mine = alice.locator('li.message', { hasText: 'while you were away' }).locator('.status')
  // Only the anchor has it: stored, not delivered.
  await expect(mine).toHaveText('stored')
  await keep('stored-while-away', alice)
  bob = await openBob()
  // No parameters: the room, the name and the history come from Bob's browser profile.
  await bob.goto(servers.webUrl)
  // A returning peer finds the room through the server's rendezvous members; when its first
  // announce goes unanswered it re-announces with backoff (3 s, 6 s, 12 s, ...), so allow longer.
  await expect(messages(bob).getByText('while you were away')).toBeVisible({ timeout: 60_000 })
  await expect(bob.getByRole('textbox', { name: 'Display name' })).toHaveValue('Bob')
  await expect(messages(bob).getByText('hello bob')).toBeVisible()
  await expect(mine).toHaveText('read')
  await expect(peerRows(alice).filter({ hasText: 'Bob' })).toHaveCount(1)
  await keep('after-offline', alice)
})

test('a reload keeps the history (IndexedDB)', async () => {
  await alice.reload()
  await expect(messages(alice).getByText('while you were away')).toBeVisible()
  const dbs = await alice.evaluate(async () => (await indexedDB.databases()).map((d) => d.name ?? ''))
  expect(dbs.some((n) => n.endsWith(`:${ROOM}`))).toBe(true)
})

test('a stock y-webrtc peer sees a browser\'s edits', async () => {
  const peer = spawn(process.execPath, [join(REPO, 'apps/demo/e2e/stock-peer.mjs'), servers.signalingUrl, ROOM, 'for the stock peer'], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  const seen = new Promise<string>((resolve) => {
    peer.stdout.on('data', (c: Buffer) => { out += c.toString() })
    peer.once('exit', () => { resolve(out) })
  })
  await send(alice, 'for the stock peer')
  expect((await seen).trim()).toBe('seen')
})
