/**
 * The handle of a submitted call, as ipyparallel's `AsyncResult`: awaitable, pollable,
 * abortable, with per-task metadata. It only becomes a Promise when someone awaits it, so an
 * unawaited failing call never turns into an unhandled rejection.
 */
import { CompositeError, type RemoteError, TimeoutError } from './errors'
import { TASK_DONE, type Task, type TaskMetadata, type TaskWatcher } from './Task'

export interface AsyncResultOptions<T> {
  tasks: Task[]
  /** Method name for the CompositeError message. */
  method: string
  /** One-engine views and load-balanced apply reject with the bare RemoteError. */
  single: boolean
  /** Builds the result from the task values, in task order (or completion order, see below). */
  combine(values: unknown[]): T
  /** Combine in completion order instead of task order (a load-balanced `map({ordered: false})`). */
  completionOrder?: boolean
  /** Drops the tasks that have not started (provided by the client). */
  abort(tasks: Task[]): void
  /**
   * What iterating the result (`for await`) yields of one task's value: a map's task gives its list
   * of results, item by item (default: the value itself, once).
   */
  items?(value: unknown): Iterable<unknown>
}

/** The result whose promise `takeResolvers` is making (Promise runs its executor at once). */
let making: AsyncResult | null = null
/** How `takeResolvers` gives a result its promise's functions (a symbol: not part of AsyncResult's API). */
const SET_RESOLVERS: unique symbol = Symbol('setResolvers')

function takeResolvers(resolve: (value: never) => void, reject: (error: Error) => void): void {
  making![SET_RESOLVERS](resolve as (value: unknown) => void, reject)
}

export type ProgressListener = (done: number, total: number) => void

export class AsyncResult<T = unknown> implements PromiseLike<T>, AsyncIterable<T extends ReadonlyArray<infer E> ? E : T>, TaskWatcher {
  private readonly tasks: Task[]
  /** Tasks done so far. */
  private done = 0
  /** The tasks in the order they completed: kept only for a result combined in that order. */
  private readonly completed: Task[] | null
  private settled: { ok: true; value: T } | { ok: false; error: Error } | null = null
  /** Callbacks of `wait()` and of `get()` with a timeout (made when first needed). */
  private waiters: Array<() => void> | null = null
  /** What `get()` without a timeout (and so `await`) returns, made when first asked for; and how it settles. */
  private promise: Promise<T> | null = null
  private resolvePromise: ((value: unknown) => void) | null = null
  private rejectPromise: ((error: Error) => void) | null = null
  /** Iterators waiting for the next task to finish. */
  private wakers: Array<() => void> | null = null
  private listeners: Set<ProgressListener> | null = null
  private readonly submitted = performance.now()
  private finishedAt: number | null = null
  // The options' fields, not the options object: a load-balanced apply keeps one result per task in flight.
  private readonly method: string
  private readonly single: boolean
  private readonly combine: (values: unknown[]) => T
  private readonly items: ((value: unknown) => Iterable<unknown>) | undefined
  private readonly abortTasks: (tasks: Task[]) => void

  constructor(options: AsyncResultOptions<T>) {
    this.tasks = options.tasks
    this.method = options.method
    this.single = options.single
    this.combine = options.combine
    this.items = options.items
    this.abortTasks = options.abort
    this.completed = options.completionOrder ? [] : null
    for (const task of this.tasks) {
      if (task.state === 'done') {
        this.done++
        this.completed?.push(task)
      } else task.watcher = this
    }
    if (this.done === this.tasks.length) this.settle()
  }

  /** Number of tasks behind this result. */
  get length(): number {
    return this.tasks.length
  }

  /** Number of tasks done so far. */
  get progress(): number {
    return this.done
  }

  /** Milliseconds since submission, until completion once done. */
  get elapsed(): number {
    return (this.finishedAt ?? performance.now()) - this.submitted
  }

  /** Per-task metadata, in task order. */
  get metadata(): TaskMetadata[] {
    return this.tasks.map((t) => t.meta)
  }

  ready(): boolean {
    return this.settled !== null
  }

  /** True when ready and no task failed; throws if not ready yet (as ipyparallel). */
  successful(): boolean {
    if (!this.settled) throw new Error('the result is not ready yet: await it, or call wait() first')
    return this.settled.ok
  }

  /** Waits up to `timeoutMs` (forever if omitted); true if the result is ready. Never rejects. */
  wait(timeoutMs?: number): Promise<boolean> {
    if (this.settled) return Promise.resolve(true)
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined
      const done = (): void => {
        if (timer) clearTimeout(timer)
        resolve(true)
      }
      this.addWaiter(done)
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.removeWaiter(done)
          resolve(false)
        }, Math.max(0, timeoutMs))
      }
    })
  }

  /** The result; rejects with `TimeoutError` if not ready within `timeoutMs` (the work goes on). */
  get(timeoutMs?: number): Promise<T> {
    if (this.settled) return this.settled.ok ? Promise.resolve(this.settled.value) : Promise.reject(this.settled.error)
    if (timeoutMs === undefined) {
      // One promise however often it is awaited: 20,000 applies in a Promise.all are 20,000 of them, not 40,000.
      if (this.promise === null) {
        // One executor for every result (no closure per result): it hands the functions to `making`.
        making = this as AsyncResult
        this.promise = new Promise<T>(takeResolvers)
        making = null
      }
      return this.promise
    }
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      const done = (): void => {
        if (timer) clearTimeout(timer)
        const s = this.settled!
        if (s.ok) resolve(s.value)
        else reject(s.error)
      }
      this.addWaiter(done)
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.removeWaiter(done)
          reject(
            new TimeoutError(
              `result not ready after ${timeoutMs} ms (${this.progress} of ${this.length} tasks done); it is still running: call get() again or abort()`,
            ),
          )
        }, Math.max(0, timeoutMs))
      }
    })
  }

  then<A = T, B = never>(onfulfilled?: ((value: T) => A | PromiseLike<A>) | null, onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.get().then(onfulfilled, onrejected)
  }

  catch<B = never>(onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.get().catch(onrejected)
  }

  /** Drops the tasks that have not started; they fail with `TaskAborted`. Running ones finish. */
  abort(): void {
    const pending = this.tasks.filter((t) => t.state !== 'done')
    if (pending.length) this.abortTasks(pending)
  }

  /** Called after each task completes; returns a function that removes the listener. */
  onProgress(listener: ProgressListener): () => void {
    const listeners = (this.listeners ??= new Set())
    listeners.add(listener)
    return () => listeners.delete(listener)
  }

  /**
   * ipyparallel's `imap`: yields each result as soon as it can — in task order once the prefix is
   * done, or in completion order for a load-balanced `map(…, { ordered: false })` — and throws the
   * error of the first failed task it reaches.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<T extends ReadonlyArray<infer E> ? E : T> {
    type Item = T extends ReadonlyArray<infer E> ? E : T
    if (this.tasks.length === 0) {
      // Nothing was sent: an empty map yields nothing, a bad call throws its error.
      const value = await this.get()
      if (!Array.isArray(value)) yield value as Item
      return
    }
    const items = this.items ?? ((v: unknown) => [v])
    const order = this.completed ?? this.tasks
    let next = 0
    while (next < this.tasks.length) {
      while (next < order.length && order[next].state === 'done') {
        const task = order[next++]
        if (task.lost) throw task.lost
        if (task.meta.error) throw task.meta.error
        for (const item of items(task.value)) yield item as Item
      }
      if (next < this.tasks.length) await new Promise<void>((resolve) => (this.wakers ??= []).push(resolve))
    }
  }

  /** A task of this result finished (the result is its tasks' watcher). */
  [TASK_DONE](task: Task): void {
    this.done++
    this.completed?.push(task)
    if (this.wakers !== null && this.wakers.length > 0) for (const wake of this.wakers.splice(0)) wake()
    if (this.listeners !== null) for (const l of this.listeners) l(this.done, this.tasks.length)
    if (this.done === this.tasks.length) this.settle()
  }

  /** For `takeResolvers`: how the promise of `get()` settles. */
  [SET_RESOLVERS](resolve: (value: unknown) => void, reject: (error: Error) => void): void {
    this.resolvePromise = resolve
    this.rejectPromise = reject
  }

  private addWaiter(waiter: () => void): void {
    ;(this.waiters ??= []).push(waiter)
  }

  private removeWaiter(waiter: () => void): void {
    const i = this.waiters?.indexOf(waiter) ?? -1
    if (i >= 0) this.waiters!.splice(i, 1)
  }

  private settle(): void {
    this.finishedAt = performance.now()
    const order = this.completed ?? this.tasks
    // Loops, not map/filter/find: a load-balanced apply settles one of these per task.
    let lost: Error | null = null
    let failed = false
    for (let i = 0; i < this.tasks.length; i++) {
      const task = this.tasks[i]
      lost ??= task.lost
      if (task.meta.error !== null) failed = true
    }
    if (lost) {
      this.settled = { ok: false, error: lost }
    } else if (!failed) {
      const values = new Array<unknown>(order.length)
      for (let i = 0; i < order.length; i++) values[i] = order[i].value
      try {
        this.settled = { ok: true, value: this.combine(values) }
      } catch (err) {
        this.settled = { ok: false, error: err as Error }
      }
    } else if (this.single && this.tasks.length === 1) {
      this.settled = { ok: false, error: this.tasks[0].meta.error! }
    } else {
      const inTaskOrder = this.tasks.map((t) => t.meta.error).filter((e): e is RemoteError => e !== null)
      this.settled = { ok: false, error: new CompositeError(inTaskOrder, this.method) }
    }
    const settled = this.settled
    if (this.resolvePromise !== null) {
      if (settled.ok) this.resolvePromise(settled.value)
      else this.rejectPromise!(settled.error)
      this.resolvePromise = this.rejectPromise = null
    }
    if (this.waiters !== null && this.waiters.length > 0) for (const w of this.waiters.splice(0)) w()
  }
}

/** An already-settled result (an empty map, a failed submission), so every call returns one type. */
export function settledResult<T>(value: T): AsyncResult<T> {
  return new AsyncResult<T>({ tasks: [], method: 'none', single: false, combine: () => value, abort: () => {} })
}

/** A result that failed before anything was sent (bad arguments), so `await` and `.get()` both see it. */
export function failedResult<T = never>(error: Error): AsyncResult<T> {
  return new AsyncResult<T>({
    tasks: [],
    method: 'none',
    single: true,
    combine: () => {
      throw error
    },
    abort: () => {},
  })
}
