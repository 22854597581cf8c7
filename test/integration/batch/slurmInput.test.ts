/**
 * Bad input on a Slurm node against the real test Slurm: each a clear error carrying the
 * scheduler's (or the shell's) own words, and nothing left queued. And every user value with
 * shell metacharacters is passed as data, never run.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src-main/cluster/Cluster'
import type { SlurmNodeSpec } from '../../../src-main/cluster/options'
import { slurmSpec, slurmUnavailable, startSlurm, type TestSlurm, until } from '../../helpers/slurm'

const skip = slurmUnavailable()
let slurm: TestSlurm
let dir: string
const clusters: Cluster[] = []

const submitAgents = (): number => spawnSync('pgrep', ['-f', 'agent.cjs --submit'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length

/** Starts a cluster with one Slurm node that must fail; resolves with the error. */
async function failing(extra: Partial<SlurmNodeSpec>): Promise<Error> {
  const c = new Cluster({ heartbeatMs: 500, nodes: [slurmSpec(join(dir, 'bundle'), extra)] })
  clusters.push(c)
  const err = await c.start().then(
    () => new Error('started'),
    (e: Error) => e,
  )
  expect(err.message).not.toBe('started')
  await until(() => slurm.jobs().length === 0, 20000, 'nothing left queued')
  return err
}

describe.skipIf(skip)(`Slurm node input${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 120_000 }, () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'clusterdesk-slurm-input-'))
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

  it('an unknown partition: sbatch refuses in its own words, nothing queued, no agent left', async () => {
    const marker = join(dir, 'partition-ran')
    const before = submitAgents()
    const err = await failing({ partition: `nosuch; touch ${marker}` })
    expect(err.message).toMatch(/sbatch refused the job: .*invalid partition name specified/is)
    expect(existsSync(marker)).toBe(false)
    await until(() => submitAgents() <= before, 10000, 'the submit agent to exit')
  })

  it('an invalid time: sbatch says so', async () => {
    const err = await failing({ time: 'banana' })
    expect(err.message).toMatch(/sbatch refused the job: .*invalid --time specification/is)
  })

  it('sbatch not installed: says where it looked', async () => {
    const err = await failing({ schedulerPath: join(dir, 'no-slurm-here') })
    expect(err.message).toMatch(/sbatch is not installed .*not found in .*no-slurm-here/)
  })

  it('a setup line that fails: which line, its output, and the job ended', async () => {
    const err = await failing({ setup: ['export CD_OK=1', `echo "it's broken" >&2 && false`] })
    expect(err.message).toMatch(/the Slurm job \d+ ended: FAILED/)
    expect(err.message).toContain("setup line 2 failed (exit 1)")
    expect(err.message).toContain("it's broken")
  })

  it('a compute node without Node.js at nodePath', async () => {
    const err = await failing({ nodePath: join(dir, 'nowhere', 'node') })
    expect(err.message).toMatch(/cannot run Node\.js .*nowhere\/node/)
    expect(err.message).toMatch(/the Slurm job \d+ ended: FAILED/)
  })

  it('passes metacharacters in partition, account, sbatchArgs, setup, nodePath and bundleDir as data', async () => {
    const weird = join(dir, `we ird'"$(touch ${join(dir, 'm-path')})`)
    mkdirSync(weird, { recursive: true })
    symlinkSync(process.execPath, join(weird, 'node'))
    const out = join(dir, 'setup-out')
    const c = new Cluster({
      heartbeatMs: 500,
      nodes: [
        slurmSpec(join(weird, 'bundle'), {
          engines: 1,
          nodePath: join(weird, 'node'),
          account: `acct'$(touch ${join(dir, 'm-acct')})`,
          sbatchArgs: [`--comment=x'$(touch ${join(dir, 'm-args')})"; touch ${join(dir, 'm-args2')}`],
          setup: [`echo "it's; fine \`echo ok\`" > ${JSON.stringify(out)}`],
        }),
      ],
    })
    clusters.push(c)
    const rc = await c.start()
    expect(await rc.view(0).apply(() => 1 + 1).get()).toBe(2)
    // The setup line is the user's shell code and ran as written; nothing else ran as code.
    expect(readFileSync(out, 'utf8')).toBe("it's; fine ok\n")
    for (const marker of ['m-path', 'm-args', 'm-args2', 'm-acct']) expect(existsSync(join(dir, marker))).toBe(false)
  })
})
