/**
 * Slurm nodes against a real one-machine Slurm (test/helpers/slurm.ts): jobs really queue, run,
 * get cancelled and time out. Every test cancels what it submitted and stops its clusters.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src-main/cluster/Cluster'
import type { ClusterOptions, SlurmNodeSpec } from '../../../src-main/cluster/options'
import { enginePids, waitGone } from '../../helpers/cluster'
import { slurmUnavailable, startSlurm, type TestSlurm } from '../../helpers/slurm'

const skip = slurmUnavailable()
let slurm: TestSlurm
let bundleDir: string
const clusters: Cluster[] = []

/** A Slurm node for these tests: its files in a temp dir, joining over loopback, polled often. */
export const slurmNode = (extra: Partial<SlurmNodeSpec> = {}): SlurmNodeSpec => ({
  kind: 'slurm',
  partition: 'debug',
  time: '00:05:00',
  engines: 2,
  bundleDir,
  joinHost: '127.0.0.1',
  listenHost: '127.0.0.1',
  pollMs: 500,
  ...extra,
})

function cluster(options: ClusterOptions): Cluster {
  const c = new Cluster({ heartbeatMs: 500, ...options })
  clusters.push(c)
  return c
}

const jobIds = (): string[] => slurm.jobs().map((line) => line.split('|')[0])
async function until<T>(fn: () => T | null | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe.skipIf(skip)(`Slurm nodes${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(() => {
    slurm = startSlurm()
    bundleDir = mkdtempSync(join(tmpdir(), 'clusterdesk-slurm-'))
  })
  afterEach(async () => {
    await Promise.all(clusters.splice(0).map((c) => c.stop()))
    slurm.cancelAll()
  })
  afterAll(() => {
    slurm?.cancelAll()
    slurm?.release()
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true })
  })

  it('runs engines in a Slurm job, and stop() cancels it: no job queued, no process left', async () => {
    const progress: string[] = []
    const c = cluster({ nodes: [slurmNode()], onProgress: (_node, message) => progress.push(message) })
    const rc = await c.start()
    expect(rc.ids).toEqual([0, 1])
    const hosts = await rc.view().apply(() => `${process.env.SLURM_JOB_ID}:${process.pid}`).get()
    const [job] = jobIds()
    expect(job).toMatch(/^\d+$/)
    expect(hosts.map((h) => h.split(':')[0])).toEqual([job, job])
    expect(rc.engines.every((e) => e.job?.id === job && e.job.state === 'RUNNING')).toBe(true)
    expect(progress.some((m) => m.startsWith(`slurm job ${job}: RUNNING`))).toBe(true)
    // The key is a 0600 file in the job's directory, never on a command line.
    const jobDir = join(bundleDir, 'jobs', readdirSync(join(bundleDir, 'jobs'))[0])
    expect((execFileSync('stat', ['-c', '%a', join(jobDir, 'key')], { encoding: 'utf8' }) as string).trim()).toBe('600')
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }) as string
    expect(ps).toContain('--key-file')
    expect(ps).not.toMatch(/--key(?!-file)/)
    const pids = enginePids(rc)
    expect(pids).toHaveLength(2)
    await c.stop()
    await until(() => jobIds().length === 0, 20000, 'the job to leave the queue')
    expect(await waitGone(pids, 10000)).toEqual([])
    expect(existsSync(jobDir)).toBe(false)
    expect(spawnSync('pgrep', ['-f', `${bundleDir}/agent-.*--join`]).status).toBe(1)
  })
})
