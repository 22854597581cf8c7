/// <reference lib="dom" />
/**
 * The GUI as a new user meets it: `clusterdesk serve` with real local engines, driven in real
 * headless Chromium. Every view is saved as a screenshot in .artifacts/screenshots (git ignores it).
 */
import { existsSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumPath, openApp, screenshot, serve, showView, type OpenApp, type Served } from '../helpers/browser'
import { waitGone } from '../helpers/cluster'

// CI installs Chromium and must run these; a developer machine without it is told so.
const noBrowser = !existsSync(chromiumPath) && !process.env.CI
if (noBrowser) console.warn(`skipping the GUI end-to-end tests: no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`)

describe.skipIf(noBrowser)('the GUI in Chromium against clusterdesk serve', () => {
  let app: OpenApp
  let served: Served
  let browser: Browser
  let page: Page
  let pageErrors: string[]

  beforeAll(async () => {
    app = await openApp()
    ;({ served, browser, page, pageErrors } = app)
  }, 60_000)

  afterAll(async () => {
    await app?.close()
  })

  const view = (name: string): Promise<void> => showView(page, name)

  it('adds a node and starts its engines', async () => {
    await view('nodes')
    // A node of two engines of its own (the default node, one engine per core, is left stopped).
    await page.getByTestId('node-add').click()
    await page.getByTestId('node-name').fill('Bench node')
    await page.getByTestId('node-engines').fill('2')
    await page.getByTestId('node-save').click()
    const row = page.getByTestId('node-row').filter({ hasText: 'Bench node' })
    await row.waitFor()
    await row.getByTestId('node-start').click()
    await row.getByTestId('node-state').filter({ hasText: 'ready' }).waitFor({ timeout: 20_000 })
    await screenshot(page, '1-nodes')

    await view('engines')
    for (const id of [0, 1]) await page.getByTestId(`engine-state-${id}`).filter({ hasText: 'idle' }).waitFor({ timeout: 20_000 })
    expect(await page.locator('[data-testid^="engine-row-"]').count()).toBe(2)
    await screenshot(page, '2-engines')
  })

  it('runs π and shows the estimate and the plots', async () => {
    await view('pi')
    await page.getByTestId('pi-samples').fill('2e7')
    await page.getByTestId('pi-tasks').fill('16')
    await page.getByTestId('pi-run').click()
    const estimate = page.getByTestId('pi-estimate')
    await estimate.waitFor({ timeout: 30_000 })
    const pi = Number(await estimate.textContent())
    expect(Math.abs(pi - Math.PI)).toBeLessThan(0.01)
    for (const chart of ['points', 'convergence', 'timeline', 'engines']) {
      const canvas = page.getByTestId(`pi-chart-${chart}`).locator('canvas')
      await canvas.first().waitFor()
      const box = await canvas.first().boundingBox()
      expect(box!.width, chart).toBeGreaterThan(100)
    }
    await screenshot(page, '3-pi')
  })

  it('runs every mode and compares them', async () => {
    await page.getByTestId('pi-samples').fill('4e6')
    await page.getByTestId('pi-run-all').click()
    const rows = page.getByTestId('pi-history-row')
    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(7)
    await page.getByTestId('pi-chart-modes').locator('canvas').first().waitFor({ timeout: 60_000 })
    await expect.poll(async () => (await page.getByTestId('pi-history').textContent()) ?? '', { timeout: 60_000 }).toContain('parallel-map')
    // The seeded kernel: every mode that draws all samples finds the same hits; the pitfall is named.
    const modes = page.getByTestId('pi-chart-modes')
    await expect.poll(async () => (await modes.getAttribute('aria-label')) ?? '', { timeout: 60_000 }).toContain('Every mode found the same hits')
    expect(await modes.getAttribute('aria-label')).toContain('lb-apply drew only part of the samples')
    await screenshot(page, '4-pi-every-mode')
  })

  it('runs T_T in the console and finds every engine\'s ReferenceError in Exceptions', async () => {
    await view('console')
    await page.getByTestId('console-input').fill('console.log("hello", 6 * 7)')
    await page.getByTestId('console-run').click()
    const hello = page.getByTestId('console-entry').filter({ hasText: 'console.log("hello"' })
    await expect.poll(async () => (await hello.textContent()) ?? '').toMatch(/\[stdout:0\]\s*hello 42[\s\S]*\[stdout:1\]\s*hello 42/)
    await page.getByTestId('console-input').fill('T_T')
    await page.getByTestId('console-run').click()
    const tt = page.getByTestId('console-entry').filter({ hasText: 'T_T' })
    await expect.poll(async () => (await tt.textContent()) ?? '').toContain('[1:execute] ReferenceError: T_T is not defined')
    expect(await tt.textContent()).toContain('[0:execute] ReferenceError: T_T is not defined')
    await screenshot(page, '5-console')

    await view('exceptions')
    const items = page.getByTestId('exception-item').filter({ hasText: 'T_T is not defined' })
    await expect.poll(() => items.count()).toBe(2)
    const text = (await page.getByTestId('exception-group').first().textContent()) ?? ''
    expect(text).toContain('ReferenceError')
    expect(text).toMatch(/\[0:execute\]|engine 0/)
    expect(text).toMatch(/\[1:execute\]|engine 1/)
    await screenshot(page, '6-exceptions')
  })

  it('shows an engine killed from outside as dead, with its exit', async () => {
    await view('engines')
    const pid = Number(await page.getByTestId('engine-row-1').getAttribute('data-pid'))
    expect(pid).toBeGreaterThan(1)
    process.kill(pid, 'SIGKILL')
    await page.getByTestId('engine-state-1').filter({ hasText: 'dead' }).waitFor({ timeout: 10_000 })
    expect(await page.getByTestId('engine-exit-code-1').textContent()).toContain('SIGKILL')
    expect(await waitGone([pid], 1000)).toEqual([])
    await screenshot(page, '7-engine-dead')
  })

  it('keeps nodes and run history across a reload', async () => {
    await view('pi')
    await page.reload()
    await page.getByTestId('connection-state').filter({ hasText: 'connected' }).waitFor()
    // Back on the π view, with the samples typed before the reload.
    await page.getByTestId('pi-run').waitFor()
    expect(await page.getByTestId('pi-samples').inputValue()).toBe('4e6')
    await expect.poll(() => page.getByTestId('pi-history-row').count()).toBeGreaterThanOrEqual(7)
    await view('nodes')
    await page.getByTestId('node-row').filter({ hasText: 'Bench node' }).waitFor()
    expect(pageErrors).toEqual([])
  })

  it('keeps nodes and run history when the server restarts on the same data directory', async () => {
    await served.stop()
    const again = await serve(served.dataDir)
    try {
      await page.goto(again.url)
      await page.getByTestId('connection-state').filter({ hasText: 'connected' }).waitFor()
      await view('nodes')
      await page.getByTestId('node-row').filter({ hasText: 'Bench node' }).waitFor()
      await view('pi')
      await expect.poll(() => page.getByTestId('pi-history-row').count()).toBeGreaterThanOrEqual(7)
      expect(await page.getByTestId('pi-history').textContent()).toContain('parallel-map')
    } finally {
      // The first server's URL is what the other tests and afterAll use; keep it pointing here.
      served.url = again.url
      served.stop = again.stop
    }
  })

  it('follows a dark system preference and stays usable in a small window', async () => {
    const dark = await browser.newPage({ viewport: { width: 640, height: 720 }, colorScheme: 'dark' })
    try {
      await dark.goto(served.url)
      await dark.getByTestId('connection-state').filter({ hasText: 'connected' }).waitFor()
      const background = await dark.evaluate(() => getComputedStyle(document.body).backgroundColor)
      const [r, g, b] = background.match(/\d+/g)!.map(Number)
      expect(r + g + b).toBeLessThan(150)
      await dark.getByTestId('nav-pi').click()
      await dark.getByTestId('pi-run').waitFor()
      // On screen, not just present: the Run button fits the small window.
      const run = (await dark.getByTestId('pi-run').boundingBox())!
      expect(run.x).toBeGreaterThanOrEqual(0)
      expect(run.x + run.width).toBeLessThanOrEqual(640)
      await screenshot(dark, '8-pi-dark-small')
    } finally {
      await dark.close()
    }
  })
})
