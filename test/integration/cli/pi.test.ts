/**
 * `clusterdesk pi` as users run it: the built dist/cli.js in a child process, with real engines.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { chunkSizes, piChunk, piChunkSimd, type PiResult } from '../../../src-main/experiments/pi/runPi'
import { waitGone } from '../../helpers/cluster'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const cli = join(root, 'dist/cli.js')

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** CLI processes of the current test and everything they started, killed if a test fails midway. */
const started: Array<{ pid: number; below: Set<number> }> = []

afterEach(() => {
  for (const { pid, below } of started.splice(0)) {
    for (const p of [...descendants(pid), ...below, pid]) {
      try {
        // Only our processes (CLI, agent, engines all run files of this checkout), never a reused pid.
        if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(root)) process.kill(p, 'SIGKILL')
      } catch {
        // Already gone, as it should be.
      }
    }
  }
})

/** Runs the CLI to its end; `onStart` gets the child's pid once it is running. */
function run(args: string[], onStart?: (pid: number) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    const entry = { pid: child.pid!, below: new Set<number>() }
    started.push(entry)
    // Remember the agent and engines while they run: once the CLI has exited they are orphans.
    const watch = setInterval(() => descendants(entry.pid).forEach((p) => entry.below.add(p)), 200)
    child.once('close', () => clearInterval(watch))
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.once('error', reject)
    child.once('spawn', () => onStart?.(child.pid!))
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

/** Every process below `pid` (the agent and its engines), from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = []
  const walk = (p: number): void => {
    for (const [child, parent] of parents) if (parent === p) found.push(child), walk(child)
  }
  walk(pid)
  return found
}

const hitsFor = (seed: number, samples: number, tasks: number): number => chunkSizes(samples, tasks).reduce((s, n, i) => s + piChunk(seed, i, n), 0)

beforeAll(() => {
  // The test run's global setup builds dist/; build here too when this file runs on its own.
  if (!existsSync(cli) && existsSync(join(root, 'scripts/build-lib.mjs'))) {
    execFileSync(process.execPath, [join(root, 'scripts/build-lib.mjs'), '--no-types'], { cwd: root, stdio: 'inherit' })
  }
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build it with npm run build:lib`)
})

describe('clusterdesk --version and --help', () => {
  it('prints the package version', async () => {
    const r = await run(['--version'])
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version)
  })

  it('shows help with examples', async () => {
    const top = await run(['--help'])
    expect(top.code).toBe(0)
    expect(top.stdout).toContain('clusterdesk pi --samples 1e8')
    const pi = await run(['pi', '--help'])
    expect(pi.code).toBe(0)
    expect(pi.stdout).toMatch(/--all-modes/)
    expect(pi.stdout).toMatch(/Examples:/)
  })
})

describe('clusterdesk pi with bad input', () => {
  it.each([
    [['--engines', '0'], '--engines'],
    [['--samples', '-5'], '--samples'],
    [['--samples', 'abc'], '--samples'],
    [['--tasks', '1.5'], '--tasks'],
    [['--mode', 'fastest'], '--mode'],
    [['--kernel', 'crypto'], '--kernel'],
    [['--samples', '10', '--tasks', '20'], '--tasks'],
    [['--seed', '-1'], '--seed'],
  ])('%j exits 2 with one line naming %s', async (args, option) => {
    const r = await run(['pi', ...args])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^clusterdesk: error: /)
    expect(lines[0]).toContain(option)
  })
})

describe('clusterdesk pi on real engines', () => {
  it('prints exactly one JSON object with the hits runPi gives', async () => {
    const r = await run(['pi', '--json', '--engines', '2', '--samples', '2e6', '--tasks', '16', '--mode', 'direct-map', '--seed', '42'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const result = JSON.parse(r.stdout) as PiResult
    expect(result).toMatchObject({ hits: hitsFor(42, 2e6, 16), samples: 2e6, tasks: 16, mode: 'direct-map', kernel: 'seeded', seed: 42, engines: 2 })
    expect(result.perEngine).toHaveLength(2)
    for (const key of ['pi', 'wallMs', 'samplesPerSec', 'stdError', 'speedup', 'efficiency']) expect(typeof result[key as keyof PiResult]).toBe('number')
  })

  it('runs the simd kernel with --kernel simd: the hits piChunkSimd gives, chunk by chunk', async () => {
    const r = await run(['pi', '--json', '--kernel', 'simd', '--engines', '2', '--samples', '2e6', '--tasks', '16', '--seed', '42'])
    expect(r.code).toBe(0)
    const hits = chunkSizes(2e6, 16).reduce((sum, n, i) => sum + piChunkSimd(42, i, n), 0)
    expect(JSON.parse(r.stdout)).toMatchObject({ hits, samples: 2e6, tasks: 16, mode: 'lb-map', kernel: 'simd', seed: 42, engines: 2 })
  })

  it('runs every mode with --all-modes --json, as an array with the same hits', async () => {
    const r = await run(['pi', '--all-modes', '--json', '--engines', '2', '--samples', '1e6', '--tasks', '8', '--seed', '7'])
    expect(r.code).toBe(0)
    const results = JSON.parse(r.stdout) as PiResult[]
    expect(results.map((x) => x.mode)).toEqual(['direct-map', 'lb-map', 'direct-apply', 'lb-apply', 'scatter-execute', 'parallel-map'])
    expect(new Set(results.filter((x) => x.mode !== 'lb-apply').map((x) => x.hits))).toEqual(new Set([hitsFor(7, 1e6, 8)]))
    expect(results.find((x) => x.mode === 'lb-apply')).toMatchObject({ samples: 5e5, requestedSamples: 1e6 })
  })

  it('prints a readable report and a comparison table', async () => {
    const one = await run(['pi', '--engines', '2', '--samples', '1e6', '--tasks', '4', '--mode', 'lb-apply'])
    expect(one.code).toBe(0)
    expect(one.stderr).toBe('') // no progress bar when stderr is not a terminal
    for (const text of ['π ≈ ', 'error vs Math.PI', 'standard error', 'wall time', 'samples/s', 'speedup', 'efficiency', 'busy ms', 'pitfall']) {
      expect(one.stdout).toContain(text)
    }
    const all = await run(['pi', '--all-modes', '--engines', '2', '--samples', '1e6', '--tasks', '4'])
    expect(all.code).toBe(0)
    expect(all.stdout).toContain('Every mode that covers all chunks gave the same hits')
    expect(all.stdout.match(/^(direct|lb|scatter|parallel)-/gm)).toHaveLength(6)
  })

  it('stops every engine on Ctrl-C and exits 130', async () => {
    let below: number[] = []
    const result = run(['pi', '--engines', '2', '--samples', '1e12', '--tasks', '64', '--json'], (pid) => {
      const poll = setInterval(() => {
        below = descendants(pid)
        if (below.length >= 3) {
          clearInterval(poll)
          setTimeout(() => process.kill(pid, 'SIGINT'), 500)
        }
      }, 100)
    })
    const r = await result
    expect(below.length).toBeGreaterThanOrEqual(3) // the agent and two engines were running
    expect(r.code).toBe(130)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('interrupted')
    expect(await waitGone(below)).toEqual([])
  })
})
