/** Errors decided by the controller, to plain data and back (engine results carry their own). */
import { EngineError, RemoteError, TaskAborted, TaskTimeout } from '../client/errors'
import type { WireTaskError } from '../protocol/clientMessages'

export function taskErrorToWire(error: RemoteError, timeoutMs: number): WireTaskError {
  const base = { engineId: error.engineId, method: error.method, ename: error.ename, evalue: error.evalue, traceback: error.traceback }
  if (error instanceof EngineError) return { ...base, kind: 'EngineError', exitCode: error.exitCode, signal: error.signal }
  if (error instanceof TaskAborted) return { ...base, kind: 'TaskAborted' }
  if (error instanceof TaskTimeout) return { ...base, kind: 'TaskTimeout', timeoutMs }
  return { ...base, kind: 'RemoteError' }
}

export function taskErrorFromWire(e: WireTaskError): RemoteError {
  if (e.kind === 'EngineError') return new EngineError(e.engineId, e.method, e.exitCode ?? null, e.signal ?? null, e.evalue)
  if (e.kind === 'TaskAborted') return new TaskAborted(e.engineId, e.method)
  if (e.kind === 'TaskTimeout') return new TaskTimeout(e.engineId, e.method, e.timeoutMs ?? 0)
  return new RemoteError(e.engineId, e.method, e.ename, e.evalue, e.traceback)
}
