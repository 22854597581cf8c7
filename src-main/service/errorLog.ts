/**
 * The Exceptions list: every remote error from runs and console commands, as ErrorRecords. A
 * CompositeError is recorded as its parts, each knowing its place and the count of the whole.
 */
import { randomUUID } from 'node:crypto'
import { CompositeError, RemoteError } from '../core/client/errors'
import type { ErrorRecord } from './api'
import type { EventBus } from './eventBus'
import type { Store } from './store'

/** The thing asked for (a node, a run, an engine) does not exist. */
export class NotFoundError extends Error {
  override name = 'NotFoundError'
}

/** The service is doing something that excludes the request (a run is already running). */
export class BusyError extends Error {
  override name = 'BusyError'
}

/** Parts of one CompositeError recorded at most; the records still carry the full count. */
export const MAX_PARTS = 32
/** Code kept with an error (the whole of it is in the console history). */
const MAX_CODE = 20_000

export interface ErrorContext {
  source: ErrorRecord['source']
  sourceId: string
  /** The console code, or the run's mode. */
  code: string
  nodeNameOf(engineId: number): string | null
}

/** The records of an error: one per RemoteError, the parts of a CompositeError, or one local error. */
export function errorRecords(err: unknown, ctx: ErrorContext): ErrorRecord[] {
  if (err instanceof CompositeError) {
    return err.errors.slice(0, MAX_PARTS).map((e, index) => remoteRecord(e, ctx, { index, count: err.errors.length }))
  }
  if (err instanceof RemoteError) return [remoteRecord(err, ctx, null)]
  const e = err instanceof Error ? err : new Error(String(err))
  return [
    {
      ...base(ctx),
      engineId: null,
      nodeName: null,
      ename: e.name,
      evalue: e.message,
      traceback: `${e.name}: ${e.message}`,
      method: ctx.source === 'run' ? 'runPi' : 'execute',
      composite: null,
    },
  ]
}

export function remoteRecord(e: RemoteError, ctx: ErrorContext, composite: ErrorRecord['composite']): ErrorRecord {
  const engineId = e.engineId >= 0 ? e.engineId : null
  const nodeName = engineId === null ? null : ctx.nodeNameOf(engineId)
  return {
    ...base(ctx),
    engineId,
    nodeName,
    ename: e.ename,
    evalue: e.ename === 'EngineError' && nodeName ? withNodeName(e.evalue, nodeName) : e.evalue,
    traceback: e.traceback,
    method: e.method,
    composite,
  }
}

/**
 * The client names the node of a dead engine by its internal key ("engine 3 on local#2 died
 * (…)"); the record shows the node's name, as its badge does.
 */
function withNodeName(evalue: string, nodeName: string): string {
  return evalue.replace(/^(engine \d+ on )(.+?)( died \()/, (whole, start: string, key: string, end: string) => (key === nodeName ? whole : `${start}${nodeName}${end}`))
}

function base(ctx: ErrorContext): Pick<ErrorRecord, 'id' | 'at' | 'source' | 'sourceId' | 'code'> {
  return { id: randomUUID(), at: Date.now(), source: ctx.source, sourceId: ctx.sourceId, code: ctx.code.length > MAX_CODE ? `${ctx.code.slice(0, MAX_CODE)}\n…` : ctx.code }
}

export class ErrorLog {
  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
  ) {}

  /** Stores the records (together) and announces each. */
  record(records: ErrorRecord[]): void {
    this.store.addErrors(records)
    for (const error of records) this.bus.publish({ type: 'error', error })
  }

  list(): ErrorRecord[] {
    return this.store.listErrors()
  }

  clear(): void {
    this.store.clearErrors()
    this.bus.publish({ type: 'errorsCleared' })
  }
}
