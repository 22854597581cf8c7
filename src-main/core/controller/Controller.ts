/**
 * The controller: engine registry, load balancer and task router behind the ControllerLink
 * interface. A Client in the same process calls it directly (no encoding); connected clients
 * reach it through the client-protocol server (core/remote), which calls the same methods.
 * Transport-agnostic: it sees nodes only as NodeConnections.
 */
import type { FromAgent, FromEngine } from '../protocol/messages'
import type { BatchJobInfo, EngineInfo } from '../client/EngineHandle'
import type { NodeConnection } from '../client/NodeConnection'
import { taskClient, type Task } from '../client/Task'
import type { FrameSink } from '../protocol/FrameReader'
import type { ClientEvents, ControllerHost, ControllerLink, ControllerStatus } from './ControllerLink'
import { EngineRegistry } from './EngineRegistry'
import { Monitor, type MonitorEvents } from './Monitor'
import { TaskRouter } from './TaskRouter'

export class Controller implements ControllerLink {
  readonly clientNo = 0
  readonly registry: EngineRegistry
  private readonly router: TaskRouter
  private readonly listeners = new Set<ClientEvents>()
  private readonly startedAt = Date.now()
  /** Connected clients, counted by the protocol server. */
  remoteClients = 0
  /** Batch nodes' jobs as last reported, for engines expected after the report. */
  private readonly jobs = new Map<NodeConnection, BatchJobInfo>()
  /** Every client's task events and the connected clients, for monitors (see `monitor`). */
  readonly monitoring = new Monitor(this.startedAt, {
    headOf: (id) => this.registry.get(id)?.inflight.values().next().value,
    engineIds: () => this.registry.live().map((h) => h.id),
  })
  /** Connected clients that take their tasks' large results as they arrive, by client number. */
  private readonly relays = new Map<number, (task: Task, size: number) => FrameSink | null>()
  /** Set by the Cluster: adding nodes and stopping everything need its launchers. */
  host: ControllerHost | null = null

  constructor() {
    this.registry = new EngineRegistry((node) => this.jobOf(node), {
      onEngineChange: (h) => {
        // A task sent to an idle engine starts now: the monitor's `started` (checked only while monitored).
        if (this.monitoring.active) this.monitoring.engineChanged(h.id)
        // One info for every listener (a GUI and each connected client), not one each.
        if (this.listeners.size === 0) return
        const info = h.info()
        this.emit((l) => l.onEngineChange?.(info))
      },
      onStream: (h, taskId, name, text) => this.emit((l) => l.onStream?.(h.id, taskId, name, text)),
      onEngineDied: (h, tasks) => this.router.engineDied(h, tasks),
    })
    this.router = new TaskRouter(this.registry, (task) => {
      this.monitoring.done(task)
      if (this.listeners.size > 0) this.emit((l) => l.onTaskDone?.(task))
    })
  }

  // ---- ControllerLink ----------------------------------------------------------------------

  engines(): EngineInfo[] {
    return this.registry.info()
  }

  liveIds(): number[] {
    return this.registry.liveIds()
  }

  submit(tasks: Task[]): void {
    for (const task of tasks) {
      this.monitoring.submitted(task)
      this.router.submit(task)
    }
  }

  abort(tasks: Task[]): void {
    this.router.abort(tasks)
  }

  async interrupt(ids: number[]): Promise<void> {
    for (const id of ids) this.registry.get(id)?.interrupt()
  }

  subscribe(events: ClientEvents): () => void {
    this.listeners.add(events)
    return () => this.listeners.delete(events)
  }

  monitor(events: MonitorEvents): () => void {
    return this.monitoring.subscribe(events)
  }

  /**
   * Client `clientNo`'s large 'ok' results go to `relayer` as they arrive from the engine (a
   * sink for the frame's bytes, or null to have it received whole as usual); the task finishes,
   * as any other, once the frame is complete. For ClientSession.
   */
  relayTo(clientNo: number, relayer: (task: Task, size: number) => FrameSink | null): () => void {
    this.relays.set(clientNo, relayer)
    return () => this.relays.delete(clientNo)
  }

  async addNodes(specs: object[]): Promise<number[]> {
    if (!this.host) throw new Error('this controller runs no launchers: add nodes through its Cluster')
    return this.host.addNodes(specs)
  }

  async stopNode(key: string): Promise<void> {
    if (!this.host) throw new Error('this controller runs no launchers: stop nodes through its Cluster')
    await this.host.stopNode(key)
  }

  async status(): Promise<ControllerStatus> {
    return { pid: process.pid, engines: this.registry.live().length, clients: this.remoteClients, uptimeS: Math.round((Date.now() - this.startedAt) / 1000) }
  }

  /** The in-process client leaving changes nothing: the controller lives as long as its Cluster. */
  async close(): Promise<void> {}

  async shutdown(): Promise<void> {
    await this.host?.shutdown()
  }

  // ---- nodes (used by Cluster) -------------------------------------------------------------

  /** Adds a node connection (the cluster attaches nodes as they come up). */
  attach(node: NodeConnection): void {
    const nodes = this.registry.nodes
    if (!nodes.includes(node)) nodes.push(node)
    node.setEvents({
      onEngineMessage: (id, msg, frame) => this.engineMessage(id, msg, frame),
      relayWanted: () => this.relays.size > 0,
      relayResult: (id, msg, size) => {
        const task = this.registry.get(id)?.inflight.get(msg.id)
        return task ? (this.relays.get(taskClient(task.id))?.(task, size) ?? null) : null
      },
      onAgentMessage: (msg) => this.agentMessage(node, msg),
      onLost: (reason) => this.nodeLost(node, reason),
    })
  }

  /** A node is being stopped on purpose: its engines die with `reason`, their tasks fail. */
  detach(node: NodeConnection, reason: string): void {
    this.registry.nodeGone(node, reason)
    const nodes = this.registry.nodes
    const i = nodes.indexOf(node)
    if (i >= 0) nodes.splice(i, 1)
  }

  /** A batch node's job as its scheduler last reported it (null for other nodes). */
  jobOf(node: NodeConnection): BatchJobInfo | null {
    return this.jobs.get(node) ?? null
  }

  // ---- internals ---------------------------------------------------------------------------

  /** The one place engine messages are told apart. */
  private engineMessage(id: number, msg: FromEngine, frame: Uint8Array): void {
    const handle = this.registry.get(id)
    if (!handle) return
    if (msg.type === 'result') this.router.result(handle, msg, frame)
    else if (msg.type === 'stream') handle.stream(msg)
    else if (msg.type === 'registered') {
      this.registry.registered(id, msg.pid, msg.heapLimitMB)
      this.router.engineReady()
    }
  }

  private agentMessage(node: NodeConnection, msg: FromAgent): void {
    if (msg.type === 'engineExit') {
      const { code, signal, stderrTail, fatal } = msg
      const reason = msg.reason ?? 'the engine process exited'
      this.registry.died(msg.engine, { code, signal, stderrTail, reason, ...(fatal ? { fatal } : {}) })
    } else if (msg.type === 'engineLiveness') {
      const handle = this.registry.get(msg.engine)
      if (handle) this.router.liveness(handle, msg.responding)
    } else if (msg.type === 'engineStarted') {
      const handle = this.registry.get(msg.engine)
      if (handle) handle.pid = msg.pid
    } else if (msg.type === 'agentError') {
      this.emit((l) => l.onNodeEvent?.(node.label, msg.message))
    } else if (msg.type === 'jobState') {
      const job = { scheduler: msg.scheduler, id: msg.job, state: msg.state, reason: msg.reason }
      this.jobs.set(node, job)
      this.registry.jobState(node, job)
      this.emit((l) => l.onNodeEvent?.(node.label, `${msg.scheduler} job ${msg.job}: ${msg.state}${msg.reason ? ` (${msg.reason})` : ''}`))
    }
  }

  private nodeLost(node: NodeConnection, reason: string): void {
    if (!this.registry.nodes.includes(node)) return
    this.registry.nodeGone(node, `node lost: ${reason}`)
    this.emit((l) => l.onNodeEvent?.(node.label, `lost: ${reason}`))
  }

  private emit(fn: (l: ClientEvents) => void): void {
    for (const l of this.listeners) fn(l)
  }
}
