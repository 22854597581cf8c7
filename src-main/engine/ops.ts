/**
 * What each task op does in the namespace. Sync results return as they are; what must be awaited
 * comes back as a `Pending`, so the common synchronous path allocates nothing extra.
 */
import util from 'node:util'
import type { FunctionSource, TaskMessage } from '../core/protocol/messages'
import { checkName, type Namespace } from './namespace'

/** A task outcome to await; `cancelled` stops a map's remaining calls after an interrupt. */
export class Pending {
  cancelled = false
  promise: Promise<unknown> = Promise.resolve()
}

type Callable = (...args: unknown[]) => unknown

export class Ops {
  /** `util.inspect` of the last execute's completion value (the lecture's `Out[n]`). */
  executeResult: string | undefined = undefined

  constructor(private readonly ns: Namespace) {}

  run(task: TaskMessage): unknown {
    this.executeResult = undefined
    switch (task.op) {
      case 'execute':
        return this.execute(task.code)
      case 'push': {
        const names = Object.keys(task.ns)
        for (const name of names) checkName(name)
        for (const name of names) this.ns.assign(name, task.ns[name])
        return undefined
      }
      case 'pull':
        return typeof task.names === 'string' ? this.ns.read(task.names) : task.names.map((name) => this.ns.read(name))
      case 'apply':
        return this.apply(this.callable(task.fn), task.args)
      case 'map':
        return this.map(this.callable(task.fn), task.seqs)
      case 'require': {
        const modules = Object.entries(task.modules)
        for (const [alias] of modules) checkName(alias)
        for (const [alias, spec] of modules) this.ns.assign(alias, this.ns.interruptible(() => this.ns.require(spec)))
        return undefined
      }
      default:
        throw new TypeError(`this engine does not know the task op ${JSON.stringify((task as { op: unknown }).op)}`)
    }
  }

  /** The task's function: already revived (sent as a function), or a `FunctionSource` to revive. */
  private callable(fn: unknown): Callable {
    if (typeof fn === 'function') return fn as Callable
    const source = fn as Partial<FunctionSource> | null
    if (source !== null && typeof source === 'object' && typeof source.source === 'string') {
      return this.ns.revive({ source: source.source, name: typeof source.name === 'string' ? source.name : '' }) as Callable
    }
    throw new TypeError(`expected a function to call, got ${fn === null ? 'null' : typeof fn}`)
  }

  private execute(code: string): unknown {
    const { value, async } = this.ns.execute(code)
    if (async) {
      // Code with top-level await resolves to its last expression's value: the `Out[n]` too.
      const result = new Pending()
      result.promise = Promise.resolve(value).then((end) => {
        if (end !== undefined && !result.cancelled) this.executeResult = inspect(end)
        return undefined
      })
      return result
    }
    if (value !== undefined) this.executeResult = inspect(value)
    return undefined
  }

  private apply(fn: Callable, args: unknown[]): unknown {
    const value = this.ns.interruptible(() => Reflect.apply(fn, undefined, args))
    return isThenable(value) ? pending(value) : value
  }

  private map(fn: Callable, seqs: ArrayLike<unknown>[]): unknown {
    let length = seqs.length === 0 ? 0 : Infinity
    for (const seq of seqs) length = Math.min(length, seq.length)
    const out = new Array<unknown>(length)
    const stop = this.ns.interruptible(() => fill(fn, seqs, out, 0))
    if (stop === length) return out
    const result = new Pending()
    result.promise = this.mapRest(fn, seqs, out, stop, result)
    return result
  }

  /** Awaits the element at `at`, then goes on synchronously until the next promise. */
  private async mapRest(fn: Callable, seqs: ArrayLike<unknown>[], out: unknown[], at: number, token: Pending): Promise<unknown[]> {
    while (at < out.length) {
      out[at] = await out[at]
      if (token.cancelled) return out
      const from = at + 1
      at = this.ns.interruptible(() => fill(fn, seqs, out, from))
    }
    return out
  }
}

/** Calls `fn` per zipped element from `from` on; returns the index of the first promise, or the length. */
function fill(fn: Callable, seqs: ArrayLike<unknown>[], out: unknown[], from: number): number {
  const length = out.length
  if (seqs.length === 1) {
    const seq = seqs[0]
    for (let i = from; i < length; i++) {
      const value = fn(seq[i])
      out[i] = value
      if (isThenable(value)) return i
    }
    return length
  }
  for (let i = from; i < length; i++) {
    const args = new Array<unknown>(seqs.length)
    for (let j = 0; j < seqs.length; j++) args[j] = seqs[j][i]
    const value = Reflect.apply(fn, undefined, args)
    out[i] = value
    if (isThenable(value)) return i
  }
  return length
}

function pending(value: unknown): Pending {
  const result = new Pending()
  // Promise.resolve adopts any thenable without calling user code synchronously.
  result.promise = Promise.resolve(value)
  return result
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function'
}

function inspect(value: unknown): string {
  try {
    return util.inspect(value, { depth: 4, colors: false })
  } catch (err) {
    return `[value that cannot be shown: ${(err as Error).message}]`
  }
}
