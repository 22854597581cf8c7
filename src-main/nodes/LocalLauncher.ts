import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { DIRECT_ENV } from '../core/protocol/directChannel'
import { StreamTransport } from '../core/protocol/transport'
import { agentBundlePath } from './agentBundle'
import { DirectServer } from './DirectServer'
import { type LaunchedAgent, type Launcher, TailBuffer } from './Launcher'

export interface LocalLauncherOptions {
  /** Node.js executable for the agent and engines (default: the one running the controller). */
  nodePath?: string
  /** Agent exits (killing its engines) after this long without a heartbeat (default 15000 ms). */
  heartbeatTimeoutMs?: number
  /**
   * Give each engine a direct channel to the controller (a private Unix-domain socket), so task
   * data skips the agent's relay (default true).
   */
  direct?: boolean
  /** Arguments for the agent bundle before the launcher's own (a batch node's `--submit`). */
  agentArgs?: string[]
}

/** Raised when the node executable cannot be started. */
export class NodeNotFoundError extends Error {
  override name = 'NodeNotFoundError'
}

/**
 * Runs the node agent as a child process of the controller; its stdio is the stream. Engines get
 * a direct channel to the controller besides it (see DirectServer), which the agent never relays.
 */
export class LocalLauncher implements Launcher {
  readonly label = 'local'

  constructor(private readonly options: LocalLauncherOptions = {}) {}

  async launch(): Promise<LaunchedAgent> {
    const nodePath = this.options.nodePath ?? process.execPath
    const args = [agentBundlePath(), ...(this.options.agentArgs ?? []), '--heartbeat-timeout', String(this.options.heartbeatTimeoutMs ?? 15000)]
    // Without the server engines simply stay on the relay, as on SSH nodes.
    const direct = this.options.direct === false ? null : await DirectServer.open().catch(() => null)
    // In Electron's main process execPath is the Electron binary: make it (and the engines the
    // agent forks with the same binary) behave as plain Node.
    const env: NodeJS.ProcessEnv = { ...process.env }
    if (process.versions.electron && !this.options.nodePath) env.ELECTRON_RUN_AS_NODE = '1'
    if (direct) env[DIRECT_ENV] = direct.env
    else delete env[DIRECT_ENV]
    let child: ChildProcessWithoutNullStreams
    try {
      child = spawn(nodePath, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true, env })
    } catch (err) {
      direct?.close()
      throw err
    }
    const tail = new TailBuffer()
    child.stderr.on('data', (chunk: Buffer) => tail.push(chunk))
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve()
      child.once('exit', () => resolve())
      child.once('error', () => resolve())
    })
    // Never leave an agent (or its socket's directory) behind when the controller exits without
    // stopping the cluster; a SIGKILLed controller leaves the directory to the agent to remove.
    const kill = (): void => {
      child.kill('SIGKILL')
      direct?.close()
    }
    process.once('exit', kill)
    void exited.then(() => {
      process.removeListener('exit', kill)
      direct?.close()
    })

    return new Promise((resolve, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) => {
        direct?.close()
        reject(
          new NodeNotFoundError(
            err.code === 'ENOENT' || err.code === 'EACCES'
              ? `cannot run Node.js at '${nodePath}' (${err.code}); set the node's nodePath to a Node.js >= 18 executable`
              : `cannot start the node agent with '${nodePath}': ${err.message}`,
          ),
        )
      })
      child.once('spawn', () => {
        const transport = new StreamTransport(child.stdout, child.stdin)
        const base = { ref: transport.ref.bind(transport), unref: transport.unref.bind(transport) }
        transport.ref = () => {
          base.ref()
          child.ref()
          ;(child.stderr as unknown as { ref?(): void }).ref?.()
          direct?.ref()
        }
        transport.unref = () => {
          base.unref()
          child.unref()
          ;(child.stderr as unknown as { unref?(): void }).unref?.()
          direct?.unref()
        }
        const exitDescription = (): string | null =>
          child.exitCode !== null ? `exited with code ${child.exitCode}` : child.signalCode !== null ? `was killed by ${child.signalCode}` : null
        const agent: LaunchedAgent = { transport, exited, kill, stderrTail: () => tail.toString(), exitDescription }
        if (direct) agent.onDirect = (listener) => direct.onConnection(listener)
        resolve(agent)
      })
    })
  }
}
