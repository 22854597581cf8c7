/**
 * A stand-in for the Client, handed to `runPi`, that sees every call the run makes: views made
 * from it build their AsyncResults through it, so the run's results (to abort on cancel) and
 * tasks (to follow as they finish) are known exactly, without touching runPi or the views; and
 * what each task was made from (its op, which a Task does not keep), for the chunk collector.
 * Everything else goes to the real client.
 */
import type { AsyncResult } from '../../core/client/AsyncResult'
import type { Client } from '../../core/client/Client'
import type { Task } from '../../core/client/Task'
import type { TaskOp } from '../../core/protocol/messages'

export class RunClient {
  /** The proxy to give runPi in place of the client. */
  readonly client: Client
  private readonly results: AsyncResult<unknown>[] = []
  private readonly tasks: Task[] = []
  /** The op each of the run's tasks was made from. */
  private readonly ops = new WeakMap<Task, TaskOp>()
  private cancelled = false
  private reinterrupt: NodeJS.Timeout | null = null

  constructor(
    private readonly rc: Client,
    /** Called once per task of the run, when it finishes (ok, error or aborted), with its op. */
    private readonly onTaskDone: (task: Task, op: TaskOp) => void,
  ) {
    const capture = (result: AsyncResult<unknown>, tasks: Task[]): void => this.capture(result, tasks)
    const ops = this.ops
    const proxy: Client = new Proxy(rc, {
      get(target, prop) {
        if (prop === 'makeTask') {
          return (op: TaskOp, engineId: number | null) => {
            const task = target.makeTask(op, engineId)
            ops.set(task, op)
            return task
          }
        }
        if (prop === 'result') {
          return (...args: Parameters<Client['result']>) => {
            const result = target.result(...args)
            capture(result as AsyncResult<unknown>, args[0])
            return result
          }
        }
        const value = Reflect.get(target, prop, target) as unknown
        if (typeof value !== 'function') return value
        // Views keep the client they were made from: make them from the proxy.
        if (prop === 'view' || prop === 'loadBalancedView') return (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(proxy, args)
        return (value as (...a: unknown[]) => unknown).bind(target)
      },
    })
    this.client = proxy
  }

  /**
   * Stops the run: drops its tasks that have not started and interrupts the engines running
   * one. Tasks it submits later are dropped as they come.
   */
  cancel(): void {
    this.cancelled = true
    for (const result of this.results) result.abort()
    void this.interruptRunning()
    // An engine ignores a SIGINT that lands between two of its tasks, and may then start one it
    // had already received: interrupt again until the run has ended.
    this.reinterrupt ??= setInterval(() => void this.interruptRunning(), 250)
    this.reinterrupt.unref()
  }

  /** The run has ended: no more interrupts. */
  dispose(): void {
    if (this.reinterrupt) clearInterval(this.reinterrupt)
    this.reinterrupt = null
  }

  private capture(result: AsyncResult<unknown>, tasks: Task[]): void {
    this.results.push(result)
    for (const task of tasks) {
      this.tasks.push(task)
      if (task.state === 'done') {
        this.taskDone(task)
        continue
      }
      const before = task.onDone
      task.onDone = (t) => {
        before?.(t)
        this.taskDone(t)
      }
    }
    if (this.cancelled) {
      result.abort()
      void this.interruptRunning()
    }
  }

  private taskDone(task: Task): void {
    const op = this.ops.get(task)
    if (op) this.onTaskDone(task, op)
  }

  private async interruptRunning(): Promise<void> {
    const engines = new Set<number>()
    for (const task of this.tasks) if (task.state === 'sent' && task.meta.engineId !== null) engines.add(task.meta.engineId)
    const live = new Set(this.rc.ids)
    const targets = [...engines].filter((id) => live.has(id))
    if (targets.length) await this.rc.interrupt(targets).catch(() => undefined)
  }
}
