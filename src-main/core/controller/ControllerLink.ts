/**
 * The one interface between a Client (views, AsyncResult, errors) and the controller (engine
 * registry, load balancer, task router). In the controller's own process it is the Controller
 * itself: direct calls, no encoding. From another process it is a RemoteController speaking the
 * client protocol over a socket. Views and results behave the same either way.
 */
import type { EngineInfo } from '../client/EngineHandle'
import type { Task } from '../client/Task'
import type { MonitorEvents } from './Monitor'

export type { ClientInfo, MonitorEvents, TaskEvent } from './Monitor'

export interface ClientEvents {
  /** An engine registered, changed state, or died. */
  onEngineChange?(engine: EngineInfo): void
  /** Live output of a running task. */
  onStream?(engineId: number, taskId: number, name: 'stdout' | 'stderr', text: string): void
  /** A task finished (ok, error or aborted). */
  onTaskDone?(task: Task): void
  /** A node's agent reported a problem or the node was lost. */
  onNodeEvent?(node: string, message: string): void
  /** A connected client's controller went away (not sent for the client's own close()). */
  onClosed?(error: Error): void
}

/** What `clusterdesk list` shows of a running controller. */
export interface ControllerStatus {
  pid: number
  /** Live engines. */
  engines: number
  /** Connected clients (the controller's own process not counted). */
  clients: number
  uptimeS: number
}

export interface ControllerLink {
  /** Every engine known, dead ones included, in id order. */
  engines(): EngineInfo[]
  /** Ids of the live, registered engines, ascending (without building every engine's info). */
  liveIds(): number[]
  /** The number of this link's client, the low bits of its task ids (0 in the controller's process). */
  readonly clientNo: number
  /**
   * Sends tasks: a task with `meta.engineId` set goes to that engine, a `balanced` one to the
   * load balancer. Each finishes through its own `succeed`/`fail`/`lose`.
   */
  submit(tasks: Task[]): void
  /** Drops the given tasks that have not started (they fail with TaskAborted). */
  abort(tasks: Task[]): void
  /** Interrupts the running task of each engine (SIGINT). */
  interrupt(ids: number[]): Promise<void>
  subscribe(events: ClientEvents): () => void
  /**
   * Follows the work of every client of the controller: task events (submitted, done) and the
   * connected clients, in batches (every 100 ms). Opt-in: nothing is recorded or sent until a
   * monitor subscribes. Returns the unsubscribe function.
   */
  monitor(events: MonitorEvents): () => void
  /** Starts more nodes (NodeSpec objects) on the running cluster; resolves with the new engine ids. */
  addNodes(specs: object[]): Promise<number[]>
  /** Stops one node (by its key, the `node` of its engines): its engines and agent are gone when this resolves. */
  stopNode(key: string): Promise<void>
  status(): Promise<ControllerStatus>
  /** This client leaves; the cluster stays. */
  close(): Promise<void>
  /** Stops the whole cluster: every node, engine and agent; the connection file is removed. */
  shutdown(): Promise<void>
}

/** What a Controller needs from whoever runs its nodes (the Cluster): adding and stopping nodes, stopping all. */
export interface ControllerHost {
  addNodes(specs: object[]): Promise<number[]>
  stopNode(key: string): Promise<void>
  shutdown(): Promise<void>
}
