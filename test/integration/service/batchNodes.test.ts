/**
 * The app's service with a Slurm node on the real test Slurm (test/helpers/slurm.ts): the node
 * shows `queued` with the scheduler's reason while its job waits, `ready` once it runs, and Stop
 * cancels the job. Uses the batch defaults (join address: this host's name, ~/.cache/clusterdesk).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { slurmUnavailable, startSlurm, type TestSlurm, until } from '../../helpers/slurm'
import { openService, tempDir, waitFor } from '../../helpers/service'

const skip = slurmUnavailable()
let slurm: TestSlurm
let blockerDir: string

describe.skipIf(skip)(`the service's Slurm nodes${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 120_000 }, () => {
  beforeAll(() => {
    blockerDir = mkdtempSync(join(tmpdir(), 'clusterdesk-service-slurm-'))
    // The service's jobs run in the default job directories, the blocker in its own.
    slurm = startSlurm([join(homedir(), '.cache', 'clusterdesk', 'jobs'), blockerDir])
  })
  afterEach(() => slurm.cancelAll())
  afterAll(() => {
    slurm?.cancelAll()
    slurm?.release()
    if (blockerDir) rmSync(blockerDir, { recursive: true, force: true })
  })

  it('shows the job queued with its reason, then ready; Stop cancels it', async () => {
    const service = openService(tempDir())
    const blocker = (execFileSync('sbatch', ['--parsable', '-p', 'debug', '-o', '/dev/null', '-D', blockerDir, '--wrap', 'sleep 300'], { encoding: 'utf8' }) as string).trim()
    const node = await service.saveNode({ name: 'hpc', kind: 'slurm', engines: 2, batch: { queue: 'debug', time: '00:05:00', extraArgs: [`--dependency=afterany:${blocker}`] } })
    const started = service.startNode(node.id)
    started.catch(() => undefined)
    const queued = await waitFor(async () => {
      const status = (await service.snapshot()).nodeStatus.find((s) => s.nodeId === node.id)
      return status?.state === 'queued' && status.job?.reason === 'Dependency' ? status : null
    }, 'the node to show its job queued', 30_000)
    expect(queued.job).toMatchObject({ scheduler: 'slurm', state: 'PENDING', reason: 'Dependency' })
    execFileSync('scancel', [blocker])
    await started
    const ready = (await service.snapshot()).nodeStatus.find((s) => s.nodeId === node.id)!
    expect(ready).toMatchObject({ state: 'ready', engineIds: [0, 1], job: { state: 'RUNNING' } })
    const job = ready.job!.id
    expect(slurm.jobs().some((l) => l.startsWith(`${job}|RUNNING`))).toBe(true)
    await service.stopNode(node.id)
    await until(() => !slurm.jobs().some((l) => l.startsWith(`${job}|`)), 20_000, 'the job to leave the queue')
  })

  it("shows a job ended outside (scancel) as lost, with the scheduler's state", async () => {
    const service = openService(tempDir())
    const node = await service.saveNode({ name: 'hpc', kind: 'slurm', engines: 1, batch: { queue: 'debug', time: '00:05:00' } })
    await service.startNode(node.id)
    const job = (await service.snapshot()).nodeStatus.find((s) => s.nodeId === node.id)!.job!.id
    execFileSync('scancel', [job])
    const lost = await waitFor(async () => {
      const status = (await service.snapshot()).nodeStatus.find((s) => s.nodeId === node.id)
      return status?.state === 'lost' ? status : null
    }, 'the node to be lost', 30_000)
    expect(lost.reason).toBe(`the slurm job ${job} ended: CANCELLED`)
    expect((await service.snapshot()).engines.every((e) => e.state === 'dead')).toBe(true)
  })

  it('tests a Slurm node by asking sinfo for its partition, submitting nothing', async () => {
    const service = openService(tempDir())
    const input = { name: 'hpc', kind: 'slurm' as const, engines: 1, batch: { queue: 'debug', time: '1' } }
    expect(await service.testNode(input)).toMatchObject({ ok: true, message: expect.stringMatching(/^Slurm partition debug\*? up 1 nodes/) })
    expect(await service.testNode({ ...input, batch: { queue: 'nosuch', time: '1' } })).toMatchObject({ ok: false, message: "Slurm has no partition 'nosuch' (see sinfo)" })
    expect(slurm.jobs()).toEqual([])
  })
})
