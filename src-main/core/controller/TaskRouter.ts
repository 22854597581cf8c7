/**
 * Routes tasks to engines and results back: a direct task straight to its engine's connection, a
 * balanced one through the LoadBalancer; retries, aborts, timeouts, and the one place a task is
 * finished. Keeps the node streams ref'd while any task is pending, so a script waits for its work.
 */
import { EngineError, type RemoteError, TaskAborted, TaskTimeout } from '../client/errors'
import type { EngineHandle } from '../client/EngineHandle'
import { LoadBalancer } from '../client/LoadBalancer'
import { taskClient, type Task } from '../client/Task'
import type { ResultMessage } from '../protocol/messages'
import type { EngineRegistry } from './EngineRegistry'

export class TaskRouter {
  private readonly balancer: LoadBalancer
  private pending = 0

  constructor(
    private readonly registry: EngineRegistry,
    private readonly onDone: (task: Task) => void,
  ) {
    this.balancer = new LoadBalancer(
      { liveEngines: () => registry.live() },
      (task) => this.finish(task, this.unrunnableError(task)),
      (task) => this.finish(task, new TaskTimeout(task.meta.engineId ?? -1, task.method, task.timeoutMs)),
    )
  }

  submit(task: Task): void {
    if (this.pending++ === 0) for (const node of this.registry.nodes) node.setActive(true)
    if (task.balanced) return this.balancer.submit(task)
    const engineId = task.meta.engineId!
    const handle = this.registry.get(engineId)
    if (!handle) this.finish(task, new EngineError(engineId, task.method, null, null, `there is no engine ${engineId}`))
    else if (!handle.alive) this.finish(task, handle.deathError(task.method))
    else handle.send(task)
  }

  /** An engine's result; `frame` is kept on tasks whose result is relayed to a connected client. */
  result(handle: EngineHandle, msg: ResultMessage, frame: Uint8Array): void {
    const outcome = handle.result(msg)
    if (!outcome) return
    const { task, error } = outcome
    if (task.balanced && this.balancer.reclaimed(task, handle, msg.status === 'aborted')) return
    if (taskClient(task.id) !== 0) task.resultFrame = frame
    if (task.balanced) {
      this.balancer.taskFinished(msg.completed - msg.started)
      // An interrupted task was stopped on purpose: it fails, it is not run again elsewhere.
      if (error && !(error instanceof TaskAborted) && error.ename !== 'Interrupted' && task.retriesLeft > 0) {
        this.retry(task, handle.id, error)
        return
      }
    } else this.balancer.engineFreed()
    this.finish(task, error)
  }

  /** An engine registered: it may take queued tasks. */
  engineReady(): void {
    this.balancer.pump()
  }

  /** An engine stopped answering (its waiting balanced tasks move elsewhere), or answers again. */
  liveness(handle: EngineHandle, responding: boolean): void {
    if (responding) handle.responding()
    else this.balancer.resubmit(handle.unresponsive())
    this.balancer.pump()
  }

  /** An engine died holding `tasks`: balanced ones with retries left run elsewhere, the rest fail. */
  engineDied(handle: EngineHandle, tasks: Task[]): void {
    for (const task of tasks) {
      if (task.balanced && task.retriesLeft > 0) this.retry(task, handle.id, handle.deathError(task.method))
      else this.finish(task, handle.deathError(task.method))
    }
    this.balancer.pump()
  }

  /** Queued tasks fail with TaskAborted at once; those sent to an engine are dropped there if not started. */
  abort(tasks: Task[]): void {
    for (const task of this.balancer.removeAll(tasks)) this.finish(task, new TaskAborted(task.meta.engineId ?? -1, task.method))
    const byEngine = new Map<number, number[]>()
    for (const task of tasks) {
      if (task.state !== 'sent' || task.meta.engineId === null) continue
      const list = byEngine.get(task.meta.engineId) ?? []
      list.push(task.id)
      byEngine.set(task.meta.engineId, list)
    }
    for (const [id, ids] of byEngine) this.registry.get(id)?.abort(ids)
  }

  private finish(task: Task, error: RemoteError | null): void {
    if (task.state === 'done') return
    if (error) task.fail(error, error instanceof TaskAborted ? 'aborted' : 'error')
    else task.succeed(task.value)
    this.onDone(task)
    if (--this.pending === 0) for (const node of this.registry.nodes) node.setActive(false)
  }

  private retry(task: Task, failedOn: number, error: RemoteError): void {
    task.lastError = error
    task.retriesLeft--
    task.excluded ??= new Set()
    task.excluded.add(failedOn)
    task.state = 'queued'
    task.meta.engineId = null
    task.meta.error = null
    task.resultFrame = null
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
      task.excluded?.size
        ? `no engine left to retry on (failed on ${[...task.excluded].join(', ')})`
        : 'no live engine among the view\'s targets',
    )
  }
}
