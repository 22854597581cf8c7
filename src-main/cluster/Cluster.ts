/**
 * Starts and stops the node agents and engines of a cluster, as `ipcluster` does, and hands out
 * the Client. Engine ids are given in node order, from 0.
 */
import { Client } from '../core/client/Client'
import { NodeConnection } from '../core/client/NodeConnection'
import type { LaunchedAgent, Launcher } from '../nodes/Launcher'
import { LocalLauncher } from '../nodes/LocalLauncher'
import { ClusterConfigError, type ClusterOptions, type NodeSpec, validateOptions } from './options'

interface RunningNode {
  spec: NodeSpec
  agent: LaunchedAgent
  connection: NodeConnection
}

/** Makes the launcher for a node spec; the SSH issue adds its kind here. */
export type LauncherFactory = (spec: NodeSpec, options: ClusterOptions) => Launcher

const defaultLaunchers: LauncherFactory = (spec, options) => {
  if (spec.kind === 'local') return new LocalLauncher({ nodePath: spec.nodePath, heartbeatTimeoutMs: Math.max(15000, (options.heartbeatMs ?? 2000) * 8) })
  throw new ClusterConfigError(`SSH nodes are not supported by this version yet (node ${spec.host}); use { kind: 'local' }`)
}

export class Cluster {
  readonly options: ClusterOptions
  private running: RunningNode[] = []
  private current: Client | null = null
  private starting: Promise<Client> | null = null

  constructor(options: ClusterOptions, private readonly launchers: LauncherFactory = defaultLaunchers) {
    this.options = validateOptions(options)
  }

  /** The client of the running cluster, or null before `start()`. */
  get client(): Client | null {
    return this.current
  }

  /** The running nodes: their label, host, agent pid and cores (empty before start). */
  get nodes(): Array<{ label: string; host: string; agentPid: number | null; cores: number | null }> {
    return this.running.map(({ connection }) => ({
      label: connection.label,
      host: connection.host,
      agentPid: connection.agent?.pid ?? null,
      cores: connection.agent?.cores ?? null,
    }))
  }

  /** Starts every node and engine; resolves once all engines have registered. */
  start(): Promise<Client> {
    if (this.current) return Promise.resolve(this.current)
    this.starting ??= this.startAll().finally(() => (this.starting = null))
    return this.starting
  }

  /** Stops every engine and agent; resolves when their processes are gone. Safe to call twice. */
  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined)
    await this.shutdownNodes()
  }

  private async shutdownNodes(): Promise<void> {
    const nodes = this.running
    this.running = []
    this.current?.closeAll('the cluster was stopped')
    this.current = null
    await Promise.all(
      nodes.map(async ({ agent, connection }) => {
        await connection.shutdown(3000)
        const gone = await Promise.race([agent.exited.then(() => true), delay(3000).then(() => false)])
        if (!gone) {
          agent.kill()
          await agent.exited
        }
      }),
    )
  }

  private async startAll(): Promise<Client> {
    const { nodes, startTimeout = 30000, heartbeatMs } = this.options
    const client = new Client()
    try {
      // Launch and handshake every node at once; ids are then given in node order.
      const launched = await Promise.allSettled(
        nodes.map(async (spec) => {
          const launcher = this.launchers(spec, this.options)
          const agent = await launcher.launch()
          const connection = new NodeConnection(agent.transport, { label: launcher.label, heartbeatMs })
          const node = { spec, agent, connection }
          this.running.push(node)
          try {
            await connection.handshake(startTimeout)
          } catch (err) {
            const tail = agent.stderrTail().trim()
            throw tail ? new Error(`${(err as Error).message}\n${tail}`) : err
          }
          return node
        }),
      )
      const failed = launched.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed) throw failed.reason
      let nextId = 0
      const allIds: number[] = []
      for (const { value: node } of launched as PromiseFulfilledResult<RunningNode>[]) {
        const count = node.spec.engines ?? node.connection.agent!.cores
        const ids = Array.from({ length: count }, () => nextId++)
        allIds.push(...ids)
        client.attach(node.connection)
        client.expectEngines(node.connection, ids)
        node.connection.spawn(ids, node.spec.cwd ?? (node.spec.kind === 'local' ? process.cwd() : undefined), node.spec.env)
      }
      await client.waitForEngines(allIds, startTimeout)
      for (const node of this.running) node.connection.setActive(false)
      this.current = client
      return client
    } catch (err) {
      this.current = client
      await this.shutdownNodes()
      throw err
    }
  }
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref())
