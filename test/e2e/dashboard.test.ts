/// <reference lib="dom" />
/**
 * The app as everyone's dashboard, in real headless Chromium against `clusterdesk serve` (with a
 * fresh CLUSTERDESK_HOME): a script connected from outside runs tasks and the page shows its
 * client, its tasks and its error; the page attaches to a cluster a terminal started, and adds a
 * node to a `clusterdesk start` daemon from its Nodes page; `serve --profile` opens on that
 * daemon's cluster; and the page's longest main-thread block while a script runs 100,000 tiny
 * tasks is measured (reported, not asserted).
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { chromiumPath, openApp, screenshot, showView, useAppInFreshHome, type OpenApp } from '../helpers/browser'
import { clientProcess } from '../helpers/clientProcess'

const noBrowser = !existsSync(chromiumPath) && !process.env.CI

/** Runs the built CLI (the test's CLUSTERDESK_HOME is in process.env) to its end; rejects on a failure. */
const cli = (...args: string[]): Promise<string> =>
  new Promise((resolve, reject) =>
    execFile(process.execPath, ['dist/cli.js', ...args], { env: { ...process.env } }, (err, stdout, stderr) => (err ? reject(new Error(`clusterdesk ${args.join(' ')}: ${stderr}`)) : resolve(stdout))),
  )

interface Listed {
  profile: string
  engines: number
}
const enginesOf = async (profile: string): Promise<number | undefined> => (JSON.parse(await cli('list', '--json')) as Listed[]).find((p) => p.profile === profile)?.engines
if (noBrowser) console.warn(`skipping the dashboard end-to-end tests: no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`)

describe.skipIf(noBrowser)('the app as a dashboard of every client, in Chromium', () => {
  const opened = useAppInFreshHome('cdh-e2e-')
  let page: Page
  beforeAll(() => {
    page = opened.page
  })
  const view = (name: string): Promise<void> => showView(page, name)

  it("shows a script's client, its tasks in the stream and its error in Exceptions", async () => {
    await view('nodes')
    await page.getByTestId('node-add').click()
    await page.getByTestId('node-name').fill('Two engines')
    await page.getByTestId('node-engines').fill('2')
    await page.getByTestId('node-save').click()
    const row = page.getByTestId('node-row').filter({ hasText: 'Two engines' })
    await row.waitFor()
    await row.getByTestId('node-start').click()
    await row.getByTestId('node-state').filter({ hasText: 'ready' }).waitFor({ timeout: 20_000 })

    await view('cluster')
    await page.locator('[data-testid="profile-current"][data-profile="app"]').waitFor()
    const snippet = await page.getByTestId('connect-snippet').textContent()
    expect(snippet).toContain("connect({ profile: 'app' })")
    // The script is what the snippet says, run from outside the app.
    const { child, line } = await clientProcess(`
      const rc = await connect({ profile: 'app' })
      await rc.loadBalancedView().map((x) => x * x, Array.from({ length: 40 }, (_, i) => i))
      await rc.view(1).apply(() => { throw new TypeError('the script failed on purpose') }).catch(() => {})
      console.log(String(rc.link.clientNo))
      setInterval(() => {}, 1000)
    `)
    const no = Number(line)
    const clientRow = page.locator(`[data-testid="client-row-${no}"][data-done="41"][data-failed="1"]`)
    await clientRow.waitFor({ timeout: 15_000 })
    expect(await clientRow.getAttribute('data-pid')).toBe(String(child.pid))
    await expect.poll(async () => Number(await page.getByTestId('task-stream-count').getAttribute('data-count')), { timeout: 10_000 }).toBeGreaterThanOrEqual(41)
    expect(Number(await page.getByTestId('task-stream-count').getAttribute('data-failed'))).toBeGreaterThanOrEqual(1)
    const canvas = page.getByTestId('task-stream').locator('canvas').first()
    await canvas.waitFor()
    expect((await canvas.boundingBox())!.width).toBeGreaterThan(100)
    await screenshot(page, 'dashboard-1-clients-and-tasks')

    await view('exceptions')
    const group = page.getByTestId('exception-group').filter({ hasText: `Client ${no} (pid ${child.pid}` })
    await group.waitFor({ timeout: 10_000 })
    expect(await group.textContent()).toContain('the script failed on purpose')
    await screenshot(page, 'dashboard-2-exceptions')
    child.kill('SIGKILL')
    await view('cluster')
    await page.getByTestId(`client-row-${no}`).waitFor({ state: 'detached', timeout: 10_000 })
  }, 90_000)

  it('attaches to a cluster started from a terminal, shows its engines and clients, and detaches', async () => {
    await clientProcess(`
      const cluster = new Cluster({ nodes: [{ kind: 'local', engines: 3 }], profile: 'term' })
      await cluster.start()
      console.log('ready')
      setInterval(() => {}, 1000)
    `)
    await view('cluster')
    await page.getByTestId('profiles-refresh').click()
    await page.getByTestId('profile-attach-term').click()
    await page.locator('[data-testid="profile-current"][data-profile="term"]').waitFor({ timeout: 10_000 })
    expect(await page.getByTestId('connect-snippet').textContent()).toContain("connect({ profile: 'term' })")
    const { line } = await clientProcess(`
      const rc = await connect({ profile: 'term' })
      await rc.view().apply(() => process.pid)
      console.log(String(rc.link.clientNo))
      setInterval(() => {}, 1000)
    `)
    await page.locator(`[data-testid="client-row-${line}"][data-done="3"]`).waitFor({ timeout: 15_000 })
    await view('engines')
    for (const id of [0, 1, 2]) await page.getByTestId(`engine-row-${id}`).filter({ hasText: 'term' }).waitFor({ timeout: 10_000 })
    await screenshot(page, 'dashboard-3-attached-engines')
    await view('cluster')
    await page.getByTestId('profile-detach').click()
    await page.locator('[data-testid="profile-current"][data-profile="app"]').waitFor({ timeout: 10_000 })
  }, 90_000)

  it('adds a local node to a `clusterdesk start` cluster from the Nodes page: its engines arrive, a script uses them, Stop removes them', async () => {
    await cli('start', '-n', '1', '--profile', 'desk')
    try {
      await view('cluster')
      await page.getByTestId('profiles-refresh').click()
      await page.getByTestId('profile-attach-desk').click()
      await page.locator('[data-testid="profile-current"][data-profile="desk"]').waitFor({ timeout: 10_000 })
      // At 1280 px the profile table shows all its columns, the last one (Show) included.
      const table = page.getByTestId('profiles-table')
      const show = page.getByTestId('profile-attach-app')
      await show.waitFor()
      const [box, button] = [await table.boundingBox(), await show.boundingBox()]
      expect(button!.x + button!.width).toBeLessThanOrEqual(box!.x + box!.width)
      await screenshot(page, 'dashboard-5a-attached-profiles')

      await view('nodes')
      await page.locator('[data-testid="nodes-attached"][data-profile="desk"]').waitFor()
      await page.getByTestId('node-add').click()
      await page.getByTestId('node-name').fill('Added to desk')
      await page.getByTestId('node-engines').fill('2')
      await page.getByTestId('node-save').click()
      const row = page.getByTestId('node-row').filter({ hasText: 'Added to desk' })
      await row.waitFor()
      // The app's own node (started in the first test) is not a node of desk's cluster.
      expect(await page.getByTestId('node-row').filter({ hasText: 'Two engines' }).getByTestId('node-state').textContent()).toBe('stopped')
      await row.getByTestId('node-start').click()
      await row.getByTestId('node-state').filter({ hasText: 'ready' }).waitFor({ timeout: 20_000 })
      await row.filter({ hasText: '2 running of 2' }).waitFor({ timeout: 10_000 })
      await screenshot(page, 'dashboard-5-node-added-to-attached')

      await view('engines')
      for (const id of [0, 1, 2]) await page.getByTestId(`engine-row-${id}`).filter({ hasText: '(desk)' }).waitFor({ timeout: 10_000 })
      expect(await enginesOf('desk')).toBe(3)
      // A script connected from outside runs on all three; the page shows its client's tasks.
      const { line } = await clientProcess(`
        const rc = await connect({ profile: 'desk' })
        const pids = await rc.view().apply(() => process.pid)
        console.log(String(rc.link.clientNo) + ' ' + new Set(pids).size)
        setInterval(() => {}, 1000)
      `)
      const [no, distinct] = line.split(' ')
      expect(distinct).toBe('3')
      await view('cluster')
      await page.locator(`[data-testid="client-row-${no}"][data-done="3"]`).waitFor({ timeout: 15_000 })

      await view('nodes')
      await row.getByTestId('node-stop').click()
      await row.getByTestId('node-state').filter({ hasText: 'stopped' }).waitFor({ timeout: 15_000 })
      await expect.poll(() => enginesOf('desk'), { timeout: 10_000 }).toBe(1)
      expect(opened.app.pageErrors).toEqual([])
    } finally {
      await view('cluster').catch(() => undefined)
      await page.getByTestId('profile-detach').click().catch(() => undefined)
      await cli('stop', '--profile', 'desk')
    }
  }, 120_000)

  it('`serve --profile` opens on the cluster a terminal started, which keeps running when serve stops', async () => {
    await cli('start', '-n', '2', '--profile', 'lab')
    let second: OpenApp | undefined
    try {
      second = await openApp(['--profile', 'lab'])
      const p = second.page
      await p.getByTestId('nav-cluster').click()
      await p.locator('[data-testid="profile-current"][data-profile="lab"]').waitFor({ timeout: 10_000 })
      expect(await p.getByTestId('connect-snippet').textContent()).toContain("connect({ profile: 'lab' })")
      await p.getByTestId('nav-engines').click()
      for (const id of [0, 1]) await p.getByTestId(`engine-row-${id}`).filter({ hasText: '(lab)' }).waitFor({ timeout: 10_000 })
      await screenshot(p, 'dashboard-6-serve-profile')
      expect(second.pageErrors).toEqual([])
      await second.close()
      second = undefined
      expect(await enginesOf('lab')).toBe(2)
    } finally {
      await second?.close()
      await cli('stop', '--profile', 'lab')
    }
  }, 120_000)

  it('stays responsive while a script runs 100,000 tiny tasks (the longest main-thread block is reported)', async () => {
    await view('cluster')
    await page.evaluate(() => {
      const w = window as unknown as { longest: number; gaps: number; long: number; over200: number }
      w.longest = 0
      w.gaps = 0
      w.long = 0
      w.over200 = 0
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          w.longest = Math.max(w.longest, e.duration)
          w.long++
          if (e.duration > 200) w.over200++
        }
      }).observe({ type: 'longtask', buffered: false })
      // Frame gaps too: a long task is only what the browser reports as one.
      let last = performance.now()
      const frame = (now: number): void => {
        w.gaps = Math.max(w.gaps, now - last)
        last = now
        requestAnimationFrame(frame)
      }
      requestAnimationFrame(frame)
    })
    const started = Date.now()
    const { line } = await clientProcess(`
      const rc = await connect({ profile: 'app' })
      await rc.loadBalancedView().map((x) => x + 1, Array.from({ length: 100000 }, (_, i) => i))
      console.log(String(rc.link.clientNo))
      setInterval(() => {}, 1000)
    `)
    const wallS = (Date.now() - started) / 1000
    await page.locator(`[data-testid="client-row-${line}"][data-done="100000"]`).waitFor({ timeout: 200_000 })
    const { longest, gaps, long, over200 } = await page.evaluate(() => {
      const w = window as unknown as { longest: number; gaps: number; long: number; over200: number }
      return { longest: w.longest, gaps: w.gaps, long: w.long, over200: w.over200 }
    })
    await screenshot(page, 'dashboard-4-100k-tasks')
    console.log(`100,000 tasks from a script in ${wallS.toFixed(1)} s: the page's longest task ${longest.toFixed(0)} ms, longest frame gap ${gaps.toFixed(0)} ms; ${long} tasks over 50 ms, ${over200} over 200 ms`)
    // The stream is a tail (batches keep their newest 2,000), but its count is of every task.
    await expect.poll(async () => Number(await page.getByTestId('task-stream-count').getAttribute('data-count')), { timeout: 10_000 }).toBeGreaterThanOrEqual(100_000)
    expect(opened.app.pageErrors).toEqual([])
  }, 300_000)
})
