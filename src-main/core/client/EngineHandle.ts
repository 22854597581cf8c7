import { encodeFrame } from '../protocol/codec'
import type { ResultMessage, StreamMessage } from '../protocol/messages'
import { EngineError, RemoteError, TaskAborted } from './errors'
import type { Task } from './Task'

export type EngineState = 'starting' | 'idle' | 'busy' | 'interrupting' | 'dead'

/** How an engine ended. */
export interface EngineExit {
  code: number | null
  signal: string | null
  /** The last output of the engine process (its crash report, if any). */
  stderrTail: string
  reason: string
}

/** The node an engine lives on, as the engine needs it (implemented by NodeConnection). */
export interface EngineHost {
  readonly label: string
  readonly host: string
  send(chunks: Uint8Array[]): void
  signal(engine: number, signal: 'SIGINT' | 'SIGTERM' | 'SIGKILL'): void
}

/** Public facts about an engine (`rc.engines`). */
export interface EngineInfo {
  id: number
  node: string
  host: string
  pid: number | null
  state: EngineState
  /** The task running now, if any. */
  currentTask: number | null
  tasksDone: number
  /** Milliseconds spent running tasks. */
  busyMs: number
  exit: EngineExit | null
  /** On a batch node: its job as the scheduler last reported it (queued with a reason, running…). */
  job?: BatchJobInfo | null
}

/** A batch node's job, in the scheduler's words. */
export interface BatchJobInfo {
  scheduler: 'slurm' | 'pbs'
  id: string
  state: string
  reason: string
}

/** The controller's view of one engine: its in-flight tasks, in the order the engine runs them. */
export class EngineHandle {
  pid: number | null = null
  state: EngineState = 'starting'
  exit: EngineExit | null = null
  job: BatchJobInfo | null = null
  tasksDone = 0
  busyMs = 0
  readonly inflight = new Map<number, Task>()
  /** Called on every state change and task completion (the client fans it out). */
  onChange: ((engine: EngineHandle) => void) | null = null
  onStream: ((engine: EngineHandle, msg: StreamMessage, task: Task | undefined) => void) | null = null

  constructor(
    readonly id: number,
    readonly node: EngineHost,
  ) {}

  get alive(): boolean {
    return this.state !== 'dead'
  }

  info(): EngineInfo {
    const current = this.inflight.values().next().value as Task | undefined
    return {
      id: this.id,
      node: this.node.label,
      host: this.node.host,
      pid: this.pid,
      state: this.state,
      currentTask: current?.id ?? null,
      tasksDone: this.tasksDone,
      busyMs: this.busyMs,
      exit: this.exit,
      job: this.job,
    }
  }

  /** The scheduler's latest word on the job this engine runs in. */
  jobState(job: BatchJobInfo): void {
    this.job = job
    this.onChange?.(this)
  }

  registered(pid: number): void {
    this.pid = pid
    this.setState('idle')
  }

  send(task: Task): void {
    if (!this.alive) {
      task.fail(this.deathError(task.method))
      return
    }
    task.assign(this.id)
    task.state = 'sent'
    this.inflight.set(task.id, task)
    this.node.send(task.frame)
    if (this.state === 'idle') this.setState('busy')
  }

  interrupt(): void {
    if (!this.alive) return
    if (this.inflight.size > 0) this.setState('interrupting')
    this.node.signal(this.id, 'SIGINT')
  }

  /** Records a result's metadata; returns the task and the error to finish it with (null: ok). */
  result(msg: ResultMessage): { task: Task; error: RemoteError | null } | null {
    const task = this.inflight.get(msg.id)
    if (!task) return null
    this.inflight.delete(msg.id)
    const meta = task.meta
    meta.started = new Date(msg.started)
    meta.completed = new Date(msg.completed)
    meta.cpuMs = msg.cpuMs ?? null
    meta.stdout = msg.stdout
    meta.stderr = msg.stderr
    if (msg.executeResult !== undefined) meta.executeResult = msg.executeResult
    if (msg.status !== 'aborted') {
      this.tasksDone++
      this.busyMs += msg.completed - msg.started
    }
    if (this.alive) this.setState(this.inflight.size > 0 ? 'busy' : 'idle')
    if (msg.status === 'ok') {
      task.value = msg.value
      return { task, error: null }
    }
    if (msg.status === 'aborted') return { task, error: new TaskAborted(this.id, task.method) }
    return { task, error: RemoteError.fromWire(this.id, task.method, msg.error!) }
  }

  stream(msg: StreamMessage): void {
    this.onStream?.(this, msg, this.inflight.get(msg.id))
  }

  /** The engine is gone: every task it held fails with EngineError (the client may retry some). */
  died(exit: EngineExit): Task[] {
    if (!this.alive) return []
    this.exit = exit
    this.setState('dead')
    const lost = [...this.inflight.values()]
    this.inflight.clear()
    return lost
  }

  /** Drops queued tasks on the engine; it answers each with an `aborted` result. */
  abort(ids: number[]): void {
    if (this.alive) this.node.send(encodeFrame(this.id, { type: 'abort', ids }))
  }

  deathError(method: string): EngineError {
    const exit = this.exit
    const how = exit
      ? exit.signal
        ? `killed by ${exit.signal}`
        : exit.code !== null
          ? `exit code ${exit.code}`
          : exit.reason
      : 'engine not running'
    const tail = exit?.stderrTail.trim().split('\n').slice(-3).join(' | ')
    return new EngineError(
      this.id,
      method,
      exit?.code ?? null,
      exit?.signal ?? null,
      `engine ${this.id} on ${this.node.label} died (${how})${exit?.reason && exit.reason !== how ? `: ${exit.reason}` : ''}${tail ? ` — last output: ${tail}` : ''}`,
    )
  }

  private setState(state: EngineState): void {
    if (this.state === state) return
    this.state = state
    this.onChange?.(this)
  }
}
