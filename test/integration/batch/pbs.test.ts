/**
 * PBS nodes, tested against Slurm's PBS-compatible qsub/qstat/qdel (Debian's slurm-wlm-torque)
 * on the real test Slurm: Debian ships no PBS server. The README says so.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src-main/cluster/Cluster'
import type { PbsNodeSpec } from '../../../src-main/cluster/options'
import { enginePids, waitGone } from '../../helpers/cluster'
import { slurmUnavailable, startSlurm, type TestSlurm, until } from '../../helpers/slurm'

const skip = slurmUnavailable() ?? (process.env.CI ? null : execFileSync('sh', ['-c', 'command -v qsub || true'], { encoding: 'utf8' }).trim() ? null : 'qsub is not installed (apt-get install slurm-wlm-torque)')
let slurm: TestSlurm
let dir: string
const clusters: Cluster[] = []

const pbsNode = (extra: Partial<PbsNodeSpec> = {}): PbsNodeSpec => ({
  kind: 'pbs',
  queue: 'debug',
  walltime: '00:05:00',
  engines: 2,
  bundleDir: dir,
  joinHost: '127.0.0.1',
  listenHost: '127.0.0.1',
  pollMs: 500,
  ...extra,
})

function cluster(nodes: Cluster['options']['nodes']): Cluster {
  const c = new Cluster({ heartbeatMs: 500, nodes })
  clusters.push(c)
  return c
}

describe.skipIf(skip)(`PBS nodes (Slurm's torque wrappers)${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 120_000 }, () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'clusterdesk-pbs-'))
    slurm = startSlurm([dir])
  })
  afterEach(async () => {
    await Promise.all(clusters.splice(0).map((c) => c.stop()))
    slurm.cancelAll()
  })
  afterAll(() => {
    slurm?.cancelAll()
    slurm?.release()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('runs engines in a job submitted with qsub, and stop() deletes it with qdel', async () => {
    const c = cluster([pbsNode()])
    const rc = await c.start()
    expect(rc.ids).toEqual([0, 1])
    const job = c.nodes[0].job!
    expect(job.scheduler).toBe('pbs')
    expect(job.state).toBe('RUNNING')
    expect(await rc.view().apply(() => process.env.SLURM_JOB_ID).get()).toEqual([job.id, job.id])
    const pids = enginePids(rc)
    await c.stop()
    await until(() => slurm.jobs().length === 0, 20000, 'the job to leave the queue')
    expect(await waitGone(pids, 10000)).toEqual([])
  })

  it('an unknown queue: qsub refuses in its own words, nothing queued', async () => {
    const err = await cluster([pbsNode({ queue: 'nosuch' })]).start().then(
      () => null,
      (e: Error) => e,
    )
    expect(err?.message).toMatch(/qsub refused the job: .*invalid partition/is)
    await until(() => slurm.jobs().length === 0, 20000, 'nothing left queued')
  })

  it('a job deleted outside (qdel): its engines die with the PBS job named, balanced work finishes locally', async () => {
    const c = cluster([{ kind: 'local', engines: 1 }, pbsNode()])
    const rc = await c.start()
    const job = c.nodes.find((n) => n.key.startsWith('pbs'))!.job!.id
    const ar = rc.loadBalancedView(undefined, { retries: 2 }).map(async (x: number) => {
      await new Promise((r) => setTimeout(r, 100))
      return x + 1
    }, Array.from({ length: 30 }, (_, i) => i))
    await until(() => rc.engines.some((e) => e.id >= 1 && e.tasksDone > 0), 20000, 'tasks on the PBS engines')
    execFileSync('qdel', [job])
    expect(await ar.get()).toEqual(Array.from({ length: 30 }, (_, i) => i + 1))
    await until(() => rc.ids.length === 1, 20000, 'the PBS engines to die')
    for (const e of rc.engines.filter((e) => e.id >= 1)) expect(e.exit?.reason).toMatch(new RegExp(`the PBS job ${job} (ended|is): `))
  })
})
