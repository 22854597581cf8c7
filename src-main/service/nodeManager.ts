/**
 * The nodes: their records (stored), their state, and starting and stopping them on one dynamic
 * Cluster. Each started node becomes one `cluster.addNode(spec)`; its engines default to one per
 * core of that node.
 */
import { randomUUID } from 'node:crypto'
import { Cluster, launcherFor } from '../cluster/Cluster'
import type { ClusterOptions, NodeSpec } from '../cluster/options'
import type { Launcher } from '../nodes/Launcher'
import { HostKeyError, SshError } from '../nodes/ssh/errors'
import type { SshLaunchStage } from '../nodes/ssh/SshLauncher'
import type { Client } from '../core/client/Client'
import { NoEnginesError } from '../core/client/errors'
import type { NodeInput, NodeRecord, NodeStatus } from './api'
import type { EngineNode, EngineTracker } from './engineTracker'
import { NotFoundError } from './errorLog'
import type { EventBus } from './eventBus'
import { batchSpecOf, batchStateOf, isBatchKind } from './batchNodes'
import { isUnknownHostKey, sshSpecOf, type HostKeyFiles } from './sshNodes'
import type { Store } from './store'

/** The node every new data directory starts with. */
export const DEFAULT_NODE: NodeInput & { id: string } = { id: 'local', name: 'This computer', kind: 'local', engines: null }

export interface NodeManagerOptions {
  /** Heartbeat period between the controller and the agents (default: the cluster's, 2000 ms). */
  heartbeatMs?: number
  /** How long a node's engines may take to start (default: the cluster's, 30000 ms). */
  startTimeout?: number
  /** Where SSH host keys are checked and recorded (default: ~/.ssh/known_hosts + clusterdesk's trust store). */
  hostKeys?: HostKeyFiles
  /** Called when the own cluster's client starts following engines (default: the tracker attaches it). */
  onClient?: (client: Client) => void
  /**
   * Whether the own cluster's node states are shown now (default: always); while not (the app
   * shows an attached cluster), they change without events, and `republish()` sends them all.
   */
  shown?: () => boolean
}

/** The node state an SSH launch stage shows. */
const STAGE_STATE: Record<SshLaunchStage, NodeStatus['state']> = { connecting: 'connecting', 'checking-node': 'connecting', uploading: 'uploading', starting: 'starting' }

export class NodeManager {
  private cluster: Cluster | null = null
  /** Node id → the cluster's key of its running node. */
  private readonly keys = new Map<string, string>()
  private readonly status = new Map<string, NodeStatus>()
  private readonly busy = new Map<string, Promise<void>>()
  private followed: Client | null = null
  /** The launch-stage callback of each spec being launched (the cluster hands the spec to the factory). */
  private readonly stageHooks = new WeakMap<NodeSpec, (stage: SshLaunchStage) => void>()
  /** Which node record each spec being launched belongs to (a batch job reports progress by spec). */
  private readonly starting = new Map<NodeSpec, string>()

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly tracker: EngineTracker,
    private readonly options: NodeManagerOptions = {},
  ) {
    if (store.created) store.putNode({ ...DEFAULT_NODE, createdAt: Date.now(), updatedAt: Date.now() })
  }

  /** The app's own cluster (made on first use; the service publishes it before any node runs). */
  get ownCluster(): Cluster {
    return (this.cluster ??= this.newCluster())
  }

  /** The cluster's client once a node has started (it stays the same client afterwards). */
  get client(): Client | null {
    return this.cluster?.client ?? null
  }

  list(): NodeRecord[] {
    return this.store.listNodes()
  }

  statuses(): NodeStatus[] {
    return this.list().map((n) => this.statusOf(n.id))
  }

  /** Sends every node's state (the own cluster is shown again). */
  republish(): void {
    for (const status of this.statuses()) this.bus.publish({ type: 'nodeStatus', status })
  }

  /** The node record behind a cluster key (for engines). */
  nodeOfKey(key: string): EngineNode | null {
    for (const [nodeId, k] of this.keys) {
      if (k !== key) continue
      const node = this.list().find((n) => n.id === nodeId)
      return node ? { nodeId, nodeName: node.name, local: node.kind === 'local' } : null
    }
    return null
  }

  save(input: NodeInput & { id?: string }): NodeRecord {
    const { id, ...fields } = input
    const now = Date.now()
    const existing = id === undefined ? undefined : this.list().find((n) => n.id === id)
    if (id !== undefined && !existing) throw new NotFoundError(`there is no node '${id}' to update; leave the id out to add a node`)
    const record: NodeRecord = { ...fields, id: existing?.id ?? randomUUID(), createdAt: existing?.createdAt ?? now, updatedAt: now }
    this.store.putNode(record)
    this.bus.publish({ type: 'nodes', nodes: this.list() })
    if (!existing) this.setStatus(record.id, { state: 'stopped' })
    return record
  }

  /** A node's record (NotFoundError if there is none). */
  record(id: string): NodeRecord {
    return this.get(id)
  }

  async delete(id: string): Promise<void> {
    this.get(id)
    await this.stop(id)
    this.store.deleteNode(id)
    this.status.delete(id)
    this.bus.publish({ type: 'nodes', nodes: this.list() })
  }

  /**
   * Starts one node, or every node; a running node gets back engines it lost. `passphrase`
   * decrypts SSH identity files for this start only.
   */
  async start(id?: string, passphrase?: string): Promise<void> {
    const nodes = id === undefined ? this.list() : [this.get(id)]
    const results = await Promise.allSettled(nodes.map((n) => this.exclusive(n.id, () => this.startOne(n, passphrase))))
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${nodes[i].name}: ${(r.reason as Error).message}`] : []))
    if (failed.length === 1 && nodes.length === 1) throw results.find((r) => r.status === 'rejected')!.reason
    if (failed.length) throw new Error(`${failed.length} of ${nodes.length} nodes failed to start:\n${failed.join('\n')}`)
  }

  /** Stops what is left of a node (lost, failed or running) and starts it again. */
  async reconnect(id: string, passphrase?: string): Promise<void> {
    const node = this.get(id)
    await this.exclusive(id, async () => {
      await this.stopOne(id)
      await this.startOne(node, passphrase)
    })
  }

  /** Stops one node (or all): its engines and agent are gone when this resolves. */
  async stop(id?: string): Promise<void> {
    const ids = id === undefined ? this.list().map((n) => n.id) : [this.get(id).id]
    await Promise.all(ids.map((nodeId) => this.exclusive(nodeId, () => this.stopOne(nodeId))))
  }

  async stopEngine(engineId: number): Promise<void> {
    if (!this.cluster) throw new NotFoundError(`there is no running engine ${engineId}`)
    await this.cluster.stopEngine(engineId)
  }

  /** Stops an engine and starts a fresh one (a new id) on its node. */
  async restartEngine(engineId: number): Promise<number> {
    if (!this.cluster) throw new NotFoundError(`there is no running engine ${engineId}`)
    const newId = await this.cluster.restartEngine(engineId)
    this.tracker.remove([engineId])
    this.tracker.sync()
    this.refreshRunning()
    return newId
  }

  async interrupt(engineIds?: number[]): Promise<void> {
    const client = this.client
    if (!client || client.ids.length === 0) throw new NoEnginesError('no engines are running: start a node first')
    await client.interrupt(engineIds)
  }

  /** Stops every node (on quit). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.busy.values()])
    await this.cluster?.stop()
  }

  private get(id: string): NodeRecord {
    const node = this.list().find((n) => n.id === id)
    if (!node) throw new NotFoundError(`there is no node '${id}'`)
    return node
  }

  /** One start or stop at a time per node; a second waits for the first. */
  private exclusive(id: string, job: () => Promise<void>): Promise<void> {
    const next = (this.busy.get(id) ?? Promise.resolve()).then(job)
    // The queue's own copy never rejects: the caller gets (and handles) the failure.
    const settled: Promise<void> = next.catch(() => undefined).finally(() => this.busy.get(id) === settled && this.busy.delete(id))
    this.busy.set(id, settled)
    return next
  }

  private async startOne(node: NodeRecord, passphrase?: string): Promise<void> {
    const cluster = (this.cluster ??= this.newCluster())
    const key = this.keys.get(node.id)
    if (key && this.statusOf(node.id).state === 'ready') return this.topUp(cluster, node, key)
    if (key) await this.stopOne(node.id)
    this.setStatus(node.id, { state: node.kind === 'ssh' ? 'connecting' : 'starting' })
    const spec = specOf(node, this.options.hostKeys, passphrase)
    this.stageHooks.set(spec, (stage) => this.setStatus(node.id, { state: STAGE_STATE[stage] }))
    this.starting.set(spec, node.id)
    try {
      const running = await cluster.addNode(spec)
      this.keys.set(node.id, running.key)
      this.follow(cluster.client!)
      this.tracker.sync()
      this.setStatus(node.id, this.facts(running.key, 'ready'))
    } catch (err) {
      this.tracker.forgetOrphans()
      const ssh =
        err instanceof HostKeyError
          ? { level: err.level, fingerprint: err.fingerprint, needsTrust: isUnknownHostKey(err) }
          : err instanceof SshError
            ? { level: err.level }
            : {}
      this.setStatus(node.id, { state: 'failed', reason: (err as Error).message, ...ssh })
      throw err
    } finally {
      this.stageHooks.delete(spec)
      this.starting.delete(spec)
    }
  }

  private follow(client: Client): void {
    if (this.followed === client) return
    this.followed = client
    if (this.options.onClient) this.options.onClient(client)
    else this.tracker.attach(client)
    client.subscribe({ onNodeEvent: (key, message) => this.nodeEvent(key, message) })
  }

  private async topUp(cluster: Cluster, node: NodeRecord, key: string): Promise<void> {
    const info = cluster.nodes.find((n) => n.key === key)
    const alive = cluster.client?.engines.filter((e) => e.node === key && e.state !== 'dead').length ?? 0
    const wanted = node.engines ?? info?.cores ?? 1
    if (alive < wanted) await cluster.addEngines(key, wanted - alive)
    this.tracker.sync()
    this.setStatus(node.id, this.facts(key, 'ready'))
  }

  private async stopOne(nodeId: string): Promise<void> {
    const key = this.keys.get(nodeId)
    if (!key || !this.cluster) return
    await this.cluster.stopNode(key)
    this.keys.delete(nodeId)
    this.tracker.remove(this.tracker.idsOf(nodeId))
    this.setStatus(nodeId, { state: 'stopped' })
  }

  private newCluster(): Cluster {
    // A Cluster is made with the nodes `start()` would launch; the service never calls start()
    // and adds every node with addNode() instead, so this placeholder list is never used.
    return new Cluster(
      { nodes: [{ kind: 'local' }], heartbeatMs: this.options.heartbeatMs, startTimeout: this.options.startTimeout, onProgress: (key, _message, spec) => this.progress(key, spec) },
      (spec, options) => this.launcherOf(spec, options),
    )
  }

  /** A batch node's job changed state: while it starts, queued (with the scheduler's reason) or starting; later, just the job. */
  private progress(key: string, spec: NodeSpec | undefined): void {
    const starting = spec && this.starting.get(spec)
    const nodeId = starting ?? [...this.keys].find(([, k]) => k === key)?.[0]
    const job = this.cluster?.nodes.find((n) => n.key === key)?.job
    if (!nodeId || !job) return
    if (!starting) return this.setStatus(nodeId, { ...this.statusOf(nodeId), job })
    this.setStatus(nodeId, { state: batchStateOf(job), job, ...(job.reason ? { reason: `${job.scheduler} job ${job.id} ${job.state}: ${job.reason}` } : {}) })
  }

  /** The cluster's launcher factory, with per-node stages for SSH (host keys are in the spec, see specOf). */
  private launcherOf(spec: NodeSpec, options: ClusterOptions): Launcher {
    return launcherFor(spec, options, { onStage: this.stageHooks.get(spec) })
  }

  /** A node's agent was lost or reported a problem. */
  private nodeEvent(key: string, message: string): void {
    const nodeId = [...this.keys].find(([, k]) => k === key)?.[0]
    if (!nodeId) return
    const lost = message.startsWith('lost: ')
    const status = this.statusOf(nodeId)
    // A batch node whose job ended is lost for the scheduler's reason, not for its agent's exit.
    const job = status.job && !/^(RUNNING|PENDING|QUEUED)$/.test(status.job.state) ? status.job : null
    const why = lost && job ? `the ${job.scheduler} job ${job.id} ended: ${job.state}${job.reason ? ` (${job.reason})` : ''}` : lost ? message.slice(6) : message
    this.setStatus(nodeId, { ...status, state: lost ? 'lost' : status.state, reason: why })
  }

  private refreshRunning(): void {
    for (const [nodeId, key] of this.keys) if (this.statusOf(nodeId).state === 'ready') this.setStatus(nodeId, this.facts(key, 'ready'))
  }

  private facts(key: string, state: NodeStatus['state']): Omit<NodeStatus, 'nodeId'> {
    const info = this.cluster?.nodes.find((n) => n.key === key)
    return { state, host: info?.host, cores: info?.cores ?? undefined, nodeVersion: info?.nodeVersion ?? undefined, engineIds: info?.engineIds ?? [], ...(info?.job ? { job: info.job } : {}) }
  }

  private statusOf(nodeId: string): NodeStatus {
    return this.status.get(nodeId) ?? { nodeId, state: 'stopped', engineIds: [] }
  }

  private setStatus(nodeId: string, status: Partial<Omit<NodeStatus, 'nodeId'>> & { state: NodeStatus['state'] }): void {
    const full: NodeStatus = { engineIds: [], ...status, nodeId }
    this.status.set(nodeId, full)
    if (this.options.shown?.() ?? true) this.bus.publish({ type: 'nodeStatus', status: full })
  }
}

/** The cluster's spec of a node record; empty form fields mean "the default". */
export function specOf(node: NodeRecord, hostKeys?: HostKeyFiles, passphrase?: string): NodeSpec {
  if (isBatchKind(node.kind)) return batchSpecOf(node, hostKeys ?? {}, passphrase)
  if (node.kind === 'local') return { kind: 'local', engines: node.engines ?? undefined, nodePath: node.nodePath || undefined, cwd: node.cwd || undefined }
  return sshSpecOf(node, hostKeys ?? {}, passphrase)
}
