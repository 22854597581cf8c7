/// <reference lib="dom" />
/**
 * Real headless Chromium (Debian's) driven by playwright-core, against a real `clusterdesk serve`
 * with real local engines. Everything started here is stopped after the test file.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Screenshots land here (git ignores it) so anyone can look at every view. */
export const SCREENSHOT_DIR = join(process.cwd(), '.artifacts', 'screenshots')

export interface Served {
  url: string
  origin: string
  token: string
  dataDir: string
  server: ChildProcess
  stop(): Promise<void>
}

/**
 * Starts `clusterdesk serve` on a random port with a fresh (or given) data directory, which is also
 * its HOME and, unless the test has set CLUSTERDESK_HOME itself (to share profiles with scripts it
 * starts), its CLUSTERDESK_HOME: host keys trusted in the GUI and ~/.ssh stay inside it.
 */
export async function serve(dataDir = mkdtempSync(join(tmpdir(), 'clusterdesk-e2e-')), args: string[] = []): Promise<Served> {
  const env = { ...process.env, CLUSTERDESK_HOME: process.env.CLUSTERDESK_HOME ?? dataDir, HOME: dataDir }
  const server = spawn(process.execPath, ['dist/cli.js', 'serve', '--port', '0', '--data-dir', dataDir, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  server.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`serve printed no URL within 20 s\n${out}\n${stderr}`)), 20000)
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = out.match(/https?:\/\/127\.0\.0\.1:\d+\/\S*token=[0-9a-f]+/)
      if (m) {
        clearTimeout(timer)
        resolve(m[0])
      }
    })
    server.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited (${code}) before printing its URL\n${out}\n${stderr}`))
    })
  })
  const parsed = new URL(url)
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token')!,
    dataDir,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        if (server.exitCode !== null || server.signalCode !== null) return resolve()
        const timer = setTimeout(() => server.kill('SIGKILL'), 10000)
        server.once('exit', () => {
          clearTimeout(timer)
          resolve()
        })
        server.kill('SIGTERM')
      }),
  }
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, headless: true })
}

/** A served app open in Chromium at 1280×800, connected; its page errors are collected. */
export interface OpenApp {
  served: Served
  browser: Browser
  page: Page
  pageErrors: string[]
  /** Closes the browser, stops the server and removes its data directory. */
  close(): Promise<void>
}

/** Starts `clusterdesk serve` (with more `serveArgs`), opens its URL in Chromium and waits until the app is connected. */
export async function openApp(serveArgs: string[] = []): Promise<OpenApp> {
  const served = await serve(undefined, serveArgs)
  let browser: Browser | undefined
  const close = async (): Promise<void> => {
    await browser?.close()
    await served.stop()
    removeDir(served.dataDir)
  }
  try {
    browser = await launchBrowser()
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    const pageErrors: string[] = []
    page.on('pageerror', (err) => pageErrors.push(err.message))
    await page.goto(served.url)
    await page.getByTestId('connection-state').filter({ hasText: 'connected' }).waitFor()
    return { served, browser, page, pageErrors, close }
  } catch (err) {
    await close()
    throw err
  }
}

/**
 * Saves the whole view: the app scrolls inside its own layout, so the window is made tall enough
 * for the content, shot, and put back.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  const path = join(SCREENSHOT_DIR, `${name}.png`)
  const size = page.viewportSize()!
  const height = await page.evaluate(() => Math.max(...Array.from(document.querySelectorAll('*'), (e) => e.scrollHeight)))
  await page.setViewportSize({ width: size.width, height: Math.min(Math.max(size.height, height + 80), 4000) })
  await page.waitForTimeout(400) // charts re-layout on resize
  await page.screenshot({ path })
  await page.setViewportSize(size)
  return path
}

export const removeDir = (dir: string): void => rmSync(dir, { recursive: true, force: true })

/** Clicks a view in the app's navigation and waits until it is shown (the first view, nodes, may keep an empty hash). */
export async function showView(page: Page, name: string): Promise<void> {
  await page.getByTestId(`nav-${name}`).click()
  await page.waitForFunction((n) => location.hash.includes(n) || (n === 'nodes' && location.hash === ''), name)
}

export interface AppInHome {
  readonly app: OpenApp
  readonly page: Page
  /** The CLUSTERDESK_HOME of the app and of every process the tests start (they inherit it). */
  readonly home: string
}

/**
 * For a describe block: a fresh CLUSTERDESK_HOME, so serve, the CLI and scripts find each other's
 * profiles there and only there, and the app opened in it; afterwards the app is closed, the
 * previous CLUSTERDESK_HOME restored and the directory removed.
 */
export function useAppInFreshHome(prefix: string): AppInHome {
  let app: OpenApp | undefined
  let home = ''
  const previousHome = process.env.CLUSTERDESK_HOME
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), prefix))
    process.env.CLUSTERDESK_HOME = home
    app = await openApp()
  }, 60_000)
  afterAll(async () => {
    await app?.close()
    if (previousHome === undefined) delete process.env.CLUSTERDESK_HOME
    else process.env.CLUSTERDESK_HOME = previousHome
    if (home) removeDir(home)
  }, 60_000)
  return {
    get app() {
      return app!
    },
    get page() {
      return app!.page
    },
    get home() {
      return home
    },
  }
}
