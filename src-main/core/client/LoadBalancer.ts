/**
 * The load-balanced task queue. Tasks wait here until an allowed engine has room; each engine
 * holds a few tasks at once (pipelining), fewer when tasks are long so that the last ones are not
 * stuck behind a slow engine, more when they are tiny so the engine never waits for the next one.
 *
 * Tasks go to as many engines as the controller can keep busy, not always to all of them: an
 * engine runs a tiny task far faster than the controller hands one out, so spreading tiny tasks
 * over hundreds of engines only wakes hundreds of processes (each warming up its own JIT) for a
 * few tasks each. The engines used are the first `steadyTaskMs / CONTROLLER_TASK_MS` (at least
 * MIN_ENGINES) of those allowed, in id order; long tasks use every engine. An engine whose first
 * task in flight has been there over SLOW_HEAD_MS is busy with something long (a direct task, a
 * slow one among tiny ones): it is passed over while another engine can take the tasks, and the
 * balanced tasks waiting behind that first one are taken back (aborted there, queued again here
 * once the engine confirms) to run elsewhere: tasks that turn out long after tiny ones are not
 * stuck, dozens deep, on the few engines the tiny ones used.
 *
 * Tasks with the same constraints (allowed targets, excluded engines) share one FIFO, so a
 * dispatch costs O(groups × log engines) (see EngineHeap), not O(queue length), however many tasks wait.
 */
import type { EngineHandle } from './EngineHandle'
import { EngineHeap } from './engineHeap'
import { Fifo } from './fifo'
import type { Task } from './Task'

/** Aim to keep about this much work queued on each engine. */
const TARGET_QUEUED_MS = 4
const MAX_IN_FLIGHT = 64
/** About what the controller spends handing out one task and taking its result. */
const CONTROLLER_TASK_MS = 0.01
/** Engines used however tiny the tasks (two, as pipelining needs to overlap them). */
const MIN_ENGINES = 2
/** A first task in flight this old: the engine is busy with something long (see EngineHeap). */
const SLOW_HEAD_MS = 50
const NONE: ReadonlySet<number> = new Set()

export interface EnginePool {
  /** Live engines, in id order (unresponsive ones included: they may answer again). */
  liveEngines(): readonly EngineHandle[]
}

interface Group {
  allowed: Set<number> | null
  excluded: Set<number>
  fifo: Fifo<Task>
  /** The live engines it may use, computed from `usableOf` (the pool's list, kept until an engine comes or goes). */
  usable: readonly EngineHandle[]
  usableOf: readonly EngineHandle[] | null
}

export class LoadBalancer {
  private readonly groups = new Map<string, Group>()
  /** Submission order across groups (each task's `queueSeq`). */
  private nextSeq = 0
  private pumpScheduled = false
  private count = 0
  /** Exponentially weighted mean task duration (ms), by which the in-flight limit adapts. */
  private meanTaskMs = 10
  /**
   * The same, averaged over many more tasks, for how many engines to use: a tiny task reports 1 ms
   * now and then (the engine's clock ticks, or it is preempted), which should not wake every engine.
   * So a task counts for at most 10 times the average (it raises it by 18 % at most): it takes
   * dozens of long tasks, not a few preempted ones, to spread tasks over many more engines.
   */
  private steadyTaskMs = 10
  private readonly timers = new Map<Task, NodeJS.Timeout>()
  /** When each balanced task in flight was sent (a direct one counts from its submission). */
  private readonly sentAt = new WeakMap<Task, number>()
  /** Tasks being taken back, and the engine asked to drop them. */
  private readonly reclaiming = new WeakMap<Task, EngineHandle>()
  /** Engines given more than one task: watched for a first task that takes long. */
  private readonly deep = new Set<EngineHandle>()
  private watchTimer: NodeJS.Timeout | null = null
  /** How long the first task of an engine we took tasks back from had run (0: none since tasks were short). */
  private slowSeenMs = 0

  constructor(
    private readonly pool: EnginePool,
    /** Fails a task that can run nowhere (no engine left, or every allowed one excluded). */
    private readonly unrunnable: (task: Task) => void,
    /** Fails a task whose `timeoutMs` passed before it started. */
    private readonly timedOut: (task: Task) => void,
  ) {}

  get queued(): number {
    return this.count
  }

  submit(task: Task): void {
    this.reclaiming.delete(task)
    const excluded = task.excluded ?? NONE
    const key =
      task.allowed === null && excluded.size === 0
        ? '*'
        : `${task.allowed ? task.allowed.join(',') : '*'}|${[...excluded].sort((a, b) => a - b).join(',')}`
    let group = this.groups.get(key)
    if (!group) {
      group = { allowed: task.allowed ? new Set(task.allowed) : null, excluded: new Set(excluded), fifo: new Fifo(), usable: [], usableOf: null }
      this.groups.set(key, group)
    }
    group.fifo.push(task)
    task.queueSeq = this.nextSeq++
    this.count++
    if (task.timeoutMs > 0 && !this.timers.has(task)) {
      const timer = setTimeout(() => {
        this.timers.delete(task)
        if (this.remove(task)) this.timedOut(task)
      }, task.timeoutMs)
      timer.unref()
      this.timers.set(task, timer)
    }
    this.schedulePump()
  }

  /** Removes queued tasks (for abort); returns those that were still here. */
  removeAll(tasks: Task[]): Task[] {
    // Aborted by the user while being taken back: the engine's `aborted` answer ends them.
    for (const task of tasks) this.reclaiming.delete(task)
    return tasks.filter((t) => t.state === 'queued' && this.remove(t))
  }

  /**
   * Tasks taken back from an engine that stopped answering: queued again, ahead of tasks
   * submitted after them, for the engines that answer.
   */
  resubmit(tasks: Task[]): void {
    for (const task of tasks) {
      const seq = task.queueSeq
      task.state = 'queued'
      task.meta.engineId = null
      this.submit(task)
      if (seq >= 0) task.queueSeq = seq
    }
  }

  /** A balanced task finished on an engine: learn its duration and refill. */
  taskFinished(durationMs: number): void {
    const ms = Math.max(durationMs, 0.01)
    this.meanTaskMs = this.meanTaskMs * 0.8 + ms * 0.2
    this.steadyTaskMs = this.steadyTaskMs * 0.98 + Math.min(ms, this.steadyTaskMs * 10) * 0.02
    this.schedulePump()
  }

  /**
   * A balanced task's result: true if it is the engine's `aborted` answer for a task being taken
   * back, which is then queued again here (the caller does not finish it).
   */
  reclaimed(task: Task, engine: EngineHandle, aborted: boolean): boolean {
    const from = this.reclaiming.get(task)
    if (from === undefined) return false
    this.reclaiming.delete(task)
    if (from !== engine || !aborted) return false
    this.resubmit([task])
    return true
  }

  /** A direct task finished: its engine has room again (direct tasks count against the limit). */
  engineFreed(): void {
    if (this.count > 0) this.schedulePump()
  }

  /** Pumps once after the current burst (a map's submissions, a frame's worth of results). */
  private schedulePump(): void {
    if (this.pumpScheduled) return
    this.pumpScheduled = true
    queueMicrotask(this.scheduledPump)
  }

  private readonly scheduledPump = (): void => {
    this.pumpScheduled = false
    this.pump()
  }

  /** Dispatches what fits, oldest first; fails tasks that can no longer run anywhere. */
  pump(): void {
    const now = Date.now()
    if (this.deep.size > 0) this.takeBackFromSlow(now)
    if (this.count === 0) return this.watch()
    const engines = this.pool.liveEngines()
    const limit = Math.min(MAX_IN_FLIGHT, Math.max(1, Math.ceil(TARGET_QUEUED_MS / this.meanTaskMs)))
    // Tasks were taken back from a slow engine: while tasks look long (one per engine), use every engine.
    if (limit > 1) this.slowSeenMs = 0
    const spread = Math.max(MIN_ENGINES, Math.ceil(Math.max(this.steadyTaskMs, this.slowSeenMs) / CONTROLLER_TASK_MS))
    const slow = (engine: EngineHandle): boolean => {
      const head = engine.inflight.values().next().value as Task | undefined
      return head !== undefined && now - (this.sentAt.get(head) ?? head.meta.submitted.getTime()) > SLOW_HEAD_MS
    }
    const candidates = new Map<Group, EngineHeap>()
    for (const [key, group] of this.groups) {
      const usable = usableEngines(group, engines)
      if (usable.length === 0) {
        this.groups.delete(key)
        for (const task of group.fifo.drain()) {
          this.count--
          this.clearTimer(task)
          this.unrunnable(task)
        }
      } else if (group.fifo.size > 0) candidates.set(group, new EngineHeap(usable, limit, spread, slow))
      else this.groups.delete(key)
    }
    for (;;) {
      let pick: { group: Group; heap: EngineHeap; engine: EngineHandle; seq: number } | null = null
      for (const [group, heap] of candidates) {
        const head = group.fifo.peek()
        if (!head) continue
        const seq = head.queueSeq
        if (pick && pick.seq < seq) continue
        const best = heap.peek()
        if (best) pick = { group, heap, engine: best, seq }
      }
      if (!pick) return this.watch()
      const task = pick.group.fifo.shift()!
      this.count--
      this.clearTimer(task)
      this.sentAt.set(task, now)
      pick.engine.send(task)
      if (pick.engine.inflight.size > 1) this.deep.add(pick.engine)
      pick.heap.sent()
    }
  }

  /**
   * Takes back the balanced tasks waiting behind a first task that has been on its engine over
   * SLOW_HEAD_MS, and learns from it that tasks are long now (until results say otherwise).
   */
  private takeBackFromSlow(now: number): void {
    for (const engine of this.deep) {
      if (engine.inflight.size <= 1 || !engine.responsive) {
        this.deep.delete(engine)
        continue
      }
      const head = engine.inflight.values().next().value as Task
      const ranMs = now - (this.sentAt.get(head) ?? head.meta.submitted.getTime())
      if (ranMs <= SLOW_HEAD_MS) continue
      // Not those that could only come back here.
      const back = [...engine.inflight.values()].filter((t) => t !== head && t.balanced && !this.reclaiming.has(t) && (t.allowed === null || t.allowed.length > 1))
      this.deep.delete(engine)
      if (back.length === 0) continue
      for (const task of back) this.reclaiming.set(task, engine)
      engine.abort(back.map((t) => t.id))
      this.meanTaskMs = Math.max(this.meanTaskMs, ranMs)
      this.slowSeenMs = Math.max(this.slowSeenMs, ranMs)
    }
  }

  /** Pumps again once an engine given several tasks could have become slow, if no result comes first. */
  private watch(): void {
    if (this.deep.size === 0 || this.watchTimer) return
    this.watchTimer = setTimeout(() => {
      this.watchTimer = null
      this.pump()
    }, SLOW_HEAD_MS + 1)
    this.watchTimer.unref()
  }

  private remove(task: Task): boolean {
    for (const group of this.groups.values()) {
      if (group.fifo.remove(task)) {
        this.count--
        this.clearTimer(task)
        return true
      }
    }
    return false
  }

  private clearTimer(task: Task): void {
    const timer = this.timers.get(task)
    if (timer) {
      clearTimeout(timer)
      this.timers.delete(task)
    }
  }
}

/** The engines of `engines` that `group` may use (recomputed only when the pool's list changed). */
function usableEngines(group: Group, engines: readonly EngineHandle[]): readonly EngineHandle[] {
  if (!group.allowed && group.excluded.size === 0) return engines
  if (group.usableOf !== engines) {
    group.usable = engines.filter((e) => (!group.allowed || group.allowed.has(e.id)) && !group.excluded.has(e.id))
    group.usableOf = engines
  }
  return group.usable
}
