/**
 * Runs the node agent on another machine: one SSH connection per node, the bundle uploaded over
 * SFTP when the node lacks this version, and the agent on one `exec` channel, which is the stream.
 * The agent exits (killing its engines) when the channel ends or heartbeats stop.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { ClientChannel } from 'ssh2'
import { StreamTransport } from '../../core/protocol/transport'
import { agentBundlePath } from '../agentBundle'
import { type LaunchedAgent, type Launcher, TailBuffer } from '../Launcher'
import { connectSsh, resolveEndpoint, type SshConnection, type SshTarget } from './connect'
import { SshError } from './errors'
import { checkRemoteNode, ensureUploaded, openSftp } from './remote'
import { shellCommand } from './shellQuote'

export type SshLaunchStage = 'connecting' | 'checking-node' | 'uploading' | 'starting'

export interface SshLauncherOptions extends SshTarget {
  /** Node.js on the remote host (default `node` on its PATH). */
  nodePath?: string
  /** Agent exits (killing its engines) after this long without a heartbeat (default 15000 ms). */
  heartbeatTimeoutMs?: number
  /** Called as the launch goes through its stages (for the GUI's per-node state and for tests). */
  onStage?: (stage: SshLaunchStage) => void
  /** Arguments for the agent bundle before the launcher's own (a batch node's `--submit`). */
  agentArgs?: string[]
}

let bundle: { path: string; content: Buffer; hash: string } | null = null

/** The agent bundle and the first 16 hex digits of its SHA-256 (the name it has on remote hosts). */
export function agentBundle(): { content: Buffer; hash: string; fileName: string } {
  const path = agentBundlePath()
  if (bundle?.path !== path) {
    const content = readFileSync(path)
    bundle = { path, content, hash: createHash('sha256').update(content).digest('hex').slice(0, 16) }
  }
  return { content: bundle.content, hash: bundle.hash, fileName: `agent-${bundle.hash}.cjs` }
}

export class SshLauncher implements Launcher {
  readonly label: string

  constructor(private readonly options: SshLauncherOptions) {
    const { host, port, user } = resolveEndpoint(options)
    this.label = `ssh://${user}@${host.includes(':') ? `[${host}]` : host}:${port}`
  }

  async launch(): Promise<LaunchedAgent> {
    const { nodePath = 'node', heartbeatTimeoutMs = 15000, onStage } = this.options
    onStage?.('connecting')
    const connection = await connectSsh(this.options)
    try {
      onStage?.('checking-node')
      await checkRemoteNode(connection.client, nodePath, this.label)
      const { content, fileName } = agentBundle()
      const sftp = await openSftp(connection.client)
      const { path } = await ensureUploaded(sftp, fileName, content, () => onStage?.('uploading')).finally(() => sftp.end())
      onStage?.('starting')
      // `exec` replaces the shell, so the channel's end is the agent's stdin end.
      const command = `exec ${shellCommand([nodePath, path, ...(this.options.agentArgs ?? []), '--heartbeat-timeout', String(Math.round(heartbeatTimeoutMs))])}`
      const channel = await new Promise<ClientChannel>((resolve, reject) =>
        connection.client.exec(command, (err, ch) => (err ? reject(new SshError('remote-exec', `cannot start the node agent on ${this.label}: ${err.message}`)) : resolve(ch))),
      )
      return this.started(connection, channel)
    } catch (err) {
      connection.end()
      throw err
    }
  }

  private started(connection: SshConnection, channel: ClientChannel): LaunchedAgent {
    const tail = new TailBuffer()
    channel.stderr.on('data', (chunk: Buffer) => tail.push(chunk))
    const exited = new Promise<void>((resolve) => {
      channel.once('close', () => resolve())
      connection.client.once('close', () => resolve())
    })
    void exited.then(() => connection.end())
    // A connection that fails after it was up (keepalive timeout, reset) closes the channel; say
    // why on the channel first, so the node is reported lost for that reason, not as an exit.
    connection.client.on('error', (err: Error) => {
      const why = /keepalive/i.test(err.message)
        ? `no answer from ${this.label} to SSH keepalives; the network or the host is down`
        : `the SSH connection to ${this.label} failed: ${err.message}`
      if (!channel.destroyed) channel.emit('error', new SshError('client-socket', why))
    })
    const transport = new StreamTransport(channel, channel)
    // The socket is what keeps the process alive; a jump host's socket is the hop's.
    // (ssh2's keepalive timer also holds the event loop while the connection is open.)
    const socket = () => ((connection.jump ?? connection.client) as unknown as { _sock?: { ref?(): void; unref?(): void } })._sock
    transport.ref = () => socket()?.ref?.()
    transport.unref = () => socket()?.unref?.()
    let killed = false
    const kill = (): void => {
      if (killed) return
      killed = true
      channel.close()
      connection.end()
    }
    return { transport, exited, kill, stderrTail: () => tail.toString() }
  }
}
