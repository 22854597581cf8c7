/**
 * The error classes of the library. Remote failures arrive as plain data (`WireError`) and are
 * rebuilt here; local misuse gets small named errors whose message says what to do.
 */
import type { TaskMethod, WireError } from '../protocol/messages'

/** `[3:apply]`; a task that never reached an engine (aborted in the queue, nowhere to run) is `[apply]`. */
const where = (engineId: number, method: string): string => (engineId >= 0 ? `[${engineId}:${method}]` : `[${method}]`)

/** An exception raised by user code on an engine. `String(e)` is `[0:execute] ReferenceError: …`. */
export class RemoteError extends Error {
  override name = 'RemoteError'
  /** Engine-side stack lines, first `ename: evalue`, then frames inside the user's code. */
  readonly traceback: string[]

  constructor(
    readonly engineId: number,
    readonly method: string,
    readonly ename: string,
    readonly evalue: string,
    traceback: string[] = [],
  ) {
    super(`${where(engineId, method)} ${ename}: ${evalue}`)
    this.traceback = traceback
    const remote = traceback.length > 1 ? traceback.slice(1).map((l) => `  (engine ${engineId}) ${l.trim()}`) : []
    this.stack = [`${this.name}: ${this.message}`, ...remote, ...(this.stack ?? '').split('\n').slice(1)].join('\n')
  }

  static fromWire(engineId: number, method: TaskMethod | string, error: WireError): RemoteError {
    return new RemoteError(engineId, method, error.ename, error.evalue, error.traceback)
  }

  override toString(): string {
    return this.message
  }

  /** The plain-data form, as it crosses a process boundary. */
  toJSON(): WireError & { engineId: number; method: string } {
    return { engineId: this.engineId, method: this.method, ename: this.ename, evalue: this.evalue, traceback: this.traceback }
  }
}

/** The engine process died (exit, crash, killed, node lost) while the task was queued or running. */
export class EngineError extends RemoteError {
  override name = 'EngineError'
  constructor(
    engineId: number,
    method: string,
    readonly exitCode: number | null,
    readonly signal: string | null,
    detail: string,
  ) {
    super(engineId, method, 'EngineError', detail)
  }
}

/** The task was dropped by `abort()` before it started. */
export class TaskAborted extends RemoteError {
  override name = 'TaskAborted'
  constructor(engineId: number, method: string) {
    super(engineId, method, 'TaskAborted', 'the task was aborted before it started')
  }
}

/** A load-balanced task did not start within the view's `timeout`. */
export class TaskTimeout extends RemoteError {
  override name = 'TaskTimeout'
  constructor(engineId: number, method: string, timeoutMs: number) {
    super(engineId, method, 'TaskTimeout', `the task did not start within ${timeoutMs} ms`)
  }
}

/** Several engines failed one call: one `RemoteError` per failing task, in target order. */
export class CompositeError extends Error {
  override name = 'CompositeError'
  /** How many errors the message lists before `.... N more exceptions ...`. */
  static readonly tbLimit = 4

  constructor(readonly errors: RemoteError[], method: string) {
    super(CompositeError.describe(errors, method))
  }

  private static describe(errors: RemoteError[], method: string): string {
    const lines = [`one or more exceptions from call to method: ${method}`]
    for (const e of errors.slice(0, CompositeError.tbLimit)) lines.push(`${where(e.engineId, e.method)}: ${e.ename}: ${e.evalue}`)
    const rest = errors.length - CompositeError.tbLimit
    if (rest > 0) lines.push(`.... ${rest} more exceptions ...`)
    return lines.join('\n')
  }

  override toString(): string {
    return `${this.name}: ${this.message}`
  }

  /** Re-raises the i-th error (ipyparallel's `raise_exception`). */
  raiseException(i = 0): never {
    throw this.errors[i]
  }
}

/** `get(timeout)` ran out before the result was ready. The work goes on; `get` may be called again. */
export class TimeoutError extends Error {
  override name = 'TimeoutError'
}

/** There is no live engine to run on (an empty cluster, or all chosen engines are dead). */
export class NoEnginesError extends Error {
  override name = 'NoEnginesError'
}

/** A target that names no engine of this client (wrong id, bad slice). */
export class InvalidTargetsError extends Error {
  override name = 'InvalidTargetsError'
}

/** An argument a view method cannot use (says which, and what it expected). */
export class UsageError extends TypeError {
  override name = 'UsageError'
}

/**
 * A connected client cannot reach or keep its controller: no cluster under that profile, a stale
 * connection file, a wrong key, or the controller went away. The message says which, and what to run.
 */
export class ConnectionError extends Error {
  override name = 'ConnectionError'
}
