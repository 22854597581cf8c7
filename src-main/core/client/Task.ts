import { encodeFrame } from '../protocol/codec'
import type { TaskMethod, TaskOp } from '../protocol/messages'
import type { RemoteError } from './errors'

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

/** One request to one engine. Encoded once when made, so bad arguments fail at the call. */
export class Task {
  state: TaskState = 'queued'
  value: unknown = undefined
  readonly meta: TaskMetadata
  /** The frame's chunks; the header's engine id is patched when the task is dispatched. */
  readonly frame: Uint8Array[]
  /** Called once the task is done (ok, error or aborted). */
  onDone: ((task: Task) => void) | null = null
  /** Load-balancing: whether it is balanced, engines it may run on, engines that failed it… */
  balanced = false
  allowed: number[] | null = null
  /** The error of the last failed attempt, reported if no engine is left to retry on. */
  lastError: RemoteError | null = null
  readonly excluded = new Set<number>()
  retriesLeft = 0
  timeoutMs = 0

  constructor(
    readonly id: number,
    readonly op: TaskOp,
    engineId: number | null,
  ) {
    this.frame = encodeFrame(engineId ?? 0, { type: 'task', id, ...op }, 'send')
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

  get method(): TaskMethod {
    return this.op.op
  }

  /** Points the frame at an engine. */
  assign(engineId: number): void {
    this.meta.engineId = engineId
    new DataView(this.frame[0].buffer, this.frame[0].byteOffset, 8).setInt32(4, engineId)
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
    const done = this.onDone
    this.onDone = null
    done?.(this)
  }
}
