/// <reference lib="dom" />
/**
 * The app with hundreds of engines (issue #11), in real headless Chromium against `clusterdesk
 * serve`: one local node of 256 real engines, kept busy by a script connected from outside. The
 * Engines page lists all 256, its counts add up, a row far down can be reached and expanded, and
 * the cluster page's task stream counts every task. The page's longest main-thread block while
 * they run is reported, not asserted.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { chromiumPath, SCREENSHOT_DIR, showView, useAppInFreshHome } from '../helpers/browser'
import { clientProcess, exited } from '../helpers/clientProcess'

const ENGINES = Number(process.env.MANY_ENGINES ?? 256)
const TASKS = 4000

const noBrowser = !existsSync(chromiumPath) && !process.env.CI
if (noBrowser) console.warn(`skipping the many-engines end-to-end test: no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`)

interface Blocks {
  longest: number
  gaps: number
  long: number
}

/** Starts recording the page's long tasks and longest gap between frames. */
async function watchBlocks(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { blocks: Blocks }
    w.blocks = { longest: 0, gaps: 0, long: 0 }
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        w.blocks.longest = Math.max(w.blocks.longest, e.duration)
        w.blocks.long++
      }
    }).observe({ type: 'longtask', buffered: false })
    let last = performance.now()
    const frame = (now: number): void => {
      w.blocks.gaps = Math.max(w.blocks.gaps, now - last)
      last = now
      requestAnimationFrame(frame)
    }
    requestAnimationFrame(frame)
  })
}

const readBlocks = (page: Page): Promise<Blocks> => page.evaluate(() => (window as unknown as { blocks: Blocks }).blocks)

describe.skipIf(noBrowser)(`the app with ${ENGINES} engines, in Chromium`, () => {
  const opened = useAppInFreshHome('cdh-many-')
  let page: Page
  beforeAll(() => {
    page = opened.page
  })
  const view = (name: string): Promise<void> => showView(page, name)
  const count = async (state: string): Promise<number> => {
    const text = (await page.locator('.counts').textContent()) ?? ''
    return Number(new RegExp(`(\\d+) ${state}`).exec(text)?.[1] ?? 0)
  }

  it(`lists ${ENGINES} busy engines and stays usable (the longest main-thread block is reported)`, async () => {
    await view('nodes')
    await page.getByTestId('node-add').click()
    await page.getByTestId('node-name').fill('Many')
    await page.getByTestId('node-engines').fill(String(ENGINES))
    await page.getByTestId('node-save').click()
    const row = page.getByTestId('node-row').filter({ hasText: 'Many' })
    await row.waitFor()
    await row.getByTestId('node-start').click()
    await row.getByTestId('node-state').filter({ hasText: 'ready' }).waitFor({ timeout: 300_000 })

    await view('engines')
    await expect.poll(() => count('idle'), { timeout: 30_000 }).toBe(ENGINES)
    await watchBlocks(page)
    // Tasks of ~20 ms: every engine turns busy and idle again many times while the page watches.
    const started = Date.now()
    const { child } = await clientProcess(`
      const rc = await connect({ profile: 'app' })
      console.log(rc.ids.length)
      const spin = (x) => { const t = Date.now(); while (Date.now() - t < 20); return x }
      const out = await rc.loadBalancedView().map(spin, Array.from({ length: ${TASKS} }, (_, i) => i), { chunkSize: 1 })
      const ok = out.length === ${TASKS} && out.every((x, i) => x === i)
      await rc.close()
      process.exit(ok ? 0 : 1)
    `)
    await expect.poll(() => count('busy'), { timeout: 60_000 }).toBeGreaterThan(0)
    // Whatever their states, the counts are of every engine.
    const states = ['starting', 'idle', 'busy', 'interrupting', 'not responding', 'dead']
    expect((await Promise.all(states.map(count))).reduce((a, b) => a + b, 0)).toBe(ENGINES)
    // Eight seconds of the page following 256 busy engines, before anything is done on it.
    await new Promise((r) => setTimeout(r, 8000))
    const busyBlocks = await readBlocks(page)
    console.log(`${ENGINES} busy engines, 8 s on the Engines page: longest task ${busyBlocks.longest.toFixed(0)} ms, longest frame gap ${busyBlocks.gaps.toFixed(0)} ms, ${busyBlocks.long} tasks over 50 ms`)
    // Usable while they run: the last row can be scrolled to and expanded.
    const last = page.getByTestId(`engine-row-${ENGINES - 1}`)
    // The table may draw only the rows in view: scroll whatever scrolls in it to the end.
    await page.getByTestId('engines-table').evaluate((table) => {
      for (const el of Array.from(table.querySelectorAll('*'))) if (el.scrollHeight > el.clientHeight + 1) el.scrollTop = el.scrollHeight
    })
    await last.scrollIntoViewIfNeeded()
    await last.locator('.n-data-table-expand-trigger').click()
    await expect.poll(() => last.getAttribute('aria-expanded')).toBe('true')
    await exited(child)
    expect(child.exitCode).toBe(0)
    const wallS = (Date.now() - started) / 1000
    const runBlocks = await readBlocks(page)
    await expect.poll(() => count('idle'), { timeout: 30_000 }).toBe(ENGINES)
    // The window as it is (the helper's whole-page shot of 256 rows is too slow for a busy machine).
    mkdirSync(SCREENSHOT_DIR, { recursive: true })
    await page.screenshot({ path: join(SCREENSHOT_DIR, `many-engines-${ENGINES}.png`), timeout: 60_000 })

    // The task stream on the cluster page counts every task, with the engines still listed.
    await watchBlocks(page)
    await view('cluster')
    await expect.poll(async () => Number(await page.getByTestId('task-stream-count').getAttribute('data-count')), { timeout: 30_000 }).toBeGreaterThanOrEqual(TASKS)
    await new Promise((r) => setTimeout(r, 1000))
    const streamBlocks = await readBlocks(page)
    console.log(
      `${ENGINES} engines, ${TASKS} tasks of 20 ms in ${wallS.toFixed(1)} s: Engines page longest task ${runBlocks.longest.toFixed(0)} ms, ` +
        `longest frame gap ${runBlocks.gaps.toFixed(0)} ms, ${runBlocks.long} tasks over 50 ms; opening the task stream: longest task ${streamBlocks.longest.toFixed(0)} ms`,
    )
    expect(opened.app.pageErrors).toEqual([])
  }, 600_000)
})
