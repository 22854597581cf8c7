/**
 * `clusterdesk start` with a Slurm node, on the real test Slurm: the daemon's engines run in a
 * job, `pi --profile` uses them with the hits of local engines, and `clusterdesk stop` cancels the
 * job, leaving nothing queued and no process of the job or the daemon.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chunkSizes, piChunk } from '../../../src-main/experiments/pi/runPi'
import { slurmUnavailable, startSlurm, until, type TestSlurm } from '../../helpers/slurm'
import { freshHome, runCli, waitNoProcesses } from './cliProcess'

const skip = slurmUnavailable()
let slurm: TestSlurm
let dir: string

const hitsFor = (seed: number, samples: number, tasks: number): number => chunkSizes(samples, tasks).reduce((s, n, i) => s + piChunk(seed, i, n), 0)

/** Pids of processes whose command line runs a file from the job's bundle directory. */
function jobProcesses(): number[] {
  try {
    return execFileSync('pgrep', ['-f', dir], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number)
  } catch {
    return [] // pgrep exits 1 when nothing matches
  }
}

describe.skipIf(skip)(`clusterdesk start with a Slurm node${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 180_000 }, () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'clusterdesk-daemon-slurm-'))
    slurm = startSlurm([dir])
  })
  afterAll(() => {
    slurm?.cancelAll()
    slurm?.release()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('runs the daemon\'s engines in a Slurm job; pi --profile uses them; stop cancels the job and leaves nothing', async () => {
    const home = freshHome()
    const spec = `slurm:debug?time=00:05:00&engines=2&joinHost=127.0.0.1&listenHost=127.0.0.1&bundleDir=${encodeURIComponent(dir)}`
    const started = await runCli(home, ['start', '--json', '--profile', 'hpc', '--node', 'local:1', '--node', spec])
    expect(started.code, started.stderr).toBe(0)
    const info = JSON.parse(started.stdout) as { engines: Array<{ id: number; node: string }> }
    expect(info.engines.map((e) => e.id)).toEqual([0, 1, 2])
    expect(slurm.jobs()).toHaveLength(1)
    expect(slurm.jobs()[0]).toContain('|RUNNING|')

    const pi = await runCli(home, ['pi', '--profile', 'hpc', '--samples', '1e6', '--tasks', '12', '--seed', '7', '--json'])
    expect(pi.code, pi.stderr).toBe(0)
    const result = JSON.parse(pi.stdout) as { hits: number; engines: number }
    expect(result.hits).toBe(hitsFor(7, 1e6, 12))
    expect(result.engines).toBe(3)
    // pi --profile leaves the cluster, and so the job, running.
    expect(slurm.jobs()).toHaveLength(1)

    const stopped = await runCli(home, ['stop', '--profile', 'hpc'])
    expect(stopped.code, stopped.stderr).toBe(0)
    await until(() => slurm.jobs().length === 0, 30_000, 'the job to leave the queue')
    expect(await waitNoProcesses(home)).toEqual([])
    await until(() => jobProcesses().length === 0, 15_000, "the job's agents and engines to exit")
  })
})
