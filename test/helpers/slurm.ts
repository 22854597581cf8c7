/**
 * A real one-machine Slurm for the batch node tests: munged, slurmctld and slurmd from Debian's
 * slurm-wlm, started here when they are not running, with one partition `debug` that
 * oversubscribes the cores (so several test jobs run at once). The config goes to the system
 * path /etc/slurm/slurm.conf, so every shell sees it — a login over the test sshd included.
 *
 * Test files run in parallel processes: each registers itself under the state dir, and the last
 * one out stops the daemons this helper started (never daemons it found running).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, hostname, totalmem } from 'node:os'
import { join } from 'node:path'
import type { SlurmNodeSpec } from '../../src-main/cluster/options'

export const SLURM_CONF = '/etc/slurm/slurm.conf'
const STATE = '/tmp/clusterdesk-test-slurm'
const PID_FILES: Record<string, string> = { slurmd: '/run/slurmd.pid', slurmctld: '/run/slurmctld.pid', munged: '/run/munge/munged.pid' }
const MARK = '# written by clusterdesk test/helpers/slurm.ts'

export interface TestSlurm {
  partition: string
  /** Cancels this test file's jobs still queued or running (tests call it in afterEach). */
  cancelAll(): void
  /** `squeue` lines (`id|state|name`) of this test file's jobs: those whose working directory is in one of its scopes. */
  jobs(): string[]
  /** Stops the daemons if this was the last test file using them and the helper started them. */
  release(): void
}

/** Why the Slurm tests cannot run here, or null when they can (in CI they must: never skipped). */
export function slurmUnavailable(): string | null {
  if (process.env.CI) return null
  if (!existsSync('/usr/bin/sbatch') || !existsSync('/usr/sbin/slurmctld')) return 'Slurm is not installed (apt-get install slurm-wlm munge slurm-wlm-torque)'
  if (process.getuid?.() !== 0) return 'starting slurmctld/slurmd needs root'
  return null
}

const running = (name: string): boolean => spawnSync('pgrep', ['-x', name]).status === 0
const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

function writeConf(): void {
  if (existsSync(SLURM_CONF) && !readFileSync(SLURM_CONF, 'utf8').includes(MARK)) return
  const host = hostname().split('.')[0]
  const mem = Math.max(512, Math.floor(totalmem() / 2 ** 20) - 1024)
  mkdirSync('/etc/slurm', { recursive: true })
  for (const dir of ['/var/spool/slurmctld', '/var/spool/slurmd', '/var/log/slurm']) mkdirSync(dir, { recursive: true })
  writeFileSync(
    SLURM_CONF,
    `${MARK}
ClusterName=cdtest
SlurmctldHost=${host}
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
MpiDefault=none
# Jobs past their time limit are killed promptly (the walltime test waits for it).
KillWait=5
OverTimeLimit=0
MinJobAge=60
NodeName=${host} CPUs=${cpus().length} RealMemory=${mem} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:8
`,
  )
}

function startDaemons(): void {
  mkdirSync('/run/munge', { recursive: true })
  if (!existsSync('/etc/munge/munge.key')) writeFileSync('/etc/munge/munge.key', Buffer.alloc(1024, 0).map(() => Math.floor(Math.random() * 256)), { mode: 0o400 })
  run('chown', ['munge:munge', '/etc/munge/munge.key', '/run/munge'])
  const started: string[] = []
  if (!running('munged')) {
    run('su', ['-s', '/bin/sh', 'munge', '-c', '/usr/sbin/munged'])
    started.push('munged')
  }
  if (!running('slurmctld')) {
    run('/usr/sbin/slurmctld', [])
    started.push('slurmctld')
  }
  if (!running('slurmd')) {
    run('/usr/sbin/slurmd', [])
    started.push('slurmd')
  }
  for (const name of started) writeFileSync(join(STATE, `started-${name}`), '')
}

function waitIdle(): void {
  for (let i = 0; i < 60; i++) {
    const r = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8' })
    if (/idle|mix|alloc/.test(r.stdout)) return
    if (/down|drain/.test(r.stdout)) spawnSync('scontrol', ['update', `nodename=${hostname().split('.')[0]}`, 'state=resume'])
    spawnSync('sleep', ['1'])
  }
  throw new Error(`Slurm did not come up: ${spawnSync('sinfo', [], { encoding: 'utf8' }).stdout}; see /var/log/slurm/`)
}

function withLock(fn: () => void): void {
  const lock = join(STATE, 'lock')
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock)
      break
    } catch {
      // A lock older than two minutes belongs to a test process that died holding it.
      if (i > 480 || Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true })
      spawnSync('sleep', ['0.25'])
    }
  }
  try {
    fn()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/**
 * Starts (or joins) the test Slurm; call in beforeAll and `release()` in afterAll. Test files run
 * at once on the same Slurm: each sees and cancels only the jobs whose working directory is under
 * one of its `scopes` (a batch node's job runs in its job directory, under its `bundleDir`).
 */
export function startSlurm(scopes: string[]): TestSlurm {
  mkdirSync(join(STATE, 'users'), { recursive: true })
  const me = join(STATE, 'users', String(process.pid))
  writeFileSync(me, '')
  // Test files start in parallel: one at a time writes the config and starts the daemons.
  withLock(() => {
    writeConf()
    startDaemons()
    waitIdle()
  })
  const mine = (): string[][] =>
    spawnSync('squeue', ['-h', '-o', '%i|%T|%j|%Z'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .map((line) => line.split('|'))
      .filter((fields) => scopes.some((scope) => fields[3]?.startsWith(scope)))
  const jobs = (): string[] => mine().map((fields) => fields.slice(0, 3).join('|'))
  return {
    partition: 'debug',
    jobs,
    cancelAll() {
      const ids = mine().map((fields) => fields[0])
      if (ids.length) spawnSync('scancel', ids)
    },
    release() {
      withLock(() => stopIfLast(me, jobs))
    },
  }
}

/** The last test file out stops the daemons this helper started. */
function stopIfLast(me: string, jobs: () => string[]): void {
      rmSync(me, { force: true })
      const alive = readdirSync(join(STATE, 'users')).filter((pid) => {
        try {
          process.kill(Number(pid), 0)
          return true
        } catch {
          return false
        }
      })
      if (alive.length > 0) return
      spawnSync('scancel', ['-u', 'root'])
      // Let the job steps finish talking to slurmctld (they need munged) before anything stops.
      for (let i = 0; i < 40 && jobs().some((line) => /RUNNING|COMPLETING|PENDING/.test(line)); i++) spawnSync('sleep', ['0.5'])
      for (const name of ['slurmd', 'slurmctld', 'munged']) {
        const mark = join(STATE, `started-${name}`)
        if (!existsSync(mark)) continue
        // By the pid the daemon wrote, never by name: only what this helper started.
        const pid = Number(readFileSync(PID_FILES[name], 'utf8').trim())
        try {
          if (pid > 0) process.kill(pid, 'SIGTERM')
        } catch {
          // Already gone.
        }
        for (let i = 0; i < 60 && pid > 0 && existsSync(`/proc/${pid}`); i++) spawnSync('sleep', ['0.25'])
        rmSync(mark, { force: true })
      }
}

/** A Slurm node for the tests: its files under `bundleDir`, joining over loopback, polled often. */
export const slurmSpec = (bundleDir: string, extra: Partial<SlurmNodeSpec> = {}): SlurmNodeSpec => ({
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

/** Polls `fn` until it returns something truthy. */
export async function until<T>(fn: () => T | null | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}
