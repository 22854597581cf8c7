/**
 * The controller behind the GUI: nodes, engines, π runs, the console and the Exceptions list, on
 * one dynamic Cluster, stored in the data directory's SQLite database. No Electron here: the
 * Electron window and `clusterdesk serve` reach it through two small adapters of this API.
 */
import { version as packageVersion } from '../../package.json'
import { AttachedNodes } from './attachedNodes'
import type {
  ClusterServiceApi,
  ConsoleEntry,
  NodeInput,
  NodeRecord,
  NodeStatus,
  NodeTestResult,
  PiRunRequest,
  ProfileState,
  ProfileView,
  RunRecord,
  ServiceSnapshot,
} from './api'
import { ConsoleManager } from './consoleManager'
import { EngineTracker } from './engineTracker'
import { ErrorLog, NotFoundError } from './errorLog'
import { EventBus, type EventListener, type EventSource } from './eventBus'
import { NodeManager } from './nodeManager'
import { isBatchKind, testBatchNode } from './batchNodes'
import { testNode } from './nodeTest'
import { testSshNode, trustHostKey, type HostKeyFiles } from './sshNodes'
import { RunManager } from './runs/runManager'
import { APP_PROFILE, ProfileManager } from './profileManager'
import { parseArgs, ServiceInputError } from './schemas'
import { TaskStream } from './taskStream'
import type { Client } from '../core/client/Client'
import { Store } from './store'

export interface ClusterServiceOptions {
  /** Where `clusterdesk.db` lives (created if missing). */
  dataDir: string
  /** Reported in snapshots (default: the package's version). */
  version?: string
  /** Shortest time between two event batches (default 100 ms). */
  eventIntervalMs?: number
  /** Heartbeat period between the controller and the node agents (default 2000 ms). */
  heartbeatMs?: number
  /**
   * The only known_hosts its SSH nodes read, and where Trust records a key (as OpenSSH's
   * UserKnownHostsFile). Default: ~/.ssh/known_hosts is read, and clusterdesk's one trust store
   * (`<home>/known_hosts`, shared with the library and the CLI) is read and written.
   */
  knownHostsFile?: string
  /**
   * The profile the app's cluster is published under, for scripts' `connect({ profile })`
   * (default 'app', or 'app-2'… if another app holds it; never 'default', the terminal's); null:
   * not published.
   */
  profile?: string | null
}

export class ClusterService implements ClusterServiceApi, EventSource {
  readonly dataDir: string
  private readonly version: string
  private readonly store: Store
  private readonly bus: EventBus
  private readonly tracker: EngineTracker
  private readonly nodes: NodeManager
  private readonly errors: ErrorLog
  private readonly runs: RunManager
  private readonly console: ConsoleManager
  private readonly profiles: ProfileManager
  private readonly stream: TaskStream
  /** The app's nodes started on attached clusters. */
  private readonly attachedNodes: AttachedNodes
  private unfollowNodes: (() => void) | null = null
  /** The client of the cluster shown now: the app's own, or the attached one. */
  private shown: Client | null = null
  private closing: Promise<void> | null = null
  /** SSH host keys: ~/.ssh/known_hosts plus clusterdesk's trust store, or only the knownHostsFile given. */
  private readonly hostKeys: HostKeyFiles

  constructor(options: ClusterServiceOptions) {
    this.dataDir = options.dataDir
    this.version = options.version ?? packageVersion
    this.store = new Store(options.dataDir)
    this.bus = new EventBus({ intervalMs: options.eventIntervalMs })
    // An attached cluster's node keys ('local'…) may equal the app's own: its engines are its own.
    this.tracker = new EngineTracker(this.bus, (key) => this.attachedNode(key) ?? this.nodes.nodeOfKey(key))
    this.hostKeys = { knownHostsFile: options.knownHostsFile }
    this.nodes = new NodeManager(this.store, this.bus, this.tracker, {
      heartbeatMs: options.heartbeatMs,
      hostKeys: this.hostKeys,
      onClient: (client) => {
        if (!this.profiles.attachedClient) this.show(client)
      },
      shown: () => !this.profiles?.attachedClient,
    })
    this.attachedNodes = new AttachedNodes(this.bus, this.hostKeys)
    this.errors = new ErrorLog(this.store, this.bus)
    this.stream = new TaskStream(this.bus, this.errors, (engineId) => this.tracker.nodeNameOf(engineId))
    this.profiles = new ProfileManager(
      this.bus,
      () => this.nodes.ownCluster,
      (client) => this.show(client),
      options.profile === undefined ? APP_PROFILE : options.profile,
      (profile) => this.attachedNodes.forget(profile),
    )
    this.show(this.nodes.ownCluster.localClient)
    void this.profiles.publish()
    const deps = {
      store: this.store,
      bus: this.bus,
      errors: this.errors,
      client: () => this.profiles.attachedClient ?? this.nodes.client,
      nodeNameOf: (engineId: number) => this.tracker.nodeNameOf(engineId),
    }
    this.runs = new RunManager(deps)
    this.console = new ConsoleManager(deps)
  }

  onEvents(listener: EventListener): () => void {
    return this.bus.onEvents(listener)
  }

  async snapshot(): Promise<ServiceSnapshot> {
    parseArgs('snapshot', [])
    return {
      version: this.version,
      dataDir: this.dataDir,
      nodes: this.nodes.list(),
      nodeStatus: this.nodeStatuses(),
      engines: this.tracker.views(),
      runs: this.runs.list(),
      progress: this.runs.progress(),
      console: this.console.list(),
      errors: this.errors.list(),
      profile: this.profiles.state(),
      clients: this.stream.listClients(),
      tasks: this.stream.recent(),
      tasksTotal: this.stream.total,
      running: this.stream.runningNow(),
    }
  }

  /** Resolves once the app's own cluster is published (or failed to be: see `profile.ownError`). */
  async published(): Promise<ProfileState> {
    await this.profiles.publish()
    return this.profiles.state()
  }

  async listProfiles(): Promise<ProfileView[]> {
    parseArgs('listProfiles', [])
    return this.profiles.list()
  }

  async attach(profile: string): Promise<ProfileState> {
    return this.profiles.attach(...parseArgs('attach', [profile]))
  }

  async detach(): Promise<ProfileState> {
    parseArgs('detach', [])
    return this.profiles.detach()
  }

  /** Shows a cluster: its engines, clients, task stream and the app's nodes on it. */
  private show(client: Client): void {
    if (this.shown === client) return
    this.shown = client
    this.tracker.switchTo(client)
    this.stream.follow(client)
    this.unfollowNodes?.()
    this.unfollowNodes = null
    const profile = this.profiles?.attachedProfile
    if (profile) {
      this.unfollowNodes = client.subscribe({ onNodeEvent: (key, message) => this.attachedNodes.nodeEvent(profile, client, key, message) })
    }
    // The first show is from the constructor, before the node manager has published anything.
    if (this.profiles) for (const status of this.nodeStatuses()) this.bus.publish({ type: 'nodeStatus', status })
  }

  /** The node states of the cluster shown: the own one's, or the app's nodes on the attached one. */
  private nodeStatuses(): NodeStatus[] {
    const profile = this.profiles.attachedProfile
    return profile ? this.attachedNodes.statuses(profile, this.nodes.list()) : this.nodes.statuses()
  }

  /** The attached cluster, when the app shows one: node actions go to its controller. */
  private attachedTarget(): { profile: string; client: Client } | null {
    const profile = this.profiles.attachedProfile
    const client = this.profiles.attachedClient
    return profile && client ? { profile, client } : null
  }

  /** The engines of an attached cluster belong to none of the app's nodes: named by their node's key. */
  private attachedNode(key: string): { nodeId: string; nodeName: string; local: boolean } | null {
    const profile = this.profiles?.attachedProfile
    return profile ? { nodeId: `${profile}:${key}`, nodeName: `${key} (${profile})`, local: false } : null
  }

  async saveNode(input: NodeInput & { id?: string }): Promise<NodeRecord> {
    const [node] = parseArgs('saveNode', [input])
    return this.nodes.save(node)
  }

  async deleteNode(id: string): Promise<void> {
    const [nodeId] = parseArgs('deleteNode', [id])
    const attached = this.attachedTarget()
    if (attached && this.attachedNodes.has(attached.profile, nodeId)) await this.attachedNodes.stop(attached.profile, attached.client, this.nodes.record(nodeId))
    await this.nodes.delete(nodeId)
  }

  async testNode(input: NodeInput, passphrase?: string): Promise<NodeTestResult> {
    const [node, secret] = parseArgs('testNode', [input, passphrase])
    if (isBatchKind(node.kind)) return node.ssh?.host ? testSshNode({ ...node, kind: 'ssh' }, this.hostKeys, secret) : testBatchNode(node)
    return node.kind === 'ssh' ? testSshNode(node, this.hostKeys, secret) : testNode(node)
  }

  async startNode(id?: string, passphrase?: string): Promise<void> {
    const [nodeId, secret] = parseArgs('startNode', [id, passphrase])
    const attached = this.attachedTarget()
    if (!attached) return this.nodes.start(nodeId, secret)
    await this.attachedNodes.startAll(attached.profile, attached.client, nodeId === undefined ? this.nodes.list() : [this.nodes.record(nodeId)], secret)
  }

  async reconnectNode(id: string, passphrase?: string): Promise<void> {
    const [nodeId, secret] = parseArgs('reconnectNode', [id, passphrase])
    const attached = this.attachedTarget()
    if (!attached) return this.nodes.reconnect(nodeId, secret)
    const node = this.nodes.record(nodeId)
    await this.attachedNodes.stop(attached.profile, attached.client, node)
    await this.attachedNodes.start(attached.profile, attached.client, node, secret)
  }

  async trustHostKey(node: string | NodeInput, fingerprint: string): Promise<void> {
    const [target, print] = parseArgs('trustHostKey', [node, fingerprint])
    const input = typeof target === 'string' ? this.nodes.list().find((n) => n.id === target) : target
    if (!input) throw new NotFoundError(`there is no node '${target as string}'`)
    if (input.kind !== 'ssh') throw new ServiceInputError(`trustHostKey: the node '${input.name}' is not an SSH node`)
    await trustHostKey(input, print, this.hostKeys)
  }

  async stopNode(id?: string): Promise<void> {
    const [nodeId] = parseArgs('stopNode', [id])
    const attached = this.attachedTarget()
    if (!attached) return this.nodes.stop(nodeId)
    const nodes = nodeId === undefined ? this.nodes.list() : [this.nodes.record(nodeId)]
    await Promise.all(nodes.map((n) => this.attachedNodes.stop(attached.profile, attached.client, n)))
  }

  async stopEngine(engineId: number): Promise<void> {
    const [id] = parseArgs('stopEngine', [engineId])
    this.ownEnginesOnly('stop')
    await this.nodes.stopEngine(id)
  }

  async restartEngine(engineId: number): Promise<number> {
    const [id] = parseArgs('restartEngine', [engineId])
    this.ownEnginesOnly('restart')
    return this.nodes.restartEngine(id)
  }

  /** Engine ids of two clusters overlap: an attached cluster's engine is never one of the app's own. */
  private ownEnginesOnly(what: string): void {
    const attached = this.attachedTarget()
    if (attached) throw new ServiceInputError(`the app shows profile '${attached.profile}', whose controller cannot ${what} one engine: stop its node on the Nodes page (or detach to act on the app's own engines)`)
  }

  async interrupt(engineIds?: number[]): Promise<void> {
    const [ids] = parseArgs('interrupt', [engineIds])
    const attached = this.profiles.attachedClient
    if (attached) await attached.interrupt(ids)
    else await this.nodes.interrupt(ids)
  }

  async runPi(request: PiRunRequest): Promise<RunRecord> {
    return this.runs.start(...parseArgs('runPi', [request]))
  }

  async runAllModes(request: Omit<PiRunRequest, 'mode'>): Promise<string> {
    return this.runs.startAll(...parseArgs('runAllModes', [request]))
  }

  async cancelRun(runId: string): Promise<void> {
    this.runs.cancel(...parseArgs('cancelRun', [runId]))
  }

  async getRun(runId: string): Promise<RunRecord> {
    return this.runs.get(...parseArgs('getRun', [runId]))
  }

  async deleteRun(runId: string): Promise<void> {
    this.runs.delete(...parseArgs('deleteRun', [runId]))
  }

  async execute(code: string, targets: string): Promise<ConsoleEntry> {
    return this.console.execute(...parseArgs('execute', [code, targets]))
  }

  async clearErrors(): Promise<void> {
    parseArgs('clearErrors', [])
    this.errors.clear()
  }

  /**
   * Cancels the run, stops every engine and agent, and closes the database. Safe to call twice;
   * the service cannot be used afterwards.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // A run that ignores its interrupt ends when its engines are stopped below.
      await Promise.race([this.runs.close(), delay(5000)])
      this.stream.close()
      this.unfollowNodes?.()
      await this.profiles.close()
      await this.nodes.close()
      await Promise.race([Promise.all([this.runs.close(), this.console.close()]), delay(2000)])
      this.bus.flush()
      this.bus.close()
      this.tracker.close()
      this.store.close()
    })()
    return this.closing
  }
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref())
