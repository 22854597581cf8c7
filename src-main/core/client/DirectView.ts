/**
 * A view on a fixed set of engines, as ipyparallel's DirectView (`rc[:]`, `rc[0]`, `rc[::2]`).
 * Multi-engine views give one value per engine in target order; a one-engine view gives the bare
 * value and rejects with the bare RemoteError.
 */
import type { TaskOp } from '../protocol/messages'
import type { AsyncResult } from './AsyncResult'
import type { Client } from './Client'
import { UsageError } from './errors'
import { GatherPlan } from './gatherPlan'
import { moduleBindings } from './moduleNames'
import { blockBounds, concatParts, partition, sliceSeq, zipLength, type Sequence } from './partition'
import { checkCode, checkName, checkNamespace, checkSequence, functionSource } from './validate'

export interface ScatterOptions {
  /** 'b' (default): contiguous blocks, the first `L mod N` engines one item more; 'r': round-robin. */
  dist?: 'b' | 'r'
  /** Push a one-item share as the item itself rather than a one-item list (default false). */
  flatten?: boolean
}

/** `dv.parallel(fn)`: call with a sequence to run `fn` once per engine on its share. */
export interface ParallelFunction<R> {
  (seq: Sequence): AsyncResult<R[]>
  /** Element-wise, as `dv.map(fn, seq)`. */
  map(seq: Sequence): AsyncResult<R[]>
}

/** One value per engine, or the bare value for a one-engine view. */
export type PerEngine<Single extends boolean, T> = Single extends true ? T : T[]

export class DirectView<Single extends boolean = boolean> {
  constructor(
    private readonly client: Client,
    /** The engine ids of this view, in order. */
    readonly targets: number[],
    /** True for a one-engine view (`rc.view(3)`): bare values and bare errors. */
    readonly single: Single,
  ) {}

  /** Runs code in every target's namespace. Resolves to undefined; `Out[n]` texts are in metadata. */
  execute(code: string): AsyncResult<void> {
    return this.client.submit(() => this.everywhere({ op: 'execute', code: checkCode(code) }, () => undefined))
  }

  /** Sets globals on every target; functions are sent by source and re-created there. */
  push(ns: Record<string, unknown>): AsyncResult<void> {
    return this.client.submit(() => this.everywhere({ op: 'push', ns: checkNamespace(ns, 'push') }, () => undefined))
  }

  /** Reads one global (a value per engine) or several (an array of values per engine). */
  pull<T = unknown>(names: string | string[]): AsyncResult<PerEngine<Single, T>> {
    return this.client.submit(() => {
      const checked = Array.isArray(names) ? names.map((n) => checkName(n, 'pull')) : checkName(names, 'pull')
      return this.everywhere({ op: 'pull', names: checked }, (values) => (this.single ? values[0] : values) as PerEngine<Single, T>)
    })
  }

  /** `dview['a']`: pull one name. */
  get<T = unknown>(name: string): AsyncResult<PerEngine<Single, T>> {
    return this.pull<T>(name)
  }

  /** `dview['a'] = value`: push one name. */
  set(name: string, value: unknown): AsyncResult<void> {
    return this.client.submit(() => this.push({ [checkName(name, 'set')]: value }))
  }

  /** Calls `fn(...args)` on every target. */
  apply<R = unknown>(fn: (...args: never[]) => R | Promise<R>, ...args: unknown[]): AsyncResult<PerEngine<Single, R>> {
    return this.client.submit(() =>
      this.everywhere({ op: 'apply', fn: functionSource(fn, 'apply'), args }, (values) => (this.single ? values[0] : values) as PerEngine<Single, R>),
    )
  }

  /** Splits `seq` among the targets and pushes each share as `name`. */
  scatter(name: string, seq: Sequence, options: ScatterOptions = {}): AsyncResult<void> {
    return this.client.submit(() => {
      checkName(name, 'scatter')
      const { dist = 'b', flatten = false } = options
      if (dist !== 'b' && dist !== 'r') throw new UsageError(`scatter: dist must be 'b' (block) or 'r' (round-robin), got ${JSON.stringify(dist)}`)
      const parts = partition(checkSequence(seq, 'scatter'), this.targets.length, dist)
      const tasks = this.targets.map((id, i) => {
        const part = parts[i] as unknown as ArrayLike<unknown>
        const value = flatten && part.length === 1 ? part[0] : part
        return this.client.makeTask({ op: 'push', ns: { [name]: value } }, id)
      })
      return this.send(tasks, 'scatter', () => undefined)
    })
  }

  /** Pulls `name` from every target and joins the shares (lists into a list, typed arrays into one). */
  gather<T = unknown[]>(name: string): AsyncResult<T> {
    return this.client.submit(() => {
      checkName(name, 'gather')
      const tasks = this.targets.map((id) => this.client.makeTask({ op: 'pull', names: name }, id))
      // Offered after dispatch, which cannot have brought results yet: a throw there leaves no plan
      // behind. In-process or connected alike: each reader places only its own client's results.
      let plan: GatherPlan | null = null
      const result = this.send(tasks, 'gather', (values) => (plan ? plan.join(values) : concatParts(values)) as T)
      plan = new GatherPlan(tasks)
      plan.until(result)
      return result
    })
  }

  /** Element-wise map: the zipped sequences are split in blocks, one task per engine with a share. */
  map<R = unknown>(fn: (...args: never[]) => R | Promise<R>, ...seqs: Sequence[]): AsyncResult<R[]> {
    return this.client.submit(() => {
      const source = functionSource(fn, 'map')
      if (seqs.length === 0) throw new UsageError('map needs at least one sequence: dv.map(fn, [1, 2, 3])')
      const checked = seqs.map((s) => checkSequence(s, 'map'))
      const length = zipLength(checked)
      const tasks = blockBounds(length, this.targets.length)
        .map(([a, b], i) => (b > a ? this.client.makeTask({ op: 'map', fn: source, seqs: checked.map((s) => sliceSeq(s, a, b) as unknown[]) }, this.targets[i]) : null))
        .filter((t) => t !== null)
      return this.send(tasks, 'map', (values) => (values as R[][]).flat() as R[])
    })
  }

  /** Loads modules on every target and binds each as a global (`'node:os'` → `os`). */
  require(...modules: Array<string | Record<string, string>>): AsyncResult<void> {
    return this.client.submit(() => this.everywhere({ op: 'require', modules: moduleBindings(modules) }, () => undefined))
  }

  /** ipyparallel's `@dview.parallel()`: `pf(seq)` calls `fn` once per engine on its block. */
  parallel<R = unknown>(fn: (share: never) => R | R[] | Promise<R | R[]>): ParallelFunction<R> {
    const call = ((seq: Sequence) =>
      this.client.submit(() => {
        const source = functionSource(fn, 'parallel')
        const parts = partition(checkSequence(seq, 'parallel'), this.targets.length)
        const tasks = this.targets
          .map((id, i) => ((parts[i] as unknown as ArrayLike<unknown>).length > 0 ? this.client.makeTask({ op: 'apply', fn: source, args: [parts[i]] }, id) : null))
          .filter((t) => t !== null)
        return this.send(tasks, 'apply', (values) => values.flatMap((v) => (Array.isArray(v) ? v : [v])) as R[])
      })) as ParallelFunction<R>
    call.map = (seq: Sequence) => this.map(fn as (...args: never[]) => R, seq)
    return call
  }

  /** The same op on every target. */
  private everywhere<T>(op: TaskOp, combine: (values: unknown[]) => T): AsyncResult<T> {
    return this.send(this.targets.map((id) => this.client.makeTask(op, id)), op.op, combine)
  }

  private send<T>(tasks: ReturnType<Client['makeTask']>[], method: string, combine: (values: unknown[]) => T): AsyncResult<T> {
    this.client.dispatch(tasks)
    return this.client.result(tasks, method, this.single, combine)
  }
}
