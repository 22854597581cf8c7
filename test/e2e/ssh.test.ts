/// <reference lib="dom" />
/**
 * An SSH node through the GUI: a real OpenSSH sshd on loopback, `clusterdesk serve`, headless
 * Chromium. Add the node, Test connection shows the unknown host key, trust it, start it, and its
 * engines appear. Screenshot: .artifacts/screenshots/9-ssh-node.png.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { agentBundle } from '../../src-main/nodes/ssh'
import { fingerprint } from '../../src-main/nodes/ssh/knownHosts'
import { chromiumPath, openApp, screenshot, type OpenApp } from '../helpers/browser'
import { startSshd, type Sshd } from '../helpers/sshd'

const noBrowser = !existsSync(chromiumPath) && !process.env.CI
if (noBrowser) console.warn(`skipping the SSH GUI end-to-end test: no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`)

describe.skipIf(noBrowser)('an SSH node in the GUI (real sshd, serve, Chromium)', () => {
  let sshd: Sshd
  let app: OpenApp
  let page: Page
  let pageErrors: string[]

  beforeAll(async () => {
    sshd = await startSshd()
    app = await openApp()
    ;({ page, pageErrors } = app)
  }, 60_000)

  afterAll(async () => {
    await app?.close()
    await sshd?.stop()
  })

  it('adds the node, tests it, trusts its host key, starts it; its engines appear', async () => {
    const print = fingerprint(sshd.hostKeyBlob)
    await page.getByTestId('node-add').click()
    await page.getByTestId('node-kind-ssh').click()
    await page.getByTestId('node-name').fill('Loopback lab')
    await page.getByTestId('node-engines').fill('2')
    await page.getByTestId('ssh-host').fill(sshd.host)
    await page.getByTestId('ssh-port').fill(String(sshd.port))
    await page.getByTestId('ssh-user').fill('root')
    await page.getByTestId('ssh-use-key').click()
    await page.getByTestId('ssh-identity').fill(sshd.userKey)
    await page.getByTestId('node-path').fill(process.execPath)

    await page.getByTestId('node-test').click()
    const shown = page.getByTestId('trust-fingerprint')
    await shown.waitFor({ timeout: 20_000 })
    expect(await shown.textContent()).toBe(print)
    await page.getByTestId('trust-accept').click()
    await page.getByTestId('node-test-fingerprint').filter({ hasText: print }).waitFor({ timeout: 20_000 })
    // Trusted in the one store under serve's CLUSTERDESK_HOME, where the library and the CLI read it.
    expect(readFileSync(join(app.served.dataDir, 'known_hosts'), 'utf8')).toBe(`${sshd.knownHostsLine}\n`)
    expect(await page.getByTestId('node-test-version').textContent()).toContain(process.version)
    expect(await page.getByTestId('node-test-cores').textContent()).toMatch(/\d+ cores/)

    await page.getByTestId('node-save').click()
    const row = page.getByTestId('node-row').filter({ hasText: 'Loopback lab' })
    await row.waitFor()
    await row.getByTestId('node-start').click()
    await row.getByTestId('node-state').filter({ hasText: 'ready' }).waitFor({ timeout: 30_000 })
    expect(await row.textContent()).toContain('2 running of 2')
    await screenshot(page, '9-ssh-node')

    await page.getByTestId('nav-engines').click()
    for (const id of [0, 1]) await page.getByTestId(`engine-state-${id}`).filter({ hasText: 'idle' }).waitFor({ timeout: 20_000 })

    await page.getByTestId('nav-nodes').click()
    await row.getByTestId('node-stop').click()
    await row.getByTestId('node-state').filter({ hasText: 'stopped' }).waitFor({ timeout: 20_000 })
    const deadline = Date.now() + 10_000
    while (sshd.descendants().some((p) => p.cmdline.includes(agentBundle().fileName)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect(sshd.descendants().filter((p) => p.cmdline.includes(agentBundle().fileName))).toEqual([])
    expect(pageErrors).toEqual([])
  })
})
