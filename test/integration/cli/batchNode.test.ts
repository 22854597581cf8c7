/**
 * `clusterdesk pi --node slurm:…` as users run it (the built dist/cli.js), on the real test
 * Slurm: the job's progress on stderr, the same hits as on local engines, no job left.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { slurmUnavailable, startSlurm, type TestSlurm } from '../../helpers/slurm'

const root = join(import.meta.dirname, '../../..')
const cli = join(root, 'dist/cli.js')
const skip = slurmUnavailable()
let slurm: TestSlurm
let dir: string

const pi = (...nodes: string[]) => {
  const r = spawnSync(process.execPath, [cli, 'pi', '--samples', '1e6', '--tasks', '8', '--json', ...nodes.flatMap((n) => ['--node', n])], { cwd: root, encoding: 'utf8', timeout: 90_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe.skipIf(skip)(`clusterdesk pi on a Slurm node${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 120_000 }, () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'clusterdesk-cli-slurm-'))
    slurm = startSlurm([dir])
  })
  afterAll(() => {
    slurm?.cancelAll()
    slurm?.release()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('runs on local + Slurm engines with the job shown on stderr, and leaves no job', () => {
    const spec = `slurm:debug?time=00:05:00&engines=2&joinHost=127.0.0.1&listenHost=127.0.0.1&bundleDir=${encodeURIComponent(dir)}`
    const mixed = pi('local:1', spec)
    expect(mixed.code, mixed.stderr).toBe(0)
    expect(mixed.stderr).toMatch(/clusterdesk: slurm:\/\/debug: slurm job \d+: RUNNING/)
    const local = pi('local:2')
    expect(JSON.parse(mixed.stdout).hits).toBe(JSON.parse(local.stdout).hits)
    expect(slurm.jobs()).toEqual([])
  })

  it('refuses an unknown partition with exit status 1 and sbatch\'s words', () => {
    const r = pi(`slurm:nosuch?time=1&bundleDir=${encodeURIComponent(dir)}`)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/sbatch refused the job: .*invalid partition name specified/is)
    expect(slurm.jobs()).toEqual([])
  })
})
