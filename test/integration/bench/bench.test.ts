/**
 * `npm run bench`'s harness on tiny sizes (--quick): the report's shape — every figure with
 * min ≤ median ≤ max over its runs, a unit, goals judged, same-run ratios — and Python's parts
 * skipped with a reason when the interpreter or ipyparallel is missing. No timing is asserted.
 */
import { execFile, execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const SYSTEM_PYTHON = '/usr/bin/python3'
const hasPython = existsSync(SYSTEM_PYTHON)
const scratch = mkdtempSync(join(tmpdir(), 'cd-bench-test-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

interface Figure {
  id: string
  group: string
  label: string
  who: string
  unit: string
  better: 'lower' | 'higher'
  samples: number[]
  min: number
  median: number
  max: number
  goals: { text: string; op: string; threshold: number | null; basis: string; met: boolean | null }[]
  ratios: { of: string; name: string; value: number }[]
}
interface Report {
  runs: number
  quick: boolean
  skipped: { name: string; reason: string }[]
  failed: { name: string; reason: string }[]
  figures: Figure[]
}

/**
 * The tests run concurrently (ipyparallel alone takes ~20 s), so instead of changing this
 * process's env each child gets its own fresh HOME and CLUSTERDESK_HOME.
 */
function freshHomes(): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(scratch, 'home-'))
  return { ...process.env, HOME: join(dir, 'user'), CLUSTERDESK_HOME: join(dir, 'clusterdesk'), IPYTHONDIR: join(dir, 'ipython') }
}

async function bench(args: string[], python: string): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['bench/run.mjs', '--quick', ...args], { env: { ...freshHomes(), BENCH_PYTHON: python }, maxBuffer: 1 << 24, timeout: 55_000 })
}

function expectWellFormed(f: Figure, runs: number): void {
  expect(f.samples, f.id).toHaveLength(runs)
  expect(f.samples.every((x) => Number.isFinite(x) && x > 0), f.id).toBe(true)
  expect(f.min, f.id).toBe(Math.min(...f.samples))
  expect(f.max, f.id).toBe(Math.max(...f.samples))
  expect(f.min <= f.median && f.median <= f.max, f.id).toBe(true)
  expect(['ms', 'tasks/s', 'MB/s', 'M/s'], f.id).toContain(f.unit)
  expect(['lower', 'higher'], f.id).toContain(f.better)
  expect(f.label.length, f.id).toBeGreaterThan(0)
  for (const g of f.goals) {
    expect(g.threshold, `${f.id}: ${g.text}`).toBeGreaterThan(0)
    expect(g.met, `${f.id}: ${g.text}`).toBe(g.op === '<=' ? f.median <= g.threshold! : f.median >= g.threshold!)
  }
}

describe.concurrent('npm run bench --quick', () => {
  it.runIf(hasPython)('reports every figure as min/median/max with goals and ratios; without ipyparallel, multiprocessing still sets the goal', async () => {
    // `python3 -S` leaves out site-packages, so ipyparallel and numpy cannot be imported.
    const python = join(scratch, 'python-without-site')
    writeFileSync(python, `#!/bin/sh\nexec ${SYSTEM_PYTHON} -S "$@"\n`)
    chmodSync(python, 0o755)
    const report = JSON.parse((await bench(['--json', '--runs', '2'], python)).stdout) as Report
    expect(report).toMatchObject({ runs: 2, quick: true, failed: [] })
    expect(report.skipped.map((s) => s.name)).toContain('ipyparallel')
    const byId = new Map(report.figures.map((f) => [f.id, f]))
    for (const who of ['in-process', 'connected']) {
      for (const group of ['apply', 'lbApply', 'lbMap', 'scatter', 'gather', 'piSeeded', 'piSimd']) expect(byId.has(`${group}.${who}`), `${group}.${who}`).toBe(true)
    }
    expect(report.figures.some((f) => f.id.endsWith('.ipyparallel'))).toBe(false)
    for (const f of report.figures) expectWellFormed(f, f.id.endsWith('.multiprocessing') ? 1 : 2)

    expect(byId.get('start.in-process')!.goals.map((g) => g.text)).toEqual(['≤ 300 ms'])
    const mp = byId.get('lbMap.multiprocessing')!.median
    const map = byId.get('lbMap.in-process')!
    expect(map.goals[0]).toMatchObject({ basis: 'same run', threshold: Number((1.5 * mp).toPrecision(6)) })
    expect(map.ratios.find((r) => r.name === 'multiprocessing')!.value).toBeCloseTo(map.median / mp, 3)
    if (byId.has('piSimd.c')) expect(byId.get('piSimd.in-process')!.goals.map((g) => g.text)).toEqual(['≥ 1,200 M/s', '≥ 0.5× vectorised C'])
  }, 58_000)

  it('prints one table, and says Python was skipped when there is none', async () => {
    const { stdout } = await bench(['--runs', '1'], join(scratch, 'no-such-python'))
    expect(stdout).toMatch(/^figure \/ measured by +min +median +max/m)
    expect(stdout).toMatch(/^trivial apply round trip, one engine$/m)
    expect(stdout).toMatch(/^ {2}connected +[\d.]+ +[\d.]+ +[\d.]+ +ms +≤ 0\.400 ms: (met|NOT MET)/m)
    // Without multiprocessing the tiny-task goal falls back to DESIGN's figure, and says so.
    expect(stdout).toMatch(/≥ 1\.5× multiprocessing \[85,000: DESIGN's figure, no multiprocessing in this run\]/)
    expect(stdout).toMatch(/^skipped python: no .*no-such-python/m)
    expect(stdout).not.toMatch(/ipyparallel \(/)
  }, 58_000)

  it('refuses an unknown option or a bad --runs with usage (exit 2)', async () => {
    for (const args of [['--runs', '0'], ['--frobnicate']]) {
      const err = await bench(args, SYSTEM_PYTHON).then(() => undefined, (e: { code: number; stderr: string }) => e)
      expect(err?.code, args.join(' ')).toBe(2)
      expect(err?.stderr).toMatch(/usage: npm run bench/)
    }
  })
})

describe.concurrent('bench/ipyparallel_bench.py on its own', () => {
  const hasIpyparallel = hasPython && (() => {
    try {
      return JSON.parse(execFileSync(SYSTEM_PYTHON, ['bench/ipyparallel_bench.py', '--list', '--json', '--quick'], { encoding: 'utf8' })).skipped.length === 0
    } catch {
      return false
    }
  })()

  it.runIf(hasIpyparallel)('measures ipyparallel and prints the same min/median/max shape', async () => {
    const { stdout } = await run(SYSTEM_PYTHON, ['bench/ipyparallel_bench.py', '--json', '--quick', '--runs', '1', '--only', 'ipyparallel'], { env: freshHomes(), timeout: 55_000 })
    const out = JSON.parse(stdout) as { figures: Figure[]; skipped: unknown[] }
    expect(out.skipped).toEqual([])
    expect(out.figures.map((f) => f.id).sort()).toEqual(['apply', 'gather', 'lbApply', 'piNumpy', 'scatter', 'start', 'stop'].map((k) => `${k}.ipyparallel`).sort())
    for (const f of out.figures) expectWellFormed({ ...f, label: f.who, goals: [], ratios: [] }, 1)
  }, 58_000)
})
