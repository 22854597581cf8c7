/**
 * A Slurm node submitted through an SSH login host: a real OpenSSH sshd on loopback is the login
 * host (this machine), which submits to the same test Slurm.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src-main/cluster/Cluster'
import type { SlurmNodeSpec } from '../../../src-main/cluster/options'
import { slurmSpec, slurmUnavailable, startSlurm, type TestSlurm, until } from '../../helpers/slurm'
import { startSshd, type Sshd } from '../../helpers/sshd'

const skip = slurmUnavailable()
let slurm: TestSlurm
let sshd: Sshd
let dir: string
const clusters: Cluster[] = []

function loginNode(extra: Partial<SlurmNodeSpec> = {}): SlurmNodeSpec {
  return slurmSpec(join(dir, 'bundle'), {
    nodePath: process.execPath,
    login: { host: sshd.host, port: sshd.port, user: 'root', identityFile: sshd.userKey, knownHostsFile: join(dir, 'known_hosts'), agent: '' },
    ...extra,
  })
}

describe.skipIf(skip)(`Slurm through a login host${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 120_000 }, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clusterdesk-slurm-login-'))
    slurm = startSlurm([dir])
    sshd = await startSshd()
    writeFileSync(join(dir, 'known_hosts'), `${sshd.knownHostsLine}\n`)
  })
  afterEach(async () => {
    await Promise.all(clusters.splice(0).map((c) => c.stop()))
    slurm.cancelAll()
  })
  afterAll(async () => {
    slurm?.cancelAll()
    slurm?.release()
    await sshd?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('submits over SSH, runs the engines, and stop() cancels the job and ends the login session', async () => {
    const c = new Cluster({ heartbeatMs: 500, nodes: [loginNode()] })
    clusters.push(c)
    const rc = await c.start()
    expect(c.nodes[0].key).toBe(`slurm://${sshd.host}/debug`)
    const job = c.nodes[0].job!
    expect(job.state).toBe('RUNNING')
    expect(await rc.view().apply(() => process.env.SLURM_JOB_ID).get()).toEqual([job.id, job.id])
    // The submit agent runs in the login session.
    expect(sshd.descendants().some((p) => p.cmdline.includes('--submit'))).toBe(true)
    await c.stop()
    await until(() => slurm.jobs().length === 0, 20000, 'the job to leave the queue')
    await until(() => !sshd.descendants().some((p) => p.cmdline.includes('--submit')), 10000, 'the submit agent to exit')
  })

  it("brings sbatch's refusal back over SSH", async () => {
    const c = new Cluster({ heartbeatMs: 500, nodes: [loginNode({ partition: 'nosuch' })] })
    clusters.push(c)
    await expect(c.start()).rejects.toThrow(/sbatch refused the job: .*invalid partition name specified/is)
    await until(() => slurm.jobs().length === 0, 20000, 'nothing left queued')
  })

  it('cancels the job when the controller dies with SIGKILL and the SSH session drops', async () => {
    const script = join(dir, 'controller.mjs')
    writeFileSync(
      script,
      `import { Cluster } from ${JSON.stringify(join(process.cwd(), 'dist/index.js'))}
const c = new Cluster({ heartbeatMs: 500, nodes: [${JSON.stringify(loginNode())}] })
await c.start()
console.log('READY ' + c.nodes[0].job.id)
setInterval(() => {}, 1000)
`,
    )
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      let out = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      const job = await until(() => /READY (\d+)/.exec(out)?.[1], 60000, 'the controller to start')
      expect(slurm.jobs().map((l) => l.split('|')[0])).toContain(job)
      child.kill('SIGKILL')
      await until(() => !slurm.jobs().some((l) => l.startsWith(`${job}|`)), 30000, 'the job to be cancelled')
      await until(() => !sshd.descendants().some((p) => p.cmdline.includes('--submit') || p.cmdline.includes('--join')), 15000, 'the agents to exit')
    } finally {
      child.kill('SIGKILL')
    }
  })
})
