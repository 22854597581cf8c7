/**
 * Batch nodes (Slurm, PBS): the node's agent is a submit agent on the submit host — this machine,
 * or a login host reached over SSH exactly as an SSH node is — which submits the job and relays
 * the engines of the job's own agents. One base; the subclasses say which scheduler and how a
 * spec's fields map onto the job.
 */
import type { BatchJobConfig } from '../../engine/batch/schedulers'
import type { BatchLogin, BatchNodeSpec, PbsNodeSpec, SlurmNodeSpec } from '../../cluster/options'
import type { LaunchedAgent, Launcher } from '../Launcher'
import { LocalLauncher } from '../LocalLauncher'
import { SshLauncher, type SshLauncherOptions } from '../ssh/SshLauncher'
import { parseHostSpec } from '../ssh/sshConfig'

export interface BatchLauncherOptions {
  /** The submit agent exits (cancelling the job) after this long without a heartbeat (default 15000 ms). */
  heartbeatTimeoutMs?: number
  /** Launcher settings for the login host that are not node options (the GUI's progress stages). */
  ssh?: Pick<SshLauncherOptions, 'onStage'>
}

/** The SSH target of a `login` option. */
export function loginTarget(login: BatchLogin): Omit<SshLauncherOptions, 'heartbeatTimeoutMs'> {
  if (typeof login !== 'string') return login
  const { host, port, user } = parseHostSpec(login)
  return { host, port, user }
}

export abstract class BatchLauncher<S extends BatchNodeSpec = BatchNodeSpec> implements Launcher {
  readonly label: string

  constructor(
    protected readonly spec: S,
    private readonly options: BatchLauncherOptions = {},
  ) {
    const login = spec.login === undefined ? '' : `${loginTarget(spec.login).host}/`
    this.label = `${spec.kind}://${login}${spec.kind === 'slurm' ? spec.partition : spec.queue}`
  }

  /** The scheduler-specific part of the job's config. */
  protected abstract jobFields(): Pick<BatchJobConfig, 'scheduler' | 'queue' | 'time' | 'account' | 'extraArgs'>

  config(): BatchJobConfig {
    const { engines = 1, nodes = 1, setup, nodePath, bundleDir, joinHost, listenHost, schedulerPath, pollMs } = this.spec
    return { ...this.jobFields(), label: this.label, engines, nodes, setup, nodePath, bundleDir, joinHost, listenHost, schedulerPath, pollMs }
  }

  async launch(): Promise<LaunchedAgent> {
    const heartbeatTimeoutMs = this.options.heartbeatTimeoutMs ?? 15000
    const agentArgs = ['--submit']
    const { login } = this.spec
    // The submit agent runs where sbatch/qsub do; its engines' traffic comes through it, never direct.
    const agent = login
      ? await new SshLauncher({ ...loginTarget(login), ...this.options.ssh, nodePath: this.spec.nodePath, heartbeatTimeoutMs, agentArgs }).launch()
      : await new LocalLauncher({ heartbeatTimeoutMs, direct: false, agentArgs }).launch()
    // Its first line is the job's config (not its command line: nothing of it in `ps`).
    agent.transport.send([Buffer.from(`${JSON.stringify(this.config())}\n`)])
    return agent
  }
}

export class SlurmLauncher extends BatchLauncher<SlurmNodeSpec> {
  protected jobFields() {
    const { partition, time, account, sbatchArgs } = this.spec
    return { scheduler: 'slurm' as const, queue: partition, time, account, extraArgs: sbatchArgs }
  }
}

/** PBS/Torque; tested against Slurm's PBS-compatible qsub/qstat/qdel (slurm-wlm-torque). */
export class PbsLauncher extends BatchLauncher<PbsNodeSpec> {
  protected jobFields() {
    const { queue, walltime, account, qsubArgs } = this.spec
    return { scheduler: 'pbs' as const, queue, time: walltime, account, extraArgs: qsubArgs }
  }
}
