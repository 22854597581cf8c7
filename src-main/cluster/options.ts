/** The cluster's node specifications and their validation (clear errors, nothing started). */
export interface LocalNodeSpec {
  kind: 'local'
  /** Engines to start (default: the machine's cores). */
  engines?: number
  /** Node.js executable (default: the one running the controller). */
  nodePath?: string
  /** Engines' working directory, where their `require` resolves from (default: the current one). */
  cwd?: string
  /** Extra environment variables for the engines. */
  env?: Record<string, string>
}

export interface SshNodeSpec {
  kind: 'ssh'
  host: string
  port?: number
  user?: string
  identityFile?: string
  passphrase?: string
  /** ssh-agent socket path (default: $SSH_AUTH_SOCK). */
  agent?: string
  /** Node.js on the remote host (default `node` on its PATH). */
  nodePath?: string
  /** Engines to start (default: the host's cores). */
  engines?: number
  knownHostsFile?: string
  /** 'yes' (default) refuses unknown host keys; 'accept-new' trusts and records them. */
  strictHostKeyChecking?: 'yes' | 'accept-new'
  cwd?: string
  env?: Record<string, string>
}

/** How a batch node reaches its login (submit) host over SSH: as an SSH node is reached. */
export type BatchLogin = string | Omit<SshNodeSpec, 'kind' | 'engines' | 'cwd' | 'env' | 'nodePath'>

/** What Slurm and PBS nodes share. The job allocates `nodes` machines and runs `engines` on each. */
export interface BatchNodeSpecBase {
  /** Engines on each allocated node (default 1). */
  engines?: number
  /** Machines to allocate (default 1). */
  nodes?: number
  /** Shell lines run on each allocated node before its agent starts, e.g. `module load nodejs/20`; one complete command a line. */
  setup?: string[]
  /** Node.js on the compute nodes, and on the login host when `login` is set (default `node` on PATH, after `setup`). */
  nodePath?: string
  /** Submit through this SSH login host (default: submit from this machine). `user@host:port`, a config alias, or SSH options. */
  login?: BatchLogin
  /** Where the agent bundle and job directories go; the compute nodes must see it (default `~/.cache/clusterdesk` on the submit host). */
  bundleDir?: string
  /** The address compute nodes connect to on the submit host (default: its host name). */
  joinHost?: string
  /** The address the submit agent listens on (default 0.0.0.0). */
  listenHost?: string
  /** Directory of the scheduler's commands on the submit host (default: found on PATH). */
  schedulerPath?: string
  /** How often the job's state is read, in ms (default 3000). */
  pollMs?: number
  cwd?: string
  env?: Record<string, string>
}

export interface SlurmNodeSpec extends BatchNodeSpecBase {
  kind: 'slurm'
  partition: string
  /** `--time`, e.g. `01:00:00` or `30` (minutes). */
  time: string
  account?: string
  /** More `sbatch` arguments, one word each (`['--mem=4G']`). */
  sbatchArgs?: string[]
}

export interface PbsNodeSpec extends BatchNodeSpecBase {
  kind: 'pbs'
  queue: string
  /** `walltime`, e.g. `01:00:00`. */
  walltime: string
  account?: string
  /** More `qsub` arguments, one word each (`['-l', 'mem=4gb']`). */
  qsubArgs?: string[]
}

export type BatchNodeSpec = SlurmNodeSpec | PbsNodeSpec

export type NodeSpec = LocalNodeSpec | SshNodeSpec | SlurmNodeSpec | PbsNodeSpec

export const isBatchSpec = (spec: NodeSpec): spec is BatchNodeSpec => spec.kind === 'slurm' || spec.kind === 'pbs'

/** Engines a spec asks for (a batch node's `engines` is per allocated node); null: one per core. */
export function enginesOf(spec: NodeSpec): number | null {
  if (isBatchSpec(spec)) return (spec.engines ?? 1) * (spec.nodes ?? 1)
  return spec.engines ?? null
}

/** Default start timeout (of the cluster, or of one node being added): a batch job may wait in the queue, so it gets ten minutes. */
export const startTimeoutOf = (options: ClusterOptions, spec?: NodeSpec): number =>
  options.startTimeout ?? ((spec ? isBatchSpec(spec) : options.nodes.some(isBatchSpec)) ? 600_000 : 30_000)

export interface ClusterOptions {
  nodes: NodeSpec[]
  /** How long engines may take to start and register (default 30000 ms; 600000 with a batch node, whose job may queue). */
  startTimeout?: number
  /** Called with each node's progress while it starts (a batch job's queue state and reason). */
  onProgress?: (node: string, message: string, spec: NodeSpec | undefined) => void
  /** Heartbeat period between controller and agents (default 2000 ms). */
  heartbeatMs?: number
}

/** A cluster configuration that cannot work; the message says which node and what to change. */
export class ClusterConfigError extends Error {
  override name = 'ClusterConfigError'
}

export function validateOptions(options: unknown): ClusterOptions {
  if (!options || typeof options !== 'object' || !Array.isArray((options as ClusterOptions).nodes)) {
    throw new ClusterConfigError("new Cluster() needs { nodes: [...] }, e.g. new Cluster({ nodes: [{ kind: 'local', engines: 2 }] })")
  }
  const { nodes, startTimeout, heartbeatMs } = options as ClusterOptions
  if (nodes.length === 0) throw new ClusterConfigError("the cluster has no nodes; add one, e.g. { kind: 'local', engines: 2 }")
  nodes.forEach((node, i) => validateNode(node, i))
  for (const [name, v] of [['startTimeout', startTimeout], ['heartbeatMs', heartbeatMs]] as const) {
    if (v !== undefined && !(typeof v === 'number' && v > 0)) throw new ClusterConfigError(`${name} must be a positive number of milliseconds, got ${JSON.stringify(v)}`)
  }
  return options as ClusterOptions
}

export function validateNode(node: NodeSpec, i: number): void {
  const where = `nodes[${i}]`
  if (!node || typeof node !== 'object') throw new ClusterConfigError(`${where} must be an object like { kind: 'local', engines: 2 }`)
  if (!['local', 'ssh', 'slurm', 'pbs'].includes(node.kind)) {
    throw new ClusterConfigError(`${where}.kind must be 'local', 'ssh', 'slurm' or 'pbs', got ${JSON.stringify((node as { kind?: unknown }).kind)}`)
  }
  if (node.engines !== undefined && !(Number.isInteger(node.engines) && node.engines >= 1)) {
    throw new ClusterConfigError(`${where}.engines must be a whole number ≥ 1 (or left out for one per core), got ${JSON.stringify(node.engines)}`)
  }
  if (node.nodePath !== undefined && (typeof node.nodePath !== 'string' || node.nodePath.trim() === '')) {
    throw new ClusterConfigError(`${where}.nodePath must be the path of a Node.js executable`)
  }
  if (isBatchSpec(node)) validateBatchNode(node, where)
  if (node.kind === 'ssh') {
    if (typeof node.host !== 'string' || node.host.trim() === '') throw new ClusterConfigError(`${where}.host must name the SSH host (or a ~/.ssh/config alias)`)
    if (node.port !== undefined && !(Number.isInteger(node.port) && node.port > 0 && node.port < 65536)) {
      throw new ClusterConfigError(`${where}.port must be a TCP port (1-65535), got ${JSON.stringify(node.port)}`)
    }
    if (node.strictHostKeyChecking !== undefined && !['yes', 'accept-new'].includes(node.strictHostKeyChecking)) {
      throw new ClusterConfigError(`${where}.strictHostKeyChecking must be 'yes' or 'accept-new'`)
    }
  }
}

function validateBatchNode(node: BatchNodeSpec, where: string): void {
  const text = (name: string, v: unknown, what: string, required = true): void => {
    if (v === undefined && !required) return
    if (typeof v !== 'string' || v.trim() === '') throw new ClusterConfigError(`${where}.${name} must be ${what}, got ${JSON.stringify(v)}`)
  }
  if (node.kind === 'slurm') {
    text('partition', node.partition, "the Slurm partition's name (see `sinfo`)")
    text('time', node.time, "the job's time limit, e.g. '01:00:00'")
  } else {
    text('queue', node.queue, "the PBS queue's name (see `qstat -q`)")
    text('walltime', node.walltime, "the job's walltime, e.g. '01:00:00'")
  }
  text('account', node.account, 'the account to charge', false)
  if (node.nodes !== undefined && !(Number.isInteger(node.nodes) && node.nodes >= 1)) {
    throw new ClusterConfigError(`${where}.nodes must be a whole number ≥ 1 (machines to allocate), got ${JSON.stringify(node.nodes)}`)
  }
  const args = node.kind === 'slurm' ? ['sbatchArgs', node.sbatchArgs] : ['qsubArgs', node.qsubArgs]
  for (const [name, list] of [args, ['setup', node.setup]] as const) {
    if (list !== undefined && !(Array.isArray(list) && list.every((a) => typeof a === 'string'))) {
      throw new ClusterConfigError(`${where}.${name} must be a list of strings`)
    }
  }
  if (node.setup?.some((line) => /[\n\r]/.test(line))) throw new ClusterConfigError(`${where}.setup takes one command a line (no newlines inside a line)`)
  for (const name of ['bundleDir', 'joinHost', 'listenHost', 'schedulerPath'] as const) text(name, node[name], 'a non-empty string', false)
  if (node.pollMs !== undefined && !(typeof node.pollMs === 'number' && node.pollMs >= 100)) throw new ClusterConfigError(`${where}.pollMs must be a number of ms ≥ 100`)
  if (node.login !== undefined && typeof node.login !== 'string' && !(node.login && typeof node.login === 'object' && typeof node.login.host === 'string')) {
    throw new ClusterConfigError(`${where}.login must be 'user@host:port', an SSH config alias, or { host, user?, port?, … }`)
  }
}
