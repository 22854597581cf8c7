/**
 * What `clusterdesk start` and its controller daemon say to each other over the child's IPC pipe:
 * the configuration one way (never on a command line: it may hold a passphrase typed at a prompt),
 * "engines up" or the failure the other way. Errors cross as plain data and are rebuilt here, so
 * the foreground CLI can ask about an unknown host key exactly as `pi` does and start again.
 */
import { ClusterConfigError, type NodeSpec } from '../cluster/options'
import { NodeNotFoundError } from '../nodes/LocalLauncher'
import { HostKeyError, SshKeyError, type SshKeyProblem } from '../nodes/ssh/errors'

export interface DaemonConfig {
  type: 'config'
  profile: string
  nodes: NodeSpec[]
  /** `HOST:PORT` for a TCP controller; a Unix socket when left out. */
  listen?: string
}

/** A started engine, as the daemon reports it (pids let callers check that nothing is left). */
export interface DaemonEngine {
  id: number
  node: string
  pid: number | null
}

export interface DaemonReady {
  type: 'ready'
  pid: number
  profile: string
  /** The connection file the controller published (null when the library published none). */
  file: string | null
  engines: DaemonEngine[]
}

export interface WireError {
  name: string
  message: string
  host?: string
  fingerprint?: string
  knownFingerprint?: string
  keyBlob?: Uint8Array
  file?: string
  problem?: SshKeyProblem
}

export interface DaemonFailed {
  type: 'failed'
  error: WireError
}

export type FromDaemon = DaemonReady | DaemonFailed

/** A start that failed for a reason that has no class of its own here; the message is the daemon's. */
export class DaemonStartError extends Error {
  override name = 'DaemonStartError'
}

export function toWire(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) }
  const wire: WireError = { name: err.name, message: err.message }
  if (err instanceof HostKeyError) {
    Object.assign(wire, { host: err.host, fingerprint: err.fingerprint, knownFingerprint: err.knownFingerprint, keyBlob: err.keyBlob })
  } else if (err instanceof SshKeyError) {
    Object.assign(wire, { file: err.file, problem: err.problem })
  }
  return wire
}

/** The daemon's error as the class the CLI reports and the SSH prompts understand. */
export function fromWire(wire: WireError): Error {
  switch (wire.name) {
    case 'HostKeyError':
      return new HostKeyError(wire.message, wire.host ?? '', wire.fingerprint ?? '', wire.knownFingerprint, wire.keyBlob ? Buffer.from(wire.keyBlob) : undefined)
    case 'SshKeyError':
      return new SshKeyError(wire.message, wire.file, wire.problem)
    case 'ClusterConfigError':
      return new ClusterConfigError(wire.message)
    case 'NodeNotFoundError':
      return new NodeNotFoundError(wire.message)
    default:
      return new DaemonStartError(wire.message)
  }
}
