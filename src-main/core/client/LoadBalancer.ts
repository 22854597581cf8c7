/**
 * The load-balanced task queue. Tasks wait here until an allowed engine has room; each engine
 * holds a few tasks at once (pipelining), fewer when tasks are long so that the last ones are not
 * stuck behind a slow engine, more when they are tiny so the engine never waits for the next one.
 */
import type { EngineHandle } from './EngineHandle'
import type { Task } from './Task'

/** Aim to keep about this much work queued on each engine. */
const TARGET_QUEUED_MS = 4
const MIN_IN_FLIGHT = 1
const MAX_IN_FLIGHT = 64

export interface EnginePool {
  /** Live engines, in id order. */
  liveEngines(): EngineHandle[]
}

export class LoadBalancer {
  private readonly queue: Task[] = []
  /** Exponentially weighted mean task duration (ms), by which the in-flight limit adapts. */
  private meanTaskMs = 10
  private readonly timers = new Map<Task, NodeJS.Timeout>()

  constructor(
    private readonly pool: EnginePool,
    /** Fails a task that can run nowhere (no engine left, or every allowed one excluded). */
    private readonly unrunnable: (task: Task) => void,
    /** Fails a task whose `timeoutMs` passed before it started. */
    private readonly timedOut: (task: Task) => void,
  ) {}

  get queued(): number {
    return this.queue.length
  }

  submit(task: Task): void {
    this.queue.push(task)
    if (task.timeoutMs > 0 && !this.timers.has(task)) {
      const timer = setTimeout(() => {
        this.timers.delete(task)
        if (this.remove(task)) this.timedOut(task)
      }, task.timeoutMs)
      timer.unref()
      this.timers.set(task, timer)
    }
    this.pump()
  }

  /** Removes queued tasks (for abort); returns those that were still here. */
  removeAll(tasks: Task[]): Task[] {
    return tasks.filter((t) => this.remove(t))
  }

  /** A task finished on an engine: learn its duration and refill. */
  taskFinished(durationMs: number): void {
    this.meanTaskMs = this.meanTaskMs * 0.8 + Math.max(durationMs, 0.01) * 0.2
    this.pump()
  }

  /** Dispatches what fits, oldest first; fails tasks that can no longer run anywhere. */
  pump(): void {
    if (this.queue.length === 0) return
    const engines = this.pool.liveEngines()
    const limit = Math.min(MAX_IN_FLIGHT, Math.max(MIN_IN_FLIGHT, Math.ceil(TARGET_QUEUED_MS / this.meanTaskMs)))
    let i = 0
    while (i < this.queue.length) {
      const task = this.queue[i]
      const candidates = engines.filter((e) => (!task.allowed || task.allowed.includes(e.id)) && !task.excluded.has(e.id))
      if (candidates.length === 0) {
        this.queue.splice(i, 1)
        this.clearTimer(task)
        this.unrunnable(task)
        continue
      }
      let best: EngineHandle | null = null
      for (const e of candidates) if (e.inflight.size < limit && (!best || e.inflight.size < best.inflight.size)) best = e
      if (!best) {
        // Nothing free for this task; later tasks may have other engines allowed.
        if (!task.allowed && task.excluded.size === 0) break
        i++
        continue
      }
      this.queue.splice(i, 1)
      this.clearTimer(task)
      best.send(task)
    }
  }

  private remove(task: Task): boolean {
    const i = this.queue.indexOf(task)
    if (i < 0) return false
    this.queue.splice(i, 1)
    this.clearTimer(task)
    return true
  }

  private clearTimer(task: Task): void {
    const timer = this.timers.get(task)
    if (timer) {
      clearTimeout(timer)
      this.timers.delete(task)
    }
  }
}
