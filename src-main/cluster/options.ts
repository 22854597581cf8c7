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
  /**
   * Each engine's JavaScript heap limit in MB, passed to it as `--max-old-space-size` (V8 adds a
   * few tens of MB of young generation on top). Default: Node's own, which depends on the
   * machine's memory (about 4 GB on a 64-bit machine with 16 GB or more). An engine that runs out
   * fails its task with an EngineError saying `out of memory (heap limit N MB)`.
   */
  maxHeapMB?: number
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
  /**
   * The only user-level known_hosts read, and the one accept-new records in (as OpenSSH's
   * UserKnownHostsFile). Default: ~/.ssh/known_hosts is read, and clusterdesk's trust store
   * (`<home>/known_hosts`, see home.ts) is read and written.
   */
  knownHostsFile?: string
  /** 'yes' (default) refuses unknown host keys; 'accept-new' trusts and records them. */
  strictHostKeyChecking?: 'yes' | 'accept-new'
  cwd?: string
  env?: Record<string, string>
  /**
   * Each engine's JavaScript heap limit in MB, passed to it as `--max-old-space-size` (V8 adds a
   * few tens of MB of young generation on top). Default: Node's own, which depends on the
   * machine's memory (about 4 GB on a 64-bit machine with 16 GB or more). An engine that runs out
   * fails its task with an EngineError saying `out of memory (heap limit N MB)`.
   */
  maxHeapMB?: number
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
  /** The engines' V8 heap limit in MB (`--max-old-space-size`; default: Node's own, from the compute node's memory). */
  maxHeapMB?: number
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

/**
 * How long `count` engines may take to register (of the cluster, or of one node being added):
 * `startTimeout` when given; else 30 s plus 500 ms per engine (engines start a few per core at a
 * time, see agent.ts), and ten minutes when a batch job may wait in the queue.
 */
export const startTimeoutOf = (options: ClusterOptions, count: number, spec?: NodeSpec): number =>
  options.startTimeout ?? ((spec ? isBatchSpec(spec) : options.nodes.some(isBatchSpec)) ? 600_000 : 30_000 + 500 * count)

export interface ClusterOptions {
  nodes: NodeSpec[]
  /**
   * How long engines may take to start and register (default 30000 ms plus 500 ms per engine
   * started at once, since a small machine starts them a few at a time; 600000 ms with a batch
   * node, whose job may queue).
   */
  startTimeout?: number
  /** Called with each node's progress while it starts (a batch job's queue state and reason). */
  onProgress?: (node: string, message: string, spec: NodeSpec | undefined) => void
  /** Heartbeat period between controller and agents (default 2000 ms). */
  heartbeatMs?: number
  /**
   * An engine whose liveness beats (sent every 500 ms by a thread of its own, busy or not) stop
   * for this long is shown as not responding (`state: 'unresponsive'`: stopped with SIGSTOP, or
   * wedged), and the load-balanced tasks waiting on it move to engines that answer. Default 4000 ms.
   */
  notRespondingMs?: number
  /**
   * Publish the controller under this profile while the cluster runs (default: not published):
   * `connect({ profile })` from other processes then joins it. Starting a profile that is
   * already running fails.
   */
  profile?: string
  /** With `profile`: listen on TCP 'HOST:PORT' instead of a Unix socket (default: a Unix socket). */
  listen?: string
  /** With `profile`: keep the process alive while the cluster runs, as a daemon (default false). */
  keepAlive?: boolean
}

/** A cluster configuration that cannot work; the message says which node and what to change. */
export class ClusterConfigError extends Error {
  override name = 'ClusterConfigError'
}

/** Two liveness beats: less would flag engines that merely waited for a core. */
const MIN_NOT_RESPONDING_MS = 1000
/** Below this an engine cannot even load its bundle and user code. */
const MIN_HEAP_MB = 16

export function validateOptions(options: unknown): ClusterOptions {
  if (!options || typeof options !== 'object' || !Array.isArray((options as ClusterOptions).nodes)) {
    throw new ClusterConfigError("new Cluster() needs { nodes: [...] }, e.g. new Cluster({ nodes: [{ kind: 'local', engines: 2 }] })")
  }
  const { nodes, startTimeout, heartbeatMs, notRespondingMs, profile, listen } = options as ClusterOptions
  if (notRespondingMs !== undefined && typeof notRespondingMs === 'number' && notRespondingMs < MIN_NOT_RESPONDING_MS) {
    throw new ClusterConfigError(`notRespondingMs must be at least ${MIN_NOT_RESPONDING_MS} ms (engines beat every 500 ms), got ${notRespondingMs}`)
  }
  if (profile !== undefined && (typeof profile !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(profile))) {
    throw new ClusterConfigError(`profile must be a name of letters, digits, '.', '_' or '-' (at most 64), got ${JSON.stringify(profile)}`)
  }
  if (listen !== undefined && profile === undefined) throw new ClusterConfigError('listen needs a profile to publish under, e.g. { profile: \'lab\', listen: \'127.0.0.1:7777\' }')
  if (nodes.length === 0) throw new ClusterConfigError("the cluster has no nodes; add one, e.g. { kind: 'local', engines: 2 }")
  nodes.forEach((node, i) => validateNode(node, i))
  for (const [name, v] of [['startTimeout', startTimeout], ['heartbeatMs', heartbeatMs], ['notRespondingMs', notRespondingMs]] as const) {
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
  if (node.maxHeapMB !== undefined && !(Number.isInteger(node.maxHeapMB) && node.maxHeapMB >= MIN_HEAP_MB)) {
    throw new ClusterConfigError(`${where}.maxHeapMB must be a whole number of MB ≥ ${MIN_HEAP_MB} (or left out for Node's default), got ${JSON.stringify(node.maxHeapMB)}`)
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
    if (node.knownHostsFile !== undefined && (typeof node.knownHostsFile !== 'string' || node.knownHostsFile.trim() === '')) {
      throw new ClusterConfigError(`${where}.knownHostsFile must be the path of a known_hosts file (or left out for ~/.ssh/known_hosts and clusterdesk's trust store)`)
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
