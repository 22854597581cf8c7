/**
 * `--node` values of the command line: `local`, `local:2`, or
 * `ssh://[user@]host[:port][?engines=2&identityFile=…&nodePath=…&strictHostKeyChecking=accept-new&knownHostsFile=…&agent=…&maxHeapMB=…]`,
 * or a batch node, `slurm:debug?time=01:00:00&nodes=2&engines=8` / `pbs://login1/batch?walltime=…` (batchNodeOption.ts).
 */
import { InvalidArgumentError } from 'commander'
import type { NodeSpec, SshNodeSpec } from '../cluster/options'
import { loginTarget } from '../nodes/batch/BatchLauncher'
import { parseBatchNodeOption } from './batchNodeOption'

const SSH_PARAMS = ['engines', 'identityFile', 'nodePath', 'strictHostKeyChecking', 'knownHostsFile', 'agent', 'cwd', 'maxHeapMB'] as const
const EXAMPLE = "like local:2, 'ssh://bo@lab1:22?engines=2&identityFile=~/.ssh/id_ed25519' or 'slurm:debug?time=01:00:00&engines=8'"

/** No fixed maximum: the node's agent says how many engines it can hold, and start refuses more. */
function engineCount(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`Expected an engine count of 1 or more, got '${text}'; write a node ${EXAMPLE}.`)
  return n
}

/** One `--node` value as a node spec; InvalidArgumentError (exit status 2) when it cannot be read. */
export function parseNodeOption(text: string): NodeSpec {
  const local = /^local(?::(.*))?$/.exec(text)
  if (local) return local[1] === undefined ? { kind: 'local' } : { kind: 'local', engines: engineCount(local[1]) }
  if (/^(slurm|pbs):/.test(text)) return parseBatchNodeOption(text)
  if (!text.startsWith('ssh://')) throw new InvalidArgumentError(`Expected a node ${EXAMPLE}.`)
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InvalidArgumentError(`Cannot read the SSH node '${text}'; write it ${EXAMPLE}.`)
  }
  if (!url.hostname) throw new InvalidArgumentError(`The SSH node '${text}' names no host; write it ${EXAMPLE}.`)
  if (url.password) throw new InvalidArgumentError('Passwords in --node are not supported (they would show in the process list); use an identity file or ssh-agent.')
  if (url.pathname && url.pathname !== '/') throw new InvalidArgumentError(`The SSH node '${text}' has a path '${url.pathname}'; put options after '?', ${EXAMPLE}.`)
  const spec: SshNodeSpec = { kind: 'ssh', host: url.hostname.replace(/^\[|\]$/g, '') }
  if (url.port) spec.port = Number(url.port)
  if (url.username) spec.user = decodeURIComponent(url.username)
  for (const [key, value] of url.searchParams) {
    if (!(SSH_PARAMS as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(`Unknown SSH node option '${key}' in '${text}'; known: ${SSH_PARAMS.join(', ')}.`)
    }
    if (value === '') throw new InvalidArgumentError(`The SSH node option '${key}' is empty in '${text}'.`)
    if (key === 'engines') spec.engines = engineCount(value)
    else if (key === 'maxHeapMB') {
      spec.maxHeapMB = /^\d+$/.test(value) ? Number(value) : Number.NaN
      if (!Number.isSafeInteger(spec.maxHeapMB)) throw new InvalidArgumentError(`maxHeapMB must be a whole number of MB, got '${value}'.`)
    }
    else if (key === 'strictHostKeyChecking') {
      if (value !== 'yes' && value !== 'accept-new') throw new InvalidArgumentError(`strictHostKeyChecking must be 'yes' or 'accept-new', got '${value}'.`)
      spec.strictHostKeyChecking = value
    } else spec[key as 'identityFile' | 'nodePath' | 'knownHostsFile' | 'agent' | 'cwd'] = value
  }
  return spec
}

/** Commander's collector for a repeatable `--node`. */
export function collectNode(text: string, previous: NodeSpec[] = []): NodeSpec[] {
  return [...previous, parseNodeOption(text)]
}

/** The node options shared by `pi` and `start`. */
export interface NodeOptions {
  engines: number
  /** From repeatable `--node`; when given, `engines` is not used. */
  node?: NodeSpec[]
  nodePath?: string
  /** strictHostKeyChecking accept-new for every SSH node. */
  acceptNewHostKeys?: boolean
}

/** The nodes `--node`, `--engines`, `--node-path` and `--accept-new-host-keys` ask for. */
export function nodesFromOptions({ engines, node, nodePath, acceptNewHostKeys }: NodeOptions): NodeSpec[] {
  if (!node?.length) return [{ kind: 'local', engines, ...(nodePath ? { nodePath } : {}) }]
  return node.map((n) => (n.kind === 'local' ? (nodePath ? { ...n, nodePath } : n) : acceptNewHostKeys ? acceptNew(n) : n))
}

/** `--accept-new-host-keys` for an SSH node, or for a batch node's login host. */
function acceptNew(node: NodeSpec): NodeSpec {
  if (node.kind === 'ssh') return { ...node, strictHostKeyChecking: 'accept-new' }
  if ((node.kind === 'slurm' || node.kind === 'pbs') && node.login) {
    const login = typeof node.login === 'string' ? loginTarget(node.login) : node.login
    return { ...node, login: { ...login, strictHostKeyChecking: 'accept-new' } }
  }
  return node
}
