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

export type NodeSpec = LocalNodeSpec | SshNodeSpec

export interface ClusterOptions {
  nodes: NodeSpec[]
  /**
   * How long engines may take to start and register (default 30000 ms plus 500 ms per engine
   * started at once, since a small machine starts them a few at a time).
   */
  startTimeout?: number
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
  if (node.kind !== 'local' && node.kind !== 'ssh') {
    throw new ClusterConfigError(`${where}.kind must be 'local' or 'ssh', got ${JSON.stringify((node as { kind?: unknown }).kind)}`)
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
