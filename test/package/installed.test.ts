/**
 * The package as a new user gets it: `npm pack` (which builds it through prepack), the tarball
 * installed with `npm install` into an empty project outside the repository, and from there the
 * library, `npx clusterdesk pi` and `npx clusterdesk serve` in a real Chromium.
 *
 * Opt-in (CLUSTERDESK_TEST_PACKAGE=1; .ci/run sets it in a run of its own): it needs the npm
 * registry, takes a minute or two, and prepack rebuilds dist/ under any test running beside it.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium } from 'playwright-core'
import { CHROMIUM_ARGS, chromiumPath } from '../helpers/browser'

const root = join(import.meta.dirname, '../..')
const enabled = process.env.CLUSTERDESK_TEST_PACKAGE === '1'

interface PackResult {
  filename: string
  size: number
  unpackedSize: number
  files: Array<{ path: string; size: number }>
}

let work = ''
let project = ''
let packed: PackResult

/**
 * The user's environment: this test's Node first on PATH (so `npx` and the bin's `#!/usr/bin/env
 * node` run the Node under test), without the npm_* variables of the `npm test` around us.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value
  env.PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`
  env.CLUSTERDESK_HOME = join(work, 'home')
  return env
}

function sh(command: string, args: string[], cwd: string, timeout = 240_000): string {
  return execFileSync(command, args, { cwd, env: userEnv(), encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] })
}

describe.runIf(enabled)('the packed package, installed into an empty project', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'clusterdesk-package-'))
    const json = sh('npm', ['pack', '--json', '--pack-destination', work], root, 400_000)
    // prepack's build logs come first (with colour codes, whose '[' is not the JSON's, under CI).
    packed = (JSON.parse(json.slice(json.search(/^\[\s*$/m))) as PackResult[])[0]
    project = join(work, 'project')
    mkdirSync(project)
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'someones-project', version: '1.0.0', private: true, type: 'module' }))
    sh('npm', ['install', '--no-audit', '--no-fund', join(work, packed.filename)], project, 400_000)
  }, 900_000)

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('holds what the library, the CLI and the GUI run, and nothing else', () => {
    const paths = packed.files.map((f) => f.path)
    for (const needed of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/cli.js', 'dist/types/index.d.ts', 'resources/agent.cjs', 'resources/icon.png', 'out/renderer/index.html']) {
      expect(paths).toContain(needed)
    }
    expect(paths.some((p) => p.startsWith('out/renderer/assets/') && p.endsWith('.js'))).toBe(true)
    const unwanted = paths.filter((p) => /^(test|src-main|src-renderer|scripts|bench|docs)\/|\.map$|^out\/(main|preload)\//.test(p) || (p.endsWith('.ts') && !p.endsWith('.d.ts')))
    expect(unwanted).toEqual([])
    expect(packed.size).toBeLessThan(3_000_000)
  })

  it('installs without a build step and without the development tools', () => {
    const installed = join(project, 'node_modules')
    expect(existsSync(join(installed, 'clusterdesk', 'resources', 'agent.cjs'))).toBe(true)
    for (const devOnly of ['vite', 'vue', 'electron-vite', 'electron', 'electron-builder', 'typescript', 'esbuild']) {
      expect(existsSync(join(installed, devOnly)), `${devOnly} is installed`).toBe(false)
    }
  })

  it('runs a library script on two engines', () => {
    writeFileSync(
      join(project, 'script.mjs'),
      [
        "import { Cluster } from 'clusterdesk'",
        "const cluster = new Cluster({ nodes: [{ kind: 'local', engines: 2 }] })",
        'const rc = await cluster.start()',
        'try {',
        '  const dv = rc.view()',
        "  await dv.execute('globalThis.where = process.pid')",
        '  const squares = await dv.map((x) => x * x, [1, 2, 3, 4])',
        "  const pids = await dv.pull('where')",
        '  console.log(JSON.stringify({ ids: rc.ids, squares, pids, me: process.pid }))',
        '} finally {',
        '  await cluster.stop()',
        '}',
      ].join('\n'),
    )
    const out = JSON.parse(sh(process.execPath, ['script.mjs'], project, 60_000).trim()) as { ids: number[]; squares: number[]; pids: number[]; me: number }
    expect(out.ids).toEqual([0, 1])
    expect(out.squares).toEqual([1, 4, 9, 16])
    expect(new Set(out.pids).size).toBe(2)
    expect(out.pids).not.toContain(out.me)
  }, 120_000)

  it('has type declarations that a TypeScript project resolving like Node (nodenext) finds', () => {
    writeFileSync(
      join(project, 'typed.ts'),
      [
        "import { Cluster, runPi, type PiResult } from 'clusterdesk'",
        "const cluster = new Cluster({ nodes: [{ kind: 'local', engines: 2 }] })",
        "export const run = async (): Promise<PiResult> => runPi(await cluster.start(), { samples: 1e6, tasks: 4, mode: 'lb-map', seed: 1 })",
        // Fails to compile if the declarations were missing and everything were `any`.
        '// @ts-expect-error hits is a number',
        'export const wrong: string = ({} as PiResult).hits',
      ].join('\n'),
    )
    const config = {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        // The project has no @types/node of its own; ssh2's types are the user's choice (README).
        typeRoots: [join(root, 'node_modules', '@types')],
        types: ['node'],
        skipLibCheck: true,
      },
      files: ['typed.ts'],
    }
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(config))
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
    const diagnostics = (() => {
      try {
        return sh(process.execPath, [tsc, '-p', project], project, 120_000)
      } catch (err) {
        return `${(err as { stdout?: string }).stdout ?? ''}${(err as Error).message}`
      }
    })()
    expect(diagnostics).toBe('')
  }, 120_000)

  it('runs `npx clusterdesk pi --json`, with the same hits on one engine and on two', () => {
    const pi = (engines: number, mode: string): { hits: number; samples: number; pi: number; engines: number } =>
      JSON.parse(sh('npx', ['clusterdesk', 'pi', '--json', '--samples', '2e6', '--tasks', '8', '--seed', '42', '--engines', String(engines), '--mode', mode], project, 120_000))
    const one = pi(1, 'direct-map')
    const two = pi(2, 'lb-map')
    expect(one.samples).toBe(2_000_000)
    expect(two.engines).toBe(2)
    expect(two.hits).toBe(one.hits)
    expect(Math.abs(one.pi - Math.PI)).toBeLessThan(0.01)
  }, 120_000)

  it('serves the GUI with `npx clusterdesk serve`: the page loads with its token and connects', async () => {
    // Its own process group, so the server below npx's shell is stopped with it.
    const server = spawn('npx', ['clusterdesk', 'serve', '--port', '0', '--data-dir', join(work, 'data')], {
      cwd: project,
      env: userEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, headless: true }).catch(() => null)
    try {
      const url = await printedUrl(server)
      const refused = await fetch(url.replace(/token=[0-9a-f]+/, 'token=0'))
      expect(refused.status).toBeGreaterThanOrEqual(400)
      const page = await fetch(url)
      expect(page.status).toBe(200)
      expect(await page.text()).toMatch(/<script[^>]+src="[^"]*assets\/[^"]+\.js"/)
      expect(browser, `Chromium at ${chromiumPath} did not start`).not.toBeNull()
      const tab = await browser!.newPage()
      await tab.goto(url)
      await tab.getByTestId('connection-state').filter({ hasText: 'connected' }).waitFor({ timeout: 30_000 })
    } finally {
      await browser?.close()
      await stopGroup(server)
    }
  }, 120_000)
})

function printedUrl(server: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`serve printed no URL within 60 s\n${out}\n${err}`)), 60_000)
    server.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const url = /https?:\/\/127\.0\.0\.1:\d+\/\S*token=[0-9a-f]+/.exec(out)?.[0]
      if (url) {
        clearTimeout(timer)
        resolve(url)
      }
    })
    server.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited (${code}) before printing its URL\n${out}\n${err}`))
    })
  })
}

/** SIGTERM to the whole group (npx, its shell, the server and its engines); SIGKILL after 10 s. */
async function stopGroup(child: ChildProcess): Promise<void> {
  const signal = (name: NodeJS.Signals | 0): boolean => {
    try {
      process.kill(-child.pid!, name)
      return true
    } catch {
      return false // no process of the group is left
    }
  }
  signal('SIGTERM')
  for (const started = Date.now(); signal(0); await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() - started > 10_000) signal('SIGKILL')
  }
}
