/**
 * Runs the built CLI (dist/cli.js) as users do, each test with its own CLUSTERDESK_HOME, and makes
 * sure no daemon, agent or engine of a test outlives it: after each test, every process that runs
 * this checkout's files with that home in its environment is killed.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeAll } from 'vitest'

export const root = fileURLToPath(new URL('../../..', import.meta.url))
const cli = join(root, 'dist/cli.js')

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

const homes: string[] = []

beforeAll(() => {
  // The test run's global setup builds dist/; build here too when this file runs on its own.
  if (!existsSync(cli)) execFileSync(process.execPath, [join(root, 'scripts/build-lib.mjs'), '--no-types'], { cwd: root, stdio: 'inherit' })
})

afterEach(async () => {
  for (const home of homes.splice(0)) {
    for (const pid of processesOf(home)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Gone already, as it should be.
      }
    }
    rmSync(home, { recursive: true, force: true })
  }
})

/** A fresh CLUSTERDESK_HOME for this test, removed (and its processes killed) after it. */
export function freshHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'clusterdesk-cli-'))
  homes.push(home)
  return home
}

/** Runs `clusterdesk …args` with CLUSTERDESK_HOME=home to its end. */
export function runCli(home: string, args: string[], onSpawn?: (pid: number) => void, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, ...env, CLUSTERDESK_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.once('error', reject)
    child.once('spawn', () => onSpawn?.(child.pid!))
    // 'exit', not 'close': a daemon that kept the pipes open would otherwise hold the test.
    child.once('exit', (code) => setTimeout(() => resolve({ code, stdout, stderr }), 50))
  })
}

/** Every live process running this checkout's files (or the test's own, under `home`) whose environment names `home`. */
export function processesOf(home: string): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      if (!cmdline.includes(root) && !cmdline.includes(home)) continue
      if (!readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`CLUSTERDESK_HOME=${home}`)) continue
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') found.push(Number(entry))
    } catch {
      // The process ended while we looked.
    }
  }
  return found
}

/** Waits until no process of `home` is left; returns those still running after `timeoutMs`. */
export async function waitNoProcesses(home: string, timeoutMs = 8000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs
  let left = processesOf(home)
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100))
    left = processesOf(home)
  }
  return left
}
