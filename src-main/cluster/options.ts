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

export type NodeSpec = LocalNodeSpec | SshNodeSpec

export interface ClusterOptions {
  nodes: NodeSpec[]
  /** How long engines may take to start and register (default 30000 ms). */
  startTimeout?: number
  /** Heartbeat period between controller and agents (default 2000 ms). */
  heartbeatMs?: number
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

export function validateOptions(options: unknown): ClusterOptions {
  if (!options || typeof options !== 'object' || !Array.isArray((options as ClusterOptions).nodes)) {
    throw new ClusterConfigError("new Cluster() needs { nodes: [...] }, e.g. new Cluster({ nodes: [{ kind: 'local', engines: 2 }] })")
  }
  const { nodes, startTimeout, heartbeatMs, profile, listen } = options as ClusterOptions
  if (profile !== undefined && (typeof profile !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(profile))) {
    throw new ClusterConfigError(`profile must be a name of letters, digits, '.', '_' or '-' (at most 64), got ${JSON.stringify(profile)}`)
  }
  if (listen !== undefined && profile === undefined) throw new ClusterConfigError('listen needs a profile to publish under, e.g. { profile: \'lab\', listen: \'127.0.0.1:7777\' }')
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
  if (node.kind !== 'local' && node.kind !== 'ssh') {
    throw new ClusterConfigError(`${where}.kind must be 'local' or 'ssh', got ${JSON.stringify((node as { kind?: unknown }).kind)}`)
  }
  if (node.engines !== undefined && !(Number.isInteger(node.engines) && node.engines >= 1)) {
    throw new ClusterConfigError(`${where}.engines must be a whole number ≥ 1 (or left out for one per core), got ${JSON.stringify(node.engines)}`)
  }
  if (node.nodePath !== undefined && (typeof node.nodePath !== 'string' || node.nodePath.trim() === '')) {
    throw new ClusterConfigError(`${where}.nodePath must be the path of a Node.js executable`)
  }
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
