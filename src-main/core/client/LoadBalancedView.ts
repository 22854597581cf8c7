/**
 * A view that hands each task to whichever allowed engine has room, as ipyparallel's
 * LoadBalancedView: `apply` runs once somewhere; `map` cuts the sequence into tasks.
 */
import type { TaskOp } from '../protocol/messages'
import { failedResult, type AsyncResult } from './AsyncResult'
import type { Client } from './Client'
import { UsageError } from './errors'
import { forEachBlock, isTypedArray, sliceSeqs, zipLength, type Sequence } from './partition'
import type { Task } from './Task'
import { checkSequence, functionSource } from './validate'

export interface LoadBalancedViewOptions {
  /** How often a failed task is re-run on another engine (default 0). */
  retries?: number
  /** Milliseconds a task may wait for an engine before failing with TaskTimeout (default: forever). */
  timeout?: number
}

export interface LoadBalancedMapOptions {
  /** Items per task (default 1): `ceil(L / chunkSize)` tasks, items split evenly among them. */
  chunkSize?: number
  /** Results in input order (default true) or in the order tasks complete. */
  ordered?: boolean
}

const first = (values: unknown[]): unknown => values[0]

const isOptions = (v: unknown): v is LoadBalancedMapOptions =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !isTypedArray(v) && typeof (v as Iterable<unknown>)[Symbol.iterator] !== 'function'

export class LoadBalancedView {
  readonly retries: number
  readonly timeout: number

  constructor(
    private readonly client: Client,
    /** Engines this view may use; null means every live engine. */
    readonly targets: number[] | null,
    options: LoadBalancedViewOptions,
  ) {
    const { retries = 0, timeout = 0 } = options
    if (!Number.isInteger(retries) || retries < 0) throw new UsageError(`retries must be a whole number ≥ 0, got ${retries}`)
    if (typeof timeout !== 'number' || !(timeout >= 0)) throw new UsageError(`timeout must be milliseconds ≥ 0, got ${timeout}`)
    this.retries = retries
    this.timeout = timeout
  }

  /** Runs `fn(...args)` once, on one engine; resolves to its value, rejects with the bare error. */
  apply<R = unknown>(fn: (...args: never[]) => R | Promise<R>, ...args: unknown[]): AsyncResult<R> {
    // Not through client.submit: no closure per call, the one way loops of applies are written.
    try {
      const tasks = [this.task({ op: 'apply', fn: functionSource(fn, 'apply'), args })]
      this.client.dispatch(tasks)
      return this.client.result(tasks, 'apply', true, first as (values: unknown[]) => R)
    } catch (err) {
      return failedResult<R>(err as Error)
    }
  }

  /** `map(fn, seq[, seq2…][, { chunkSize, ordered }])`: results as one flat list. */
  map<R = unknown>(fn: (...args: never[]) => R | Promise<R>, ...rest: Array<Sequence | LoadBalancedMapOptions>): AsyncResult<R[]> {
    return this.client.submit(() => {
      const source = functionSource(fn, 'map')
      const options = rest.length > 1 && isOptions(rest[rest.length - 1]) ? (rest.pop() as LoadBalancedMapOptions) : {}
      const { chunkSize = 1, ordered = true } = options
      if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new UsageError(`chunkSize must be a whole number ≥ 1, got ${chunkSize}`)
      if (typeof ordered !== 'boolean') throw new UsageError(`ordered must be true (results in order) or false (in completion order), got ${JSON.stringify(ordered)}`)
      if (rest.length === 0) throw new UsageError('map needs at least one sequence: lv.map(fn, [1, 2, 3])')
      const seqs = rest.map((s) => checkSequence(s, 'map'))
      const length = zipLength(seqs)
      const parts = Math.ceil(length / chunkSize)
      const tasks = new Array<Task>(parts)
      forEachBlock(length, parts, (a, b, i) => {
        tasks[i] = this.task({ op: 'map', fn: source, seqs: sliceSeqs(seqs, a, b) as unknown[][] })
      })
      this.client.dispatch(tasks)
      return this.client.result(tasks, 'map', false, (values) => (values as R[][]).flat() as R[], !ordered)
    })
  }

  private task(op: TaskOp): Task {
    const task = this.client.makeTask(op, null)
    task.balanced = true
    task.allowed = this.targets
    task.retriesLeft = this.retries
    task.timeoutMs = this.timeout
    return task
  }
}
