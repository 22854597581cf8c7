import { spawn } from 'node:child_process'
import { StreamTransport } from '../core/protocol/transport'
import { agentBundlePath } from './agentBundle'
import { type LaunchedAgent, type Launcher, TailBuffer } from './Launcher'

export interface LocalLauncherOptions {
  /** Node.js executable for the agent and engines (default: the one running the controller). */
  nodePath?: string
  /** Agent exits (killing its engines) after this long without a heartbeat (default 15000 ms). */
  heartbeatTimeoutMs?: number
}

/** Raised when the node executable cannot be started. */
export class NodeNotFoundError extends Error {
  override name = 'NodeNotFoundError'
}

/** Runs the node agent as a child process of the controller; its stdio is the stream. */
export class LocalLauncher implements Launcher {
  readonly label = 'local'

  constructor(private readonly options: LocalLauncherOptions = {}) {}

  launch(): Promise<LaunchedAgent> {
    const nodePath = this.options.nodePath ?? process.execPath
    const args = [agentBundlePath(), '--heartbeat-timeout', String(this.options.heartbeatTimeoutMs ?? 15000)]
    // In Electron's main process execPath is the Electron binary: make it (and the engines the
    // agent forks with the same binary) behave as plain Node.
    const env = process.versions.electron && !this.options.nodePath ? { ...process.env, ELECTRON_RUN_AS_NODE: '1' } : process.env
    const child = spawn(nodePath, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true, env })
    const tail = new TailBuffer()
    child.stderr.on('data', (chunk: Buffer) => tail.push(chunk))
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve()
      child.once('exit', () => resolve())
      child.once('error', () => resolve())
    })
    // Never leave an agent behind when the controller exits without stopping the cluster.
    const killOnExit = (): void => void child.kill('SIGKILL')
    process.once('exit', killOnExit)
    void exited.then(() => process.removeListener('exit', killOnExit))

    return new Promise((resolve, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) => {
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
        }
        transport.unref = () => {
          base.unref()
          child.unref()
          ;(child.stderr as unknown as { unref?(): void }).unref?.()
        }
        resolve({ transport, exited, kill: () => void child.kill('SIGKILL'), stderrTail: () => tail.toString() })
      })
    })
  }
}
