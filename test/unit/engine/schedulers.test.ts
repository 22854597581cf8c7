/** The job scripts and submit arguments: every user value is data (quoted, or one argv word). */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type BatchJobConfig, PbsScheduler, SlurmScheduler } from '../../../src-main/engine/batch/schedulers'

const dir = mkdtempSync(join(tmpdir(), 'clusterdesk-sched-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const evil = `x'"; touch ${dir}/pwned; $(touch ${dir}/pwned2) \`touch ${dir}/pwned3\``
const config: BatchJobConfig = { scheduler: 'slurm', label: 'slurm://debug', engines: 3, nodes: 2, queue: evil, time: evil, account: evil, extraArgs: [evil], nodePath: `/opt/${evil}/node`, setup: ['export A=1'] }
const files = { dir: `/shared/${evil}`, bundle: `/shared/${evil}/agent.cjs`, keyFile: `/shared/${evil}/key`, joinAddress: 'login1:4000' }

/** Runs `sh -n` (parse only): the script is valid shell whatever the values. */
function parses(script: string): boolean {
  const path = join(dir, 'script.sh')
  writeFileSync(path, script)
  execFileSync('sh', ['-n', path])
  return true
}

describe('batch job scripts', () => {
  it('Slurm: values are single argv words; the scripts quote paths and nodePath, and parse', () => {
    const slurm = new SlurmScheduler(config)
    const args = slurm.submitArgs(files, '/shared/job.sh')
    expect(args).toContain(`--partition=${evil}`)
    expect(args).toContain(`--time=${evil}`)
    expect(args).toContain(`--account=${evil}`)
    expect(args).toContain(evil)
    expect(args.at(-1)).toBe('/shared/job.sh')
    expect(parses(slurm.jobScript(files))).toBe(true)
    const node = slurm.nodeScript(files)
    expect(parses(node)).toBe(true)
    expect(node).toContain('--engines 3')
    expect(node).not.toMatch(/--key(?!-file)/)
  })

  it('the node script runs setup then checks Node.js, and injects nothing', () => {
    const script = new SlurmScheduler({ ...config, nodePath: `${dir}/no such node'$(touch ${dir}/pwned4)`, setup: ['echo "setup ran"'] }).nodeScript({ ...files, dir })
    const path = join(dir, 'node.sh')
    writeFileSync(path, script)
    let out = ''
    try {
      execFileSync('sh', [path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    } catch (err) {
      out = `${(err as { stdout: string }).stdout}${(err as { stderr: string }).stderr}`
      expect((err as { status: number }).status).toBe(97)
    }
    expect(out).toContain('setup ran')
    expect(out).toContain('clusterdesk: cannot run Node.js')
    for (const f of ['pwned', 'pwned2', 'pwned3', 'pwned4']) expect(execFileSync('sh', ['-c', `test -e ${dir}/${f} && echo yes || echo no`], { encoding: 'utf8' }).trim()).toBe('no')
  })

  it('PBS: one -l (Torque wrappers keep the last), and the script parses', () => {
    const pbs = new PbsScheduler({ ...config, scheduler: 'pbs' })
    const args = pbs.submitArgs(files, '/shared/job.sh')
    expect(args.filter((a) => a === '-l')).toHaveLength(1)
    expect(args).toContain(`nodes=2,walltime=${evil}`)
    expect(parses(pbs.jobScript(files))).toBe(true)
    expect(pbs.parseSubmit('123.server\n')).toBe('123.server')
  })
})
