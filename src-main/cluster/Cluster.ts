/**
 * Starts and stops the node agents and engines of a cluster, as `ipcluster` does, and hands out
 * the Client. Engine ids are given in node order from 0 and are never reused: nodes and engines
 * can be added, stopped and restarted while the rest of the cluster works.
 */
import { Client } from '../core/client/Client'
import { Controller } from '../core/controller/Controller'
import type { BatchJobInfo } from '../core/client/EngineHandle'
import { HandshakeError, NodeConnection } from '../core/client/NodeConnection'
import type { LaunchedAgent, Launcher } from '../nodes/Launcher'
import { LocalLauncher } from '../nodes/LocalLauncher'
import { SshLauncher, type SshLauncherOptions } from '../nodes/ssh/SshLauncher'
import { publishController, type Publication } from './publish'
import { PbsLauncher, SlurmLauncher } from '../nodes/batch/BatchLauncher'
import { ClusterConfigError, type ClusterOptions, enginesOf, type NodeSpec, startTimeoutOf, validateNode, validateOptions } from './options'

/** A node of the cluster while its agent runs. */
export interface RunningNode {
  /** Unique within the cluster: `local`, `local#2`, `ssh://bo@lab1:22`… */
  readonly key: string
  readonly spec: NodeSpec
  readonly agent: LaunchedAgent
  readonly connection: NodeConnection
  engineIds: number[]
}

/** Public facts about a running node (`cluster.nodes`). */
export interface NodeInfo {
  key: string
  label: string
  host: string
  agentPid: number | null
  cores: number | null
  nodeVersion: string | null
  engineIds: number[]
  /** A batch node's job (queued with the scheduler's reason, running…); null for other nodes. */
  job: BatchJobInfo | null
}

/** Makes the launcher for a node spec; the SSH issue adds its kind here. */
export type LauncherFactory = (spec: NodeSpec, options: ClusterOptions) => Launcher

/**
 * The launcher of a node spec. `ssh` adds launcher settings that are not node options (the GUI's
 * progress callback).
 */
export function launcherFor(spec: NodeSpec, options: ClusterOptions, ssh: Pick<SshLauncherOptions, 'onStage'> = {}): Launcher {
  const heartbeatTimeoutMs = Math.max(15000, (options.heartbeatMs ?? 2000) * 8)
  if (spec.kind === 'local') return new LocalLauncher({ nodePath: spec.nodePath, heartbeatTimeoutMs })
  if (spec.kind === 'slurm') return new SlurmLauncher(spec, { heartbeatTimeoutMs, ssh })
  if (spec.kind === 'pbs') return new PbsLauncher(spec, { heartbeatTimeoutMs, ssh })
  const { host, port, user, identityFile, passphrase, agent, nodePath, knownHostsFile, strictHostKeyChecking } = spec
  return new SshLauncher({ host, port, user, identityFile, passphrase, agent, nodePath, knownHostsFile, strictHostKeyChecking, heartbeatTimeoutMs, ...ssh })
}

export class Cluster {
  readonly options: ClusterOptions
  /** The controller: engine registry, load balancer, task router; the Client is its in-process face. */
  private readonly controller = new Controller()
  private readonly rc = new Client(this.controller)
  private readonly running = new Map<string, RunningNode>()
  private nextEngineId = 0
  private started = false
  /** Bumped by stop(), so launches still in flight know to give up. */
  private generation = 0
  private starting: Promise<Client> | null = null
  /** The client-protocol server and connection file, when started with a `profile`. */
  private publication: Publication | null = null

  constructor(options: ClusterOptions, private readonly launchers: LauncherFactory = launcherFor) {
    this.options = validateOptions(options)
    this.controller.host = {
      addNodes: async (specs) => {
        const ids: number[] = []
        for (const spec of specs as NodeSpec[]) ids.push(...(await this.addNode(spec)).engineIds)
        return ids
      },
      stopNode: (key) => this.stopNode(key),
      shutdown: () => this.stop(),
    }
    const { onProgress } = this.options
    if (onProgress) this.controller.subscribe({ onNodeEvent: (node, message) => onProgress(node, message, this.running.get(node)?.spec) })
  }

  /** The connection file, while the cluster is published under a profile. */
  get connectionFile(): string | null {
    return this.publication?.file ?? null
  }

  /**
   * Publishes the controller under `profile` now, for a cluster grown with addNode() that never
   * calls start() (the GUI's): scripts can `connect({ profile })` even before a node runs.
   * Rejects with ClusterConfigError if that profile is running; resolves with the connection file.
   */
  async publish(profile: string): Promise<string> {
    if (this.publication) throw new ClusterConfigError(`this cluster is already published (${this.publication.file})`)
    this.publication = await publishController(this.controller, { profile, listen: this.options.listen, keepAlive: this.options.keepAlive })
    return this.publication.file
  }

  /** The in-process client whether or not a node runs yet (the GUI follows it from the start). */
  get localClient(): Client {
    return this.rc
  }

  /** The client, once `start()` has succeeded (null before and after `stop()`). */
  get client(): Client | null {
    return this.started ? this.rc : null
  }

  /** The running nodes. */
  get nodes(): NodeInfo[] {
    return [...this.running.values()].map(({ key, connection, engineIds }) => ({
      key,
      label: connection.label,
      host: connection.host,
      agentPid: connection.agent?.pid ?? null,
      cores: connection.agent?.cores ?? null,
      nodeVersion: connection.agent?.nodeVersion ?? null,
      engineIds: [...engineIds],
      job: this.controller.jobOf(connection),
    }))
  }

  /** Starts every configured node and engine; resolves once all engines have registered. */
  start(): Promise<Client> {
    if (this.started) return Promise.resolve(this.rc)
    this.starting ??= this.startAll().finally(() => (this.starting = null))
    return this.starting
  }

  /** Stops every engine and agent; resolves when their processes are gone. Safe to call twice. */
  async stop(): Promise<void> {
    // Stop at once, even mid-start: the start then fails and cleans up what it launched.
    this.generation++
    this.started = false
    await Promise.all([...this.running.keys()].map((key) => this.stopNode(key)))
    await this.starting?.catch(() => undefined)
    const publication = this.publication
    this.publication = null
    await publication?.close()
  }

  /**
   * Starts one more node (and its engines) on a running or empty cluster; resolves with its key
   * once its engines have registered. On failure nothing of it is left running.
   */
  async addNode(spec: NodeSpec): Promise<RunningNode> {
    validateNode(spec, this.running.size)
    const node = await this.launch(spec)
    try {
      await this.spawnOn(node, enginesOf(spec) ?? node.connection.agent!.cores)
      return node
    } catch (err) {
      await this.stopNode(node.key)
      throw err
    }
  }

  /** Starts `count` more engines on a running node; resolves with their ids once registered. */
  async addEngines(nodeKey: string, count: number): Promise<number[]> {
    const node = this.node(nodeKey)
    return this.spawnOn(node, count)
  }

  /** Stops one engine (its tasks fail with EngineError); resolves when its process is gone. */
  async stopEngine(engineId: number): Promise<void> {
    const node = [...this.running.values()].find((n) => n.engineIds.includes(engineId))
    const engine = this.rc.engines.find((e) => e.id === engineId)
    if (!node || !engine) throw new ClusterConfigError(`there is no running engine ${engineId}`)
    if (engine.state === 'dead') return
    const gone = this.controller.registry.waitForExit(engineId, 5000)
    node.connection.signal(engineId, 'SIGTERM')
    await gone.catch(() => {
      node.connection.signal(engineId, 'SIGKILL')
      return this.controller.registry.waitForExit(engineId, 5000)
    })
  }

  /** Stops an engine and starts a fresh one on the same node; resolves with the new id. */
  async restartEngine(engineId: number): Promise<number> {
    const node = [...this.running.values()].find((n) => n.engineIds.includes(engineId))
    if (!node) throw new ClusterConfigError(`there is no running engine ${engineId}`)
    await this.stopEngine(engineId)
    const [id] = await this.spawnOn(node, 1)
    return id
  }

  /** Stops a node's agent and engines; resolves when they are gone. */
  async stopNode(key: string): Promise<void> {
    const node = this.running.get(key)
    if (!node) return
    this.running.delete(key)
    this.controller.detach(node.connection, 'the node was stopped')
    await node.connection.shutdown(3000)
    const gone = await Promise.race([node.agent.exited.then(() => true), delay(3000).then(() => false)])
    if (!gone) {
      node.agent.kill()
      await node.agent.exited
    }
  }

  private node(key: string): RunningNode {
    const node = this.running.get(key)
    if (!node) throw new ClusterConfigError(`there is no running node '${key}'; running: ${[...this.running.keys()].join(', ') || 'none'}`)
    return node
  }

  private async startAll(): Promise<Client> {
    const { nodes, profile, listen, keepAlive } = this.options
    try {
      // Claim the profile first: a profile already running fails before anything is started.
      if (profile !== undefined) this.publication = await publishController(this.controller, { profile, listen, keepAlive })
      // Launch and handshake every node at once; ids are then given in node order.
      const launched = await Promise.allSettled(nodes.map((spec) => this.launch(spec)))
      const failed = launched.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed) throw failed.reason
      const ready = (launched as PromiseFulfilledResult<RunningNode>[]).map((r) => r.value)
      const counts = ready.map((node) => enginesOf(node.spec) ?? node.connection.agent!.cores)
      // Every node's count is checked before any engine starts anywhere.
      ready.forEach((node, i) => this.checkCapacity(node, counts[i]))
      const ids = ready.flatMap((node, i) => this.spawnIds(node, counts[i]))
      await this.controller.registry
        .waitForEngines(ids, startTimeoutOf(this.options, ids.length))
        .catch((err: Error) => this.explainQueued(err, ready))
      for (const node of ready) node.connection.setActive(false)
      this.started = true
      return this.rc
    } catch (err) {
      await Promise.all([...this.running.keys()].map((key) => this.stopNode(key)))
      await this.publication?.close()
      this.publication = null
      throw err
    }
  }

  /** Launches a node's agent and completes the handshake. */
  private async launch(spec: NodeSpec): Promise<RunningNode> {
    const { heartbeatMs } = this.options
    const startTimeout = startTimeoutOf(this.options, enginesOf(spec) ?? 0, spec)
    const launcher = this.launchers(spec, this.options)
    const generation = this.generation
    const agent = await launcher.launch()
    if (generation !== this.generation) {
      agent.kill()
      throw new ClusterConfigError('the cluster was stopped while it was starting')
    }
    let key = launcher.label
    for (let i = 2; this.running.has(key); i++) key = `${launcher.label}#${i}`
    const connection = new NodeConnection(agent.transport, { label: key, heartbeatMs })
    agent.onDirect?.((engine, transport) => connection.attachDirect(engine, transport))
    const node: RunningNode = { key, spec, agent, connection, engineIds: [] }
    this.running.set(key, node)
    this.controller.attach(connection)
    try {
      await connection.handshake(startTimeout)
    } catch (err) {
      // The agent's end explains a failed handshake best (a node path that is not Node.js exits at once).
      await Promise.race([agent.exited, new Promise((resolve) => setTimeout(resolve, 500))])
      const exit = agent.exitDescription?.() ?? null
      await this.stopNode(key)
      const hint = exit && spec.kind === 'local' ? `; is '${spec.nodePath ?? process.execPath}' Node.js >= 18? (set the node's nodePath)` : ''
      const tail = agent.stderrTail().trim()
      if (!exit && !tail) throw err
      const message = `${(err as Error).message}${exit ? ` (the node agent ${exit})` : ''}${hint}${tail ? `\n${tail}` : ''}`
      throw err instanceof HandshakeError ? new HandshakeError(message) : new Error(message)
    }
    return node
  }

  /** Refuses more engines than the node's agent says it can hold (memory, open files). */
  private checkCapacity(node: RunningNode, count: number): void {
    const capacity = node.connection.agent?.capacity
    if (!capacity) return
    const live = new Set(this.rc.ids)
    const running = node.engineIds.filter((id) => live.has(id)).length
    if (running + count <= capacity.engines) return
    const asked = running > 0 ? `${count} more engines (with the ${running} running)` : `${count} engines`
    const room = Math.max(0, capacity.engines - running)
    throw new ClusterConfigError(
      `${node.key}: ${asked} is more than this node can hold: ${capacity.why}; start at most ${room} ` +
        `${running > 0 ? 'more ' : ''}there, or spread them over more nodes`,
    )
  }

  /** A start that timed out while a batch job still waits says so, in the scheduler's words. */
  private explainQueued(err: Error, nodes: RunningNode[]): never {
    const waiting = nodes
      .map((node) => [node.key, this.controller.jobOf(node.connection)] as const)
      .filter(([, job]) => job && job.state !== 'RUNNING')
      .map(([key, job]) => `${key}: ${job!.scheduler} job ${job!.id} is still ${job!.state}${job!.reason ? ` (${job!.reason})` : ''}; raise startTimeout to wait longer`)
    if (waiting.length && /did not register/.test(err.message)) err.message += `\n  ${waiting.join('\n  ')}`
    throw err
  }

  private spawnIds(node: RunningNode, count: number): number[] {
    const ids = Array.from({ length: count }, () => this.nextEngineId++)
    node.engineIds.push(...ids)
    this.controller.registry.expect(node.connection, ids)
    node.connection.spawn(ids, {
      cwd: node.spec.cwd ?? (node.spec.kind === 'local' ? process.cwd() : undefined),
      env: node.spec.env,
      maxHeapMB: node.spec.maxHeapMB,
      notRespondingMs: this.options.notRespondingMs,
    })
    return ids
  }

  private async spawnOn(node: RunningNode, count: number): Promise<number[]> {
    if (!Number.isInteger(count) || count < 1) throw new ClusterConfigError(`engines must be a whole number ≥ 1, got ${count}`)
    this.checkCapacity(node, count)
    const ids = this.spawnIds(node, count)
    node.connection.setActive(true)
    try {
      await this.controller.registry
        .waitForEngines(ids, startTimeoutOf(this.options, ids.length, node.spec))
        .catch((err: Error) => this.explainQueued(err, [node]))
    } finally {
      node.connection.setActive(false)
    }
    this.started = true
    return ids
  }
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref())
