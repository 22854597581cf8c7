/**
 * What differs between batch schedulers, on the submit host: the submit command and its
 * arguments, the job script's way of starting one agent per allocated node, how a job's state and
 * reason are read, and how a job is cancelled. Commands run with execFile (no shell): user values
 * are single arguments; in the scripts every value is shell-quoted.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { shellCommand, shellQuote } from '../../nodes/ssh/shellQuote'

/** How the controller configures a batch node's submit agent (sent as its first line). */
export interface BatchJobConfig {
  scheduler: 'slurm' | 'pbs'
  /** The node's label, for messages. */
  label: string
  /** Engines per allocated node. */
  engines: number
  /** Nodes to allocate. */
  nodes: number
  /** Slurm partition or PBS queue. */
  queue: string
  /** Slurm `--time` or PBS `walltime` (e.g. `01:00:00`). */
  time: string
  account?: string
  /** More arguments for `sbatch` / `qsub`, each one word. */
  extraArgs?: string[]
  /** Shell lines run on each allocated node before its agent starts (`module load node/20`). */
  setup?: string[]
  /** Node.js on the compute nodes (default `node` on their PATH, after `setup`). */
  nodePath?: string
  /** Where the bundle and the job directories go; compute nodes must see it (default ~/.cache/clusterdesk). */
  bundleDir?: string
  /** The address compute nodes connect to (default: the submit host's name). */
  joinHost?: string
  /** The address the submit agent listens on (default 0.0.0.0: every interface). */
  listenHost?: string
  /** Directory holding the scheduler's commands (default: found on PATH). */
  schedulerPath?: string
  /** How often the job's state is read while it is queued or running (default 3000 ms). */
  pollMs?: number
}

/** One reading of the job: the scheduler's state and reason; `done` once the job has ended. */
export interface JobReading {
  state: string
  reason: string
  done: boolean
}

export interface CommandResult {
  code: number | null
  stdout: string
  stderr: string
  /** Set when the command could not be run at all (ENOENT: not installed). */
  spawnError?: NodeJS.ErrnoException
}

/** Paths the job scripts use, all in the job's own directory. */
export interface JobFiles {
  dir: string
  bundle: string
  keyFile: string
  joinAddress: string
}

export function runCommand(file: string, args: string[], timeoutMs = 30000, cwd?: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 1 << 20, encoding: 'utf8', cwd }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null
      if (e && typeof e.code === 'string') return resolve({ code: null, stdout, stderr, spawnError: e })
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr })
    })
  })
}

/** One scheduler; thin subclasses fill in its commands and parsing. */
export abstract class Scheduler {
  abstract readonly name: 'slurm' | 'pbs'
  abstract readonly submitCommand: string
  constructor(protected readonly config: BatchJobConfig) {}

  /** The full path (or bare name) of one of the scheduler's commands. */
  command(name: string): string {
    return this.config.schedulerPath ? join(this.config.schedulerPath, name) : name
  }

  /** The script run on each allocated node: setup, a Node.js check, then the compute agent. */
  nodeScript(files: JobFiles): string {
    const node = this.config.nodePath ?? 'node'
    const lines = (this.config.setup ?? []).map(
      (line, i) =>
        `{ ${line}\n} || { echo "clusterdesk: setup line ${i + 1} failed (exit $?) on $(hostname): "${shellQuote(line)} >&2; exit 96; }`,
    )
    return [
      '#!/bin/sh',
      `# clusterdesk ${this.config.label}: one per allocated node; joins the submit agent at ${files.joinAddress}.`,
      `cd ${shellQuote(files.dir)} || exit 95`,
      ...lines,
      `if ! v=$(${shellQuote(node)} --version 2>&1); then echo "clusterdesk: cannot run Node.js "${shellQuote(node)}" on $(hostname): $v; set the node's nodePath or load Node.js in setup" >&2; exit 97; fi`,
      `case "$v" in v1[89].*|v[2-9][0-9].*) ;; *) echo "clusterdesk: Node.js "${shellQuote(node)}" on $(hostname) is $v; Node.js >= 18 is needed" >&2; exit 97;; esac`,
      `exec ${shellCommand([node, files.bundle, '--join', files.joinAddress, '--key-file', files.keyFile, '--engines', String(this.config.engines)])}`,
      '',
    ].join('\n')
  }

  /** The batch script the scheduler runs (once, on the first allocated node). */
  abstract jobScript(files: JobFiles): string
  /** Arguments of the submit command (the script's path last). */
  abstract submitArgs(files: JobFiles, script: string): string[]
  /** The job id in the submit command's output. */
  abstract parseSubmit(stdout: string): string | null
  abstract read(job: string): Promise<JobReading | null>
  abstract cancel(job: string): Promise<CommandResult>
}

export class SlurmScheduler extends Scheduler {
  readonly name = 'slurm'
  readonly submitCommand = 'sbatch'

  jobScript(files: JobFiles): string {
    return [
      '#!/bin/sh',
      `# clusterdesk ${this.config.label}: starts one agent per allocated node (node.sh).`,
      `cd ${shellQuote(files.dir)} || exit 95`,
      `exec srun --nodes=${this.config.nodes} --ntasks-per-node=1 --kill-on-bad-exit=0 /bin/sh ${shellQuote(join(files.dir, 'node.sh'))}`,
      '',
    ].join('\n')
  }

  submitArgs(files: JobFiles, script: string): string[] {
    const { nodes, queue, time, account, extraArgs = [] } = this.config
    return [
      '--parsable',
      '--job-name=clusterdesk',
      `--nodes=${nodes}`,
      '--ntasks-per-node=1',
      `--partition=${queue}`,
      `--time=${time}`,
      ...(account ? [`--account=${account}`] : []),
      `--output=${join(files.dir, 'job.out')}`,
      `--chdir=${files.dir}`,
      ...extraArgs,
      script,
    ]
  }

  parseSubmit(stdout: string): string | null {
    // `--parsable` prints `id` or `id;cluster`.
    const m = /^(\d+)/.exec(stdout.trim())
    return m ? m[1] : null
  }

  async read(job: string): Promise<JobReading | null> {
    const r = await runCommand(this.command('squeue'), ['-h', '-t', 'all', '-j', job, '-o', '%T|%r'])
    const line = r.code === 0 ? r.stdout.trim().split('\n')[0] : ''
    if (line) {
      const [state, reason = ''] = line.split('|')
      return { state, reason: reason === 'None' ? '' : reason, done: !/^(PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED|REQUEUED|RESIZING|SIGNALING|STAGE_OUT)/.test(state) }
    }
    // Gone from squeue (past MinJobAge, or squeue failed): ask the accounting, if there is one.
    const acct = await runCommand(this.command('sacct'), ['-n', '-X', '-P', '-j', job, '-o', 'State,Reason'])
    const [state, reason = ''] = acct.code === 0 ? (acct.stdout.trim().split('\n')[0] ?? '').split('|') : ['']
    if (state) return { state: state.split(' ')[0], reason: reason === 'None' ? '' : reason, done: !/^(PENDING|RUNNING)/.test(state) }
    return r.code === 0 ? { state: 'GONE', reason: 'the job is no longer known to Slurm', done: true } : null
  }

  cancel(job: string): Promise<CommandResult> {
    return runCommand(this.command('scancel'), [job])
  }
}

/** PBS (and Torque); tested against slurm-wlm-torque's qsub/qstat/qdel wrappers. */
export class PbsScheduler extends Scheduler {
  readonly name = 'pbs'
  readonly submitCommand = 'qsub'

  jobScript(files: JobFiles): string {
    const nodeScript = shellQuote(join(files.dir, 'node.sh'))
    return [
      '#!/bin/sh',
      `# clusterdesk ${this.config.label}: starts one agent per allocated node (node.sh), from $PBS_NODEFILE.`,
      `cd ${shellQuote(files.dir)} || exit 95`,
      'me=$(hostname)',
      'if [ -n "${PBS_NODEFILE:-}" ] && [ -f "$PBS_NODEFILE" ]; then hosts=$(sort -u "$PBS_NODEFILE"); else hosts=$me; fi',
      'for h in $hosts; do',
      `  if [ "$h" = "$me" ] || [ "$h" = "\${me%%.*}" ]; then /bin/sh ${nodeScript} &`,
      `  elif command -v pbsdsh >/dev/null 2>&1; then pbsdsh -h "$h" /bin/sh ${nodeScript} &`,
      `  else ssh -o BatchMode=yes "$h" /bin/sh ${shellQuote(nodeScript)} &`,
      '  fi',
      'done',
      'wait',
      '',
    ].join('\n')
  }

  submitArgs(files: JobFiles, script: string): string[] {
    const { nodes, queue, time, account, extraArgs = [] } = this.config
    return [
      '-N',
      'clusterdesk',
      '-q',
      queue,
      // One -l: Torque-style wrappers keep only the last of several.
      '-l',
      `nodes=${nodes},walltime=${time}`,
      ...(account ? ['-A', account] : []),
      '-j',
      'oe',
      '-o',
      join(files.dir, 'job.out'),
      ...extraArgs,
      script,
    ]
  }

  parseSubmit(stdout: string): string | null {
    // `123.server` from PBS, `123` from Torque's wrapper.
    const m = /^(\d+[^\s]*)/.exec(stdout.trim())
    return m ? m[1] : null
  }

  async read(job: string): Promise<JobReading | null> {
    const r = await runCommand(this.command('qstat'), ['-f', job])
    if (r.code !== 0) {
      // PBS forgets finished jobs (`Unknown Job Id`); qstat itself failing is another matter.
      return /unknown job|invalid job|does not exist/i.test(r.stderr + r.stdout) ? { state: 'C', reason: 'the job has finished', done: true } : null
    }
    const field = (name: string): string => new RegExp(`^\\s*${name} = (.*)$`, 'm').exec(r.stdout)?.[1]?.trim() ?? ''
    const code = field('job_state')
    const state = ({ Q: 'QUEUED', H: 'HELD', W: 'WAITING', R: 'RUNNING', E: 'EXITING', C: 'COMPLETED', F: 'FINISHED', S: 'SUSPENDED' } as Record<string, string>)[code] ?? code
    const exit = field('exit_status')
    return { state, reason: field('comment') || (exit ? `exit status ${exit}` : ''), done: code === 'C' || code === 'F' || code === 'E' }
  }

  cancel(job: string): Promise<CommandResult> {
    return runCommand(this.command('qdel'), [job])
  }
}

export function schedulerFor(config: BatchJobConfig): Scheduler {
  return config.scheduler === 'pbs' ? new PbsScheduler(config) : new SlurmScheduler(config)
}
