/**
 * The user's handle on a cluster, as ipyparallel's `Client`: engine ids, views, interrupts, and
 * the events the GUI follows. It knows the controller only through the ControllerLink interface:
 * the Controller itself in the controller's process, a RemoteController from another one.
 */
import type { TaskOp } from '../protocol/messages'
import { Controller } from '../controller/Controller'
import type { ClientEvents, ControllerLink, ControllerStatus, MonitorEvents } from '../controller/ControllerLink'
import { AsyncResult, failedResult } from './AsyncResult'
import { DirectView } from './DirectView'
import type { EngineInfo } from './EngineHandle'
import { LoadBalancedView, type LoadBalancedViewOptions } from './LoadBalancedView'
import type { NodeConnection } from './NodeConnection'
import { resolveTargets, type Targets } from './targets'
import { TASKS_PER_CLIENT, Task } from './Task'

export type { ClientEvents } from '../controller/ControllerLink'

/** A map's task holds a list of results: iterating the result yields them one by one. */
const mapItems = (value: unknown): unknown[] => value as unknown[]

export class Client {
  private taskCount = 0
  private readonly abortTasks = (tasks: Task[]): void => this.link.abort(tasks)

  /** Without a link, the client makes its own in-process controller (nodes are attached to it). */
  constructor(readonly link: ControllerLink = new Controller()) {}

  /** Ids of the live engines, ascending. Ids start at 0 and are never reused. */
  get ids(): number[] {
    return this.link.liveIds()
  }

  /** Every engine this client has known, dead ones included (with their exit). */
  get engines(): EngineInfo[] {
    return this.link.engines()
  }

  /** A DirectView: all engines, one id (bare results), a list, or a slice; negatives as Python. */
  view(targets: number): DirectView<true>
  view(targets?: Exclude<Targets, number>): DirectView<false>
  view(targets?: Targets): DirectView
  view(targets?: Targets): DirectView {
    const { ids, single } = resolveTargets(targets, this.ids)
    return new DirectView(this, ids, single)
  }

  /** A LoadBalancedView over the given engines (default: all live engines, including later ones). */
  loadBalancedView(targets?: Targets, options: LoadBalancedViewOptions = {}): LoadBalancedView {
    const allowed = targets === undefined || targets === 'all' ? null : resolveTargets(targets, this.ids).ids
    if (allowed === null && this.ids.length === 0) resolveTargets(undefined, [])
    return new LoadBalancedView(this, allowed, options)
  }

  /** Interrupts the running task on each target (SIGINT); it fails with ename `Interrupted`. */
  async interrupt(targets?: Targets): Promise<void> {
    const { ids } = resolveTargets(targets, this.ids)
    await this.link.interrupt(ids)
  }

  /** Follows engine and task events; returns a function that stops following. */
  subscribe(events: ClientEvents): () => void {
    return this.link.subscribe(events)
  }

  /**
   * Follows the work of every client of the cluster (task events, connected clients), in batches;
   * returns a function that stops following. See ControllerLink.monitor.
   */
  monitor(events: MonitorEvents): () => void {
    return this.link.monitor(events)
  }

  /**
   * Starts more nodes on the running cluster (NodeSpec objects, as `new Cluster({ nodes })`
   * takes); resolves with the new engines' ids once they have registered.
   */
  addNodes(specs: object[]): Promise<number[]> {
    return this.link.addNodes(specs)
  }

  /** Stops one node of the cluster, by its key (the `node` of its engines in `rc.engines`). */
  stopNode(key: string): Promise<void> {
    return this.link.stopNode(key)
  }

  /** The controller's pid, live engines, connected clients and uptime. */
  status(): Promise<ControllerStatus> {
    return this.link.status()
  }

  /** This client leaves; the cluster, its engines and their namespaces stay. */
  close(): Promise<void> {
    return this.link.close()
  }

  /** Stops the cluster: every node stopped, no engine or agent left, the connection file removed. */
  shutdown(): Promise<void> {
    return this.link.shutdown()
  }

  // ---- used by views ---------------------------------------------------------------------

  /** Makes a task (encoding it now, so bad arguments fail here) without sending it. */
  makeTask(op: TaskOp, engineId: number | null): Task {
    return new Task(this.link.clientNo * TASKS_PER_CLIENT + ++this.taskCount, op, engineId)
  }

  /** Sends tasks to the controller: direct ones to the engine they were made for, balanced ones to the queue. */
  dispatch(tasks: Task[]): void {
    this.link.submit(tasks)
  }

  /** Wraps tasks in an AsyncResult wired to this client's abort. */
  result<T>(tasks: Task[], method: string, single: boolean, combine: (values: unknown[]) => T, completionOrder = false): AsyncResult<T> {
    const items = method === 'map' ? mapItems : undefined
    return new AsyncResult<T>({ tasks, method, single, combine, completionOrder, items, abort: this.abortTasks })
  }

  /** Builds tasks with `make`; a bad argument becomes a failed AsyncResult instead of a throw. */
  submit<T>(make: () => AsyncResult<T>): AsyncResult<T> {
    try {
      return make()
    } catch (err) {
      return failedResult<T>(err as Error)
    }
  }

  // ---- for a client made with its own in-process controller (tests, tools) --------------

  attach(node: NodeConnection): void {
    this.controller().attach(node)
  }

  expectEngines(node: NodeConnection, ids: number[]): void {
    this.controller().registry.expect(node, ids)
  }

  waitForEngines(ids: number[], timeoutMs: number): Promise<void> {
    return this.controller().registry.waitForEngines(ids, timeoutMs)
  }

  private controller(): Controller {
    if (!(this.link instanceof Controller)) throw new Error('this client is connected to another process: its nodes are run there')
    return this.link
  }
}
