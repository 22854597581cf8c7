/**
 * The controller's handle on a running cluster, as ipyparallel's `Client`: engine ids, views,
 * interrupts, and the events the GUI follows. Transport-agnostic: it sees nodes only as
 * NodeConnections and engines only as EngineHandles.
 */
import type { FromAgent, FromEngine, StreamMessage, TaskOp } from '../protocol/messages'
import { AsyncResult, failedResult } from './AsyncResult'
import { DirectView } from './DirectView'
import { type BatchJobInfo, EngineHandle, type EngineExit, type EngineInfo } from './EngineHandle'
import { EngineError, NoEnginesError, RemoteError, TaskAborted, TaskTimeout } from './errors'
import { LoadBalancedView, type LoadBalancedViewOptions } from './LoadBalancedView'
import { LoadBalancer } from './LoadBalancer'
import type { NodeConnection } from './NodeConnection'
import { resolveTargets, type Targets } from './targets'
import { Task } from './Task'

export interface ClientEvents {
  /** An engine registered, changed state, or died. */
  onEngineChange?(engine: EngineInfo): void
  /** Live output of a running task. */
  onStream?(engineId: number, taskId: number, name: 'stdout' | 'stderr', text: string): void
  /** A task finished (ok, error or aborted). */
  onTaskDone?(task: Task): void
  /** A node's agent reported a problem or the node was lost. */
  onNodeEvent?(node: string, message: string): void
}

export class Client {
  private readonly handles = new Map<number, EngineHandle>()
  private readonly balancer: LoadBalancer
  private readonly registrationWaiters = new Set<() => void>()
  private readonly listeners = new Set<ClientEvents>()
  /** Batch nodes' jobs as last reported, for engines expected after the report. */
  private readonly jobs = new Map<NodeConnection, BatchJobInfo>()
  private nextTaskId = 1
  private pendingTasks = 0

  constructor(private readonly nodes: NodeConnection[] = []) {
    this.balancer = new LoadBalancer(
      { liveEngines: () => this.liveHandles() },
      (task) => this.finish(task, this.unrunnableError(task)),
      (task) => this.finish(task, new TaskTimeout(task.meta.engineId ?? -1, task.method, task.timeoutMs)),
    )
    for (const node of nodes) this.attach(node)
  }

  /** Ids of the live engines, ascending. Ids start at 0 and are never reused. */
  get ids(): number[] {
    return this.liveHandles().map((h) => h.id)
  }

  /** Every engine this client has known, dead ones included (with their exit). */
  get engines(): EngineInfo[] {
    return [...this.handles.values()].map((h) => h.info())
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
    for (const id of ids) this.handles.get(id)?.interrupt()
  }

  /** Follows engine and task events; returns a function that stops following. */
  subscribe(events: ClientEvents): () => void {
    this.listeners.add(events)
    return () => this.listeners.delete(events)
  }

  // ---- used by views ---------------------------------------------------------------------

  /** Makes a task (encoding it now, so bad arguments fail here) without sending it. */
  makeTask(op: TaskOp, engineId: number | null): Task {
    return new Task(this.nextTaskId++, op, engineId)
  }

  /** Sends a task to one engine. */
  sendDirect(task: Task, engineId: number): void {
    const handle = this.handles.get(engineId)
    this.track(task)
    if (!handle) this.finish(task, new EngineError(engineId, task.method, null, null, `there is no engine ${engineId}`))
    else if (!handle.alive) this.finish(task, handle.deathError(task.method))
    else handle.send(task)
  }

  /** Queues a load-balanced task. */
  sendBalanced(task: Task): void {
    this.track(task)
    this.balancer.submit(task)
  }

  /** Wraps tasks in an AsyncResult wired to this client's abort. */
  result<T>(tasks: Task[], method: string, single: boolean, combine: (values: unknown[]) => T, completionOrder = false): AsyncResult<T> {
    return new AsyncResult<T>({ tasks, method, single, combine, completionOrder, abort: (ts) => this.abort(ts) })
  }

  /** Builds tasks with `make`; a bad argument becomes a failed AsyncResult instead of a throw. */
  submit<T>(make: () => AsyncResult<T>): AsyncResult<T> {
    try {
      return make()
    } catch (err) {
      return failedResult<T>(err as Error)
    }
  }

  // ---- used by Cluster -------------------------------------------------------------------

  /** Adds a node connection after construction (the cluster attaches nodes as they come up). */
  attach(node: NodeConnection): void {
    if (!this.nodes.includes(node)) this.nodes.push(node)
    node.setEvents({
      onEngineMessage: (id, msg) => this.engineMessage(id, msg),
      onAgentMessage: (msg) => this.agentMessage(node, msg),
      onLost: (reason) => this.nodeLost(node, reason),
    })
  }

  /** A batch node's job as its scheduler last reported it (null for other nodes). */
  jobOf(node: NodeConnection): BatchJobInfo | null {
    return this.jobs.get(node) ?? null
  }

  /** Registers engine ids that `node` is about to start. */
  expectEngines(node: NodeConnection, ids: number[]): void {
    for (const id of ids) {
      const handle = new EngineHandle(id, node)
      handle.job = this.jobs.get(node) ?? null
      handle.onChange = (h) => this.emit((l) => l.onEngineChange?.(h.info()))
      handle.onStream = (h, msg) => this.stream(h, msg)
      this.handles.set(id, handle)
    }
  }

  /** Resolves when every given engine has registered; rejects if one dies first or time runs out. */
  waitForEngines(ids: number[], timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const handles = ids.map((id) => this.handles.get(id)!)
        const dead = handles.filter((h) => h.state === 'dead')
        if (dead.length) {
          const why = dead.map((h) => `engine ${h.id} on ${h.node.label}: ${h.deathError('start').evalue}`)
          finish(new NoEnginesError(`engines failed to start:\n  ${why.join('\n  ')}`))
          return true
        }
        if (handles.every((h) => h.state !== 'starting')) {
          finish()
          return true
        }
        return false
      }
      const timer = setTimeout(() => {
        const slow = ids.filter((id) => this.handles.get(id)?.state === 'starting')
        finish(new NoEnginesError(`engines ${slow.join(', ')} did not register within ${timeoutMs} ms`))
      }, timeoutMs)
      const finish = (err?: Error): void => {
        clearTimeout(timer)
        this.registrationWaiters.delete(waiter)
        if (err) reject(err)
        else resolve()
      }
      const waiter = (): void => void check()
      this.registrationWaiters.add(waiter)
      check()
    })
  }

  /** Resolves when the engine has died (used to stop one engine); rejects after `timeoutMs`. */
  waitForExit(id: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.handles.get(id)?.alive) return
        clearTimeout(timer)
        this.registrationWaiters.delete(check)
        resolve()
      }
      const timer = setTimeout(() => {
        this.registrationWaiters.delete(check)
        reject(new Error(`engine ${id} did not exit within ${timeoutMs} ms`))
      }, timeoutMs)
      this.registrationWaiters.add(check)
      check()
    })
  }

  /** A node is being stopped on purpose: its engines die with `reason`, their tasks fail. */
  detach(node: NodeConnection, reason: string): void {
    for (const handle of this.handles.values()) {
      if (handle.node === node) this.engineDied(handle.id, { code: null, signal: null, stderrTail: '', reason })
    }
    const i = this.nodes.indexOf(node)
    if (i >= 0) this.nodes.splice(i, 1)
  }

  // ---- internals -------------------------------------------------------------------------

  private liveHandles(): EngineHandle[] {
    return [...this.handles.values()].filter((h) => h.alive && h.state !== 'starting').sort((a, b) => a.id - b.id)
  }

  private track(task: Task): void {
    if (this.pendingTasks++ === 0) for (const node of this.nodes) node.setActive(true)
  }

  private finish(task: Task, error: RemoteError | null): void {
    if (task.state === 'done') return
    if (error) task.fail(error, error instanceof TaskAborted ? 'aborted' : 'error')
    else task.succeed(task.value)
    this.emit((l) => l.onTaskDone?.(task))
    if (--this.pendingTasks === 0) for (const node of this.nodes) node.setActive(false)
  }

  private engineMessage(id: number, msg: FromEngine): void {
    const handle = this.handles.get(id)
    if (!handle) return
    if (msg.type === 'result') {
      const outcome = handle.result(msg)
      if (!outcome) return
      const { task, error } = outcome
      if (task.balanced) {
        this.balancer.taskFinished(msg.completed - msg.started)
        // An interrupted task was stopped on purpose: it fails, it is not run again elsewhere.
        if (error && !(error instanceof TaskAborted) && error.ename !== 'Interrupted' && task.retriesLeft > 0) {
          this.retry(task, id, error)
          return
        }
      } else this.balancer.engineFreed()
      this.finish(task, error)
    } else if (msg.type === 'stream') {
      handle.stream(msg)
    } else if (msg.type === 'registered') {
      handle.registered(msg.pid)
      this.balancer.pump()
      for (const w of [...this.registrationWaiters]) w()
    }
  }

  private agentMessage(node: NodeConnection, msg: FromAgent): void {
    if (msg.type === 'engineExit') {
      this.engineDied(msg.engine, { code: msg.code, signal: msg.signal, stderrTail: msg.stderrTail, reason: msg.reason ?? 'the engine process exited' })
    } else if (msg.type === 'engineStarted') {
      const handle = this.handles.get(msg.engine)
      if (handle) handle.pid = msg.pid
    } else if (msg.type === 'agentError') {
      this.emit((l) => l.onNodeEvent?.(node.label, msg.message))
    } else if (msg.type === 'jobState') {
      const job = { scheduler: msg.scheduler, id: msg.job, state: msg.state, reason: msg.reason }
      this.jobs.set(node, job)
      for (const handle of this.handles.values()) if (handle.node === node && handle.alive) handle.jobState(job)
      this.emit((l) => l.onNodeEvent?.(node.label, `${msg.scheduler} job ${msg.job}: ${msg.state}${msg.reason ? ` (${msg.reason})` : ''}`))
    }
  }

  private nodeLost(node: NodeConnection, reason: string): void {
    if (!this.nodes.includes(node)) return
    for (const handle of this.handles.values()) {
      if (handle.node === node && handle.alive) this.engineDied(handle.id, { code: null, signal: null, stderrTail: '', reason: `node lost: ${reason}` })
    }
    this.emit((l) => l.onNodeEvent?.(node.label, `lost: ${reason}`))
  }

  private engineDied(id: number, exit: EngineExit): void {
    const handle = this.handles.get(id)
    if (!handle) return
    for (const task of handle.died(exit)) {
      if (task.balanced && task.retriesLeft > 0) this.retry(task, id, handle.deathError(task.method))
      else this.finish(task, handle.deathError(task.method))
    }
    for (const w of [...this.registrationWaiters]) w()
    this.balancer.pump()
  }

  private retry(task: Task, failedOn: number, error: RemoteError): void {
    task.lastError = error
    task.retriesLeft--
    task.excluded.add(failedOn)
    task.state = 'queued'
    task.meta.engineId = null
    task.meta.error = null
    this.balancer.submit(task)
  }

  private unrunnableError(task: Task): RemoteError {
    if (task.lastError) {
      // Out of retries: the metadata names the engine of the last failure, as the error does.
      task.meta.engineId = task.lastError.engineId
      return task.lastError
    }
    return new EngineError(
      -1,
      task.method,
      null,
      null,
      task.excluded.size
        ? `no engine left to retry on (failed on ${[...task.excluded].join(', ')})`
        : 'no live engine among the view\'s targets',
    )
  }

  private abort(tasks: Task[]): void {
    for (const task of this.balancer.removeAll(tasks)) this.finish(task, new TaskAborted(task.meta.engineId ?? -1, task.method))
    const byEngine = new Map<number, number[]>()
    for (const task of tasks) {
      if (task.state !== 'sent' || task.meta.engineId === null) continue
      const list = byEngine.get(task.meta.engineId) ?? []
      list.push(task.id)
      byEngine.set(task.meta.engineId, list)
    }
    for (const [id, ids] of byEngine) this.handles.get(id)?.abort(ids)
  }

  private stream(handle: EngineHandle, msg: StreamMessage): void {
    this.emit((l) => l.onStream?.(handle.id, msg.id, msg.name, msg.text))
  }

  private emit(fn: (l: ClientEvents) => void): void {
    for (const l of this.listeners) fn(l)
  }
}
