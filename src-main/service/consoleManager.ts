/**
 * The console: the lecture's `%px` — code run on chosen engines, with each engine's stdout,
 * stderr, `Out[n]` and error, kept as a numbered history.
 */
import { randomUUID } from 'node:crypto'
import type { Client } from '../core/client/Client'
import { CompositeError, InvalidTargetsError, NoEnginesError, RemoteError } from '../core/client/errors'
import { parseTargets } from '../core/client/targets'
import type { ConsoleEngineResult, ConsoleEntry, ErrorRecord } from './api'
import { errorRecords, MAX_PARTS, remoteRecord, type ErrorContext, type ErrorLog } from './errorLog'
import type { EventBus } from './eventBus'
import type { Store } from './store'

export interface ConsoleDeps {
  store: Store
  bus: EventBus
  errors: ErrorLog
  client(): Client | null
  nodeNameOf(engineId: number): string | null
}

export class ConsoleManager {
  private readonly running = new Set<Promise<unknown>>()

  constructor(private readonly deps: ConsoleDeps) {}

  list(): ConsoleEntry[] {
    return this.deps.store.listConsole()
  }

  /** Runs `code` on `targets`; resolves when every target has finished. */
  async execute(code: string, targets: string): Promise<ConsoleEntry> {
    const entry: ConsoleEntry = { id: randomUUID(), n: this.deps.store.nextConsoleNumber(), code, targets, at: Date.now(), durationMs: null, status: 'running', results: [], error: null }
    let view
    try {
      const rc = this.deps.client()
      if (!rc || rc.ids.length === 0) throw new NoEnginesError('no engines are running: start a node first')
      view = rc.view(parseTargets(targets))
    } catch (err) {
      if (!(err instanceof InvalidTargetsError || err instanceof NoEnginesError)) throw err
      return this.save({ ...entry, status: 'failed', error: err.message, durationMs: 0 })
    }
    this.save(entry)
    const result = view.execute(code)
    const settled = result.then(
      () => null,
      (err: unknown) => err,
    )
    this.running.add(settled)
    const failure = await settled
    this.running.delete(settled)

    const ctx: ErrorContext = { source: 'console', sourceId: entry.id, code, nodeNameOf: this.deps.nodeNameOf }
    const records = this.records(failure, ctx)
    const byTask = new Map(records.map((r) => [r.error, r.record]))
    entry.results = result.metadata.map(
      (m): ConsoleEngineResult => ({ engineId: m.engineId ?? -1, stdout: m.stdout, stderr: m.stderr, out: m.executeResult ?? null, error: (m.error && byTask.get(m.error)) ?? null }),
    )
    // An error not tied to one engine's task (there should be none) still reaches Exceptions.
    const loose = records.filter((r) => !result.metadata.some((m) => m.error === r.error)).map((r) => r.record)
    this.deps.errors.record(records.slice(0, MAX_PARTS).map((r) => r.record))
    entry.durationMs = Math.round(result.elapsed)
    entry.status = failure ? 'failed' : 'done'
    if (loose.length) entry.error = loose.map((r) => `${r.ename}: ${r.evalue}`).join('\n')
    return this.save(entry)
  }

  /** Waits for running commands (on quit, after the engines were stopped). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.running])
  }

  /** The error records of a failed execute, each paired with the RemoteError it came from. */
  private records(failure: unknown, ctx: ErrorContext): Array<{ error: unknown; record: ErrorRecord }> {
    if (failure === null) return []
    if (failure instanceof CompositeError) {
      return failure.errors.map((e, index) => ({ error: e, record: remoteRecord(e, ctx, { index, count: failure.errors.length }) }))
    }
    if (failure instanceof RemoteError) return [{ error: failure, record: remoteRecord(failure, ctx, null) }]
    return errorRecords(failure, ctx).map((record) => ({ error: failure, record }))
  }

  private save(entry: ConsoleEntry): ConsoleEntry {
    this.deps.store.putConsole(entry)
    const copy = structuredClone(entry)
    this.deps.bus.publish({ type: 'console', entry: copy })
    return copy
  }
}
