import { encodeFrame } from '../protocol/codec'
import type { ResultMessage, StreamMessage } from '../protocol/messages'
import { EngineError, type RemoteError } from './errors'
import type { Task } from './Task'

/** `unresponsive`: alive but not answering (stopped with SIGSTOP, or wedged); shown as "not responding". */
export type EngineState = 'starting' | 'idle' | 'busy' | 'interrupting' | 'unresponsive' | 'dead'

/** How an engine ended. */
export interface EngineExit {
  code: number | null
  signal: string | null
  /** The last output of the engine process (its crash report, if any). */
  stderrTail: string
  reason: string
  /** V8's `FATAL ERROR: …` line, when that is how it ended (e.g. out of memory). */
  fatal?: string
}

/** The node an engine lives on, as the engine needs it (implemented by NodeConnection). */
export interface EngineHost {
  readonly label: string
  readonly host: string
  /** Sends a frame to engine `engine` (the connection writes the id into the frame's header). */
  send(chunks: Uint8Array[], engine: number): void
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
  /** V8's heap limit in MB, as the engine reported it (null before it registered). */
  heapLimitMB?: number | null
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
  heapLimitMB: number | null = null
  private beforeUnresponsive: EngineState = 'idle'
  /** The agent's last word on its liveness was "not responding". */
  private silent = false
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

  /** Alive and answering: the balancer sends it work. */
  get responsive(): boolean {
    return this.state !== 'dead' && this.state !== 'unresponsive'
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
      heapLimitMB: this.heapLimitMB,
      exit: this.exit,
      job: this.job,
    }
  }

  /** The scheduler's latest word on the job this engine runs in. */
  jobState(job: BatchJobInfo): void {
    this.job = job
    this.onChange?.(this)
  }

  registered(pid: number, heapLimitMB?: number): void {
    this.pid = pid
    this.heapLimitMB = heapLimitMB ?? null
    this.setState('idle')
    // Reported silent before its registration was handled: it is not answering now.
    if (this.silent) {
      this.beforeUnresponsive = 'idle'
      this.setState('unresponsive')
    }
  }

  send(task: Task): void {
    if (!this.alive) {
      task.fail(this.deathError(task.method))
      return
    }
    task.meta.engineId = this.id
    task.state = 'sent'
    this.inflight.set(task.id, task)
    this.node.send(task.frame, this.id)
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
    const error = task.record(msg, this.id)
    if (msg.status !== 'aborted') {
      this.tasksDone++
      this.busyMs += msg.completed - msg.started
    }
    // A result from an engine flagged unresponsive changes nothing until the agent says it answers.
    if (this.responsive) this.setState(this.inflight.size > 0 ? 'busy' : 'idle')
    return { task, error }
  }

  stream(msg: StreamMessage): void {
    this.onStream?.(this, msg, this.inflight.get(msg.id))
  }

  /**
   * The agent says the engine stopped answering: returns its load-balanced tasks that have not
   * started, taken off the engine to be run elsewhere, and aborts them there so that they do not
   * also run if it comes back. The first in flight may have started (the engine runs them in
   * order): it stays, since running it again elsewhere could run user code twice; it finishes when
   * the engine answers again, or fails with EngineError (and is retried, with `retries`) if the
   * engine is killed. Direct tasks stay too: they are addressed to this engine.
   */
  unresponsive(): Task[] {
    this.silent = true
    if (!this.alive || this.state === 'unresponsive' || this.state === 'starting') return []
    this.beforeUnresponsive = this.state
    this.setState('unresponsive')
    const queued = [...this.inflight.values()].slice(1).filter((task) => task.balanced)
    for (const task of queued) this.inflight.delete(task.id)
    if (queued.length > 0) this.abort(queued.map((task) => task.id))
    return queued
  }

  /** The engine answers again: back to what it was doing. */
  responding(): void {
    this.silent = false
    if (this.state !== 'unresponsive') return
    const was = this.beforeUnresponsive
    this.setState(this.inflight.size === 0 ? 'idle' : was === 'interrupting' ? 'interrupting' : 'busy')
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
    if (this.alive) this.node.send(encodeFrame(this.id, { type: 'abort', ids }), this.id)
  }

  deathError(method: string): EngineError {
    const exit = this.exit
    if (exit && isOutOfMemory(exit)) return this.outOfMemoryError(method, exit)
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

  /**
   * The native stack V8 prints after running out of heap says nothing to a user: say what
   * happened and which option raises the limit.
   */
  private outOfMemoryError(method: string, exit: EngineExit): EngineError {
    const limit = this.heapLimitMB === null ? 'heap limit unknown' : `heap limit ${this.heapLimitMB} MB`
    return new EngineError(
      this.id,
      method,
      exit.code,
      exit.signal,
      `engine ${this.id} on ${this.node.label} died: out of memory (${limit}); raise the limit with the node's ` +
        `maxHeapMB option (e.g. { kind: 'local', maxHeapMB: 8192 }, passed to the engines as --max-old-space-size), ` +
        `or keep less data on each engine`,
    )
  }

  private setState(state: EngineState): void {
    if (this.state === state) return
    this.state = state
    this.onChange?.(this)
  }
}

/** V8's words for a full JavaScript heap, in its fatal error line or the crash report's tail. */
const OUT_OF_MEMORY = /JavaScript heap out of memory|Reached heap limit|near heap limit|Fatal (?:JavaScript|process) out of memory/

function isOutOfMemory(exit: EngineExit): boolean {
  return OUT_OF_MEMORY.test(exit.fatal ?? '') || OUT_OF_MEMORY.test(exit.stderrTail)
}
