/**
 * Slurm nodes against a real one-machine Slurm (test/helpers/slurm.ts): jobs really queue, run,
 * get cancelled and time out. Every test cancels what it submitted and stops its clusters.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src-main/cluster/Cluster'
import type { ClusterOptions, SlurmNodeSpec } from '../../../src-main/cluster/options'
import { runPi } from '../../../src-main/experiments/pi/runPi'
import { enginePids, waitGone } from '../../helpers/cluster'
import { slurmSpec, slurmUnavailable, startSlurm, type TestSlurm, until } from '../../helpers/slurm'

const skip = slurmUnavailable()
let slurm: TestSlurm
let bundleDir: string
const clusters: Cluster[] = []

const slurmNode = (extra: Partial<SlurmNodeSpec> = {}): SlurmNodeSpec => slurmSpec(bundleDir, extra)

function cluster(options: ClusterOptions): Cluster {
  const c = new Cluster({ heartbeatMs: 500, ...options })
  clusters.push(c)
  return c
}

const jobIds = (): string[] => slurm.jobs().map((line) => line.split('|')[0])

describe.skipIf(skip)(`Slurm nodes${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 120_000 }, () => {
  beforeAll(() => {
    bundleDir = mkdtempSync(join(tmpdir(), 'clusterdesk-slurm-'))
    slurm = startSlurm([bundleDir])
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

  it('shows the job queued with Slurm\'s reason while it waits, and its engines once it runs', async () => {
    const blocker = (execFileSync('sbatch', ['--parsable', '-p', 'debug', '-o', '/dev/null', '-D', bundleDir, '--wrap', 'sleep 300'], { encoding: 'utf8' }) as string).trim()
    const progress: string[] = []
    const c = cluster({ nodes: [slurmNode({ sbatchArgs: [`--dependency=afterany:${blocker}`] })], onProgress: (_n, m) => progress.push(m) })
    const started = c.start()
    started.catch(() => undefined)
    const job = await until(() => c.nodes[0]?.job?.state === 'PENDING' && c.nodes[0].job.reason === 'Dependency' && c.nodes[0].job, 20000, 'the job to queue')
    expect(job.id).not.toBe(blocker)
    expect(progress).toContain(`slurm job ${job.id}: PENDING (Dependency)`)
    expect(slurm.jobs()).toContain(`${job.id}|PENDING|clusterdesk`)
    // The blocker ends: the job runs and its engines register.
    execFileSync('scancel', [blocker])
    const rc = await started
    expect(rc.ids).toEqual([0, 1])
    expect(rc.engines.map((e) => e.job?.state)).toEqual(['RUNNING', 'RUNNING'])
    expect(await rc.view().apply(() => 6 * 7).get()).toEqual([42, 42])
  })

  it("a start that times out while the job waits says so in Slurm's words, and cancels the job", async () => {
    const blocker = (execFileSync('sbatch', ['--parsable', '-p', 'debug', '-o', '/dev/null', '-D', bundleDir, '--wrap', 'sleep 300'], { encoding: 'utf8' }) as string).trim()
    const c = cluster({ startTimeout: 4000, nodes: [slurmNode({ sbatchArgs: [`--dependency=afterany:${blocker}`] })] })
    await expect(c.start()).rejects.toThrow(/did not register within 4000 ms\n {2}slurm:\/\/debug: slurm job \d+ is still PENDING \(Dependency\); raise startTimeout/)
    await until(() => jobIds().every((id) => id === blocker), 20000, 'the job to be cancelled')
  })

  it('reports engines dead with the scheduler\'s reason when the job is cancelled outside; balanced tasks with retries finish locally', async () => {
    const c = cluster({ nodes: [{ kind: 'local', engines: 2 }, slurmNode()] })
    const rc = await c.start()
    expect(rc.ids).toEqual([0, 1, 2, 3])
    const job = c.nodes.find((n) => n.key.startsWith('slurm'))!.job!.id
    const lb = rc.loadBalancedView(undefined, { retries: 2 })
    const ar = lb.map(async (x: number) => {
      await new Promise((r) => setTimeout(r, 150))
      return x * x
    }, Array.from({ length: 40 }, (_, i) => i))
    await until(() => rc.engines.some((e) => e.id >= 2 && e.tasksDone > 0), 20000, 'tasks on the Slurm engines')
    execFileSync('scancel', [job])
    expect(await ar.get()).toEqual(Array.from({ length: 40 }, (_, i) => i * i))
    await until(() => rc.ids.length === 2, 20000, 'the Slurm engines to die')
    const dead = rc.engines.filter((e) => e.id >= 2)
    for (const e of dead) {
      expect(e.state).toBe('dead')
      expect(e.exit?.reason).toMatch(new RegExp(`the Slurm job ${job} (ended|is): CANCELLED`))
    }
    await until(() => jobIds().length === 0, 20000, 'the job to leave the queue')
  })

  it('cancels the job when the controller is killed with SIGKILL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clusterdesk-kill9-'))
    const script = join(dir, 'controller.mjs')
    writeFileSync(
      script,
      `import { Cluster } from ${JSON.stringify(join(process.cwd(), 'dist/index.js'))}
const c = new Cluster({ heartbeatMs: 500, nodes: [${JSON.stringify(slurmNode())}] })
const rc = await c.start()
console.log('READY ' + JSON.stringify({ pids: rc.engines.map((e) => e.pid), job: c.nodes[0].job.id }))
setInterval(() => {}, 1000)
`,
    )
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      let out = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      const ready = await until(() => /READY (.*)/.exec(out)?.[1], 60000, 'the controller to start')
      const { pids, job } = JSON.parse(ready) as { pids: number[]; job: string }
      expect(jobIds()).toContain(job)
      child.kill('SIGKILL')
      await until(() => !jobIds().includes(job), 30000, 'the job to be cancelled')
      expect(await waitGone(pids, 15000)).toEqual([])
    } finally {
      child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("ends the job when the submit agent itself is SIGKILLed: the compute agents exit as their connection drops", async () => {
    const c = cluster({ nodes: [slurmNode()] })
    const rc = await c.start()
    const { agentPid, job } = c.nodes[0]
    const pids = enginePids(rc)
    process.kill(agentPid!, 'SIGKILL')
    await until(() => !jobIds().includes(job!.id), 30000, 'the job to end')
    expect(await waitGone(pids, 15000)).toEqual([])
  })

  it('gives the same π hits on local + Slurm engines as on local ones only', async () => {
    const opts = { samples: 2e6, tasks: 16, mode: 'lb-map' as const, seed: 7 }
    const local = cluster({ nodes: [{ kind: 'local', engines: 2 }] })
    const localHits = (await runPi(await local.start(), opts)).hits
    await local.stop()
    const mixed = cluster({ nodes: [{ kind: 'local', engines: 1 }, slurmNode()] })
    const r = await runPi(await mixed.start(), opts)
    expect(r.hits).toBe(localHits)
  })

  // A minute is Slurm's smallest time limit: this is the one slow test, for the reason text.
  it('reports engines dead with TIMEOUT when the job reaches its time limit', { timeout: 180_000 }, async () => {
    const c = cluster({ nodes: [slurmNode({ time: '1' })] })
    const rc = await c.start()
    const job = c.nodes[0].job!.id
    await until(() => rc.ids.length === 0, 150_000, 'the job to time out')
    for (const e of rc.engines) expect(e.exit?.reason).toMatch(new RegExp(`the Slurm job ${job} ended: TIMEOUT`))
    await until(() => jobIds().length === 0, 20000, 'the job to leave the queue')
  })
})
