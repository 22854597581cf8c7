import { encodeFrame } from '../protocol/codec'
import type { ResultMessage, TaskMethod, TaskOp } from '../protocol/messages'
import { RemoteError, TaskAborted } from './errors'

/** What is known of one task, as ipyparallel's `AsyncResult.metadata[i]`. */
export interface TaskMetadata {
  /** The engine that ran (or was to run) the task; null while it waits in a load-balanced queue. */
  engineId: number | null
  method: TaskMethod
  submitted: Date
  started: Date | null
  completed: Date | null
  /** CPU milliseconds the engine spent on it (unlike completed − started, not counting waits for a core). */
  cpuMs: number | null
  /** What the task's code wrote to stdout / stderr on the engine. */
  stdout: string
  stderr: string
  error: RemoteError | null
  /** The `Out[n]` text of an execute whose last expression had a value. */
  executeResult?: string
  status: 'pending' | 'ok' | 'error' | 'aborted'
}

export type TaskState = 'queued' | 'sent' | 'done'

/** The method by which a task tells its watcher that it finished (a symbol: not part of AsyncResult's API). */
export const TASK_DONE: unique symbol = Symbol('taskDone')

/** What waits for a task to finish (its AsyncResult): one field per task, not a closure per result. */
export interface TaskWatcher {
  [TASK_DONE](task: Task): void
}

/**
 * Task ids are unique across every client of a controller without any remapping: the client's
 * number (0 for the client in the controller's own process, whose ids stay small) times 2^32, plus
 * its count of tasks. So the controller relays a connected client's encoded task as it is. Exact
 * as numbers up to 2^21 clients of one controller.
 */
export const TASKS_PER_CLIENT = 2 ** 32
export const taskClient = (taskId: number): number => Math.floor(taskId / TASKS_PER_CLIENT)

/** One request to one engine. Encoded once when made, so bad arguments fail at the call. */
export class Task {
  state: TaskState = 'queued'
  value: unknown = undefined
  readonly meta: TaskMetadata
  /** The frame's chunks; the connection to the engine writes the engine id into its header. */
  readonly frame: Uint8Array[]
  /** On the controller, for a connected client's task: the engine's result frame, relayed as it is. */
  resultFrame: Uint8Array | null = null
  /** Set when the controller went away before the task finished (the result rejects with it). */
  lost: Error | null = null
  /** Told once the task is done (ok, error or aborted), before `onDone`. */
  watcher: TaskWatcher | null = null
  /** Called once the task is done (ok, error or aborted). */
  onDone: ((task: Task) => void) | null = null
  /** Load-balancing: whether it is balanced, engines it may run on, engines that failed it… */
  balanced = false
  allowed: number[] | null = null
  /** The error of the last failed attempt, reported if no engine is left to retry on. */
  lastError: RemoteError | null = null
  /** Engines a retried task failed on (null until it fails once: most tasks never do). */
  excluded: Set<number> | null = null
  /** Its place in the load balancer's submission order (kept when it is queued again). */
  queueSeq = -1
  retriesLeft = 0
  timeoutMs = 0

  readonly method: TaskMethod

  /**
   * `op` is encoded into the frame and not kept (the frame is what is sent, and sent again on a
   * retry). `frame`: an already encoded task (a connected client's, relayed by the controller);
   * its `op` is then only `{ op: method }`, since the controller does not decode what it relays.
   */
  constructor(
    readonly id: number,
    op: TaskOp,
    engineId: number | null,
    frame?: Uint8Array[],
  ) {
    this.frame = frame ?? encodeFrame(engineId ?? 0, { type: 'task', id, ...op }, 'send')
    this.method = op.op
    this.meta = {
      engineId,
      method: op.op,
      submitted: new Date(),
      started: null,
      cpuMs: null,
      completed: null,
      stdout: '',
      stderr: '',
      error: null,
      status: 'pending',
    }
  }

  /**
   * Records an engine's result in the metadata; returns the error to finish with (null: ok, the
   * value is then in `value`).
   */
  record(msg: ResultMessage, engineId: number): RemoteError | null {
    const meta = this.meta
    meta.engineId = engineId
    meta.started = new Date(msg.started)
    meta.completed = new Date(msg.completed)
    meta.cpuMs = msg.cpuMs ?? null
    // Absent when nothing was written: the metadata has '' as always.
    meta.stdout = msg.stdout ?? ''
    meta.stderr = msg.stderr ?? ''
    if (msg.executeResult !== undefined) meta.executeResult = msg.executeResult
    if (msg.status === 'ok') {
      this.value = msg.value
      return null
    }
    if (msg.status === 'aborted') return new TaskAborted(engineId, this.method)
    return RemoteError.fromWire(engineId, this.method, msg.error!)
  }

  /** The controller is gone: the task ends with `error` (a ConnectionError), whatever it was doing. */
  lose(error: Error): void {
    if (this.state === 'done') return
    this.lost = error
    this.meta.status = 'error'
    this.finish()
  }

  succeed(value: unknown): void {
    this.value = value
    this.meta.status = 'ok'
    this.finish()
  }

  fail(error: RemoteError, status: 'error' | 'aborted' = 'error'): void {
    this.meta.error = error
    this.meta.status = status
    this.finish()
  }

  private finish(): void {
    if (this.state === 'done') return
    this.state = 'done'
    this.meta.completed ??= new Date()
    const watcher = this.watcher
    const done = this.onDone
    this.watcher = null
    this.onDone = null
    watcher?.[TASK_DONE](this)
    done?.(this)
  }
}
