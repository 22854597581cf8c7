/**
 * π runs from the GUI: one at a time (or one group of "every mode" runs, one after another),
 * each a `runPi` on the cluster's client with live progress, chunk records as tasks finish, and
 * cancel. While a run runs, its new chunk records are appended to the store and announced
 * (`runChunks`) at most every SAVE_EVERY_MS, so each save costs what it adds, not the run so far;
 * the final `run` event and record carry the whole list.
 */
import { randomUUID } from 'node:crypto'
import type { Client } from '../../core/client/Client'
import { InvalidTargetsError, NoEnginesError } from '../../core/client/errors'
import { parseTargets } from '../../core/client/targets'
import { chunkSizes, PI_MODES, runPi } from '../../experiments/pi/runPi'
import type { PiRunRequest, RunProgress, RunRecord } from '../api'
import { BusyError, errorRecords, NotFoundError, type ErrorLog } from '../errorLog'
import type { EventBus } from '../eventBus'
import { ServiceInputError } from '../schemas'
import type { Store } from '../store'
import { ChunkCollector } from './chunkCollector'
import { samplePoints } from './points'
import { RunClient } from './runClient'

/** Shortest time between two saves (and `runChunks` events) of a running run's new chunks. */
const SAVE_EVERY_MS = 500

export interface RunManagerDeps {
  store: Store
  bus: EventBus
  errors: ErrorLog
  /** The cluster's client, when a node has started. */
  client(): Client | null
  nodeNameOf(engineId: number): string | null
}

interface ActiveRun {
  record: RunRecord
  /** Samples of each chunk. */
  sizes: number[]
  runClient: RunClient
  collector: ChunkCollector
  progress: RunProgress
  done: Promise<void>
  cancelled: boolean
  saveTimer: NodeJS.Timeout | null
}

export class RunManager {
  private active: ActiveRun | null = null
  /** The group running now, if any: cancelling one of its runs ends the group. */
  private group: { id: string; cancelled: boolean; done: Promise<void> } | null = null

  constructor(private readonly deps: RunManagerDeps) {}

  /** Starts one run; resolves with its 'running' record (checks fail before anything starts). */
  start(request: PiRunRequest): RunRecord {
    if (this.active || this.group) throw new BusyError(`a run is in progress (${this.active?.record.request.mode ?? 'every mode'}); wait for it or cancel it first`)
    return this.launch(request, null).record
  }

  /** Starts every mode, one after another; returns the group id. */
  startAll(request: Omit<PiRunRequest, 'mode'>): string {
    if (this.active || this.group) throw new BusyError(`a run is in progress (${this.active?.record.request.mode}); wait for it or cancel it first`)
    const id = randomUUID()
    const first = this.launch({ ...request, mode: PI_MODES[0] }, id)
    const group = { id, cancelled: false, done: Promise.resolve() }
    group.done = (async () => {
      await first.done
      for (const mode of PI_MODES.slice(1)) {
        if (group.cancelled) break
        try {
          await this.launch({ ...request, mode }, id).done
        } catch {
          break // the engines are gone: the next mode would fail the same way
        }
      }
    })().finally(() => (this.group = null))
    this.group = group
    return id
  }

  cancel(runId: string): void {
    const run = this.active
    if (!run || run.record.id !== runId) {
      if (this.deps.store.getRun(runId)) return // already finished: nothing to cancel
      throw new NotFoundError(`there is no run '${runId}'`)
    }
    if (this.group && run.record.group === this.group.id) this.group.cancelled = true
    run.cancelled = true
    run.runClient.cancel()
  }

  get(runId: string): RunRecord {
    if (this.active?.record.id === runId) return this.recordOf(this.active)
    const run = this.deps.store.getRun(runId)
    if (!run) throw new NotFoundError(`there is no run '${runId}'`)
    return run
  }

  list(): RunRecord[] {
    return this.deps.store.listRuns().map((r) => (this.active?.record.id === r.id ? this.recordOf(this.active) : r))
  }

  progress(): RunProgress[] {
    return this.active ? [{ ...this.active.progress }] : []
  }

  delete(runId: string): void {
    if (this.active?.record.id === runId) throw new BusyError(`run '${runId}' is still running: cancel it first`)
    if (!this.deps.store.deleteRun(runId)) throw new NotFoundError(`there is no run '${runId}'`)
    this.deps.bus.publish({ type: 'runDeleted', runId })
  }

  /** Cancels what is running and waits for it to end (on quit). */
  async close(): Promise<void> {
    if (this.group) this.group.cancelled = true
    if (this.active) this.cancel(this.active.record.id)
    await this.active?.done
    await this.group?.done
  }

  private launch(request: PiRunRequest, group: string | null): ActiveRun {
    const rc = this.deps.client()
    if (!rc || rc.ids.length === 0) throw new NoEnginesError('no engines are running: start a node first')
    const engineIds = resolveRunTargets(rc, request.targets)
    const sizes = chunkSizes(request.samples, request.tasks)
    const record: RunRecord = {
      id: randomUUID(),
      group,
      request,
      status: 'running',
      startedAt: Date.now(),
      finishedAt: null,
      engines: engineIds.length,
      result: null,
      error: null,
      chunks: [],
      points: samplePoints(request.kernel, request.seed, sizes),
    }
    const collector = new ChunkCollector(sizes.length, engineIds.length)
    const progress: RunProgress = { runId: record.id, tasksDone: 0, tasks: request.tasks, samplesDone: 0, samples: request.samples, samplesPerSec: 0, etaMs: null }
    const run: ActiveRun = { record, sizes, collector, progress, runClient: null!, done: Promise.resolve(), cancelled: false, saveTimer: null }
    run.runClient = new RunClient(rc, (task, op) => collector.taskDone(task, op) && this.scheduleSave(run))
    this.deps.store.putRun(record)
    this.active = run
    this.deps.bus.publish({ type: 'run', run: this.recordOf(run) })
    this.deps.bus.publish({ type: 'runProgress', progress: { ...progress } })
    const targets = request.targets.trim() === '' || request.targets.trim() === 'all' ? undefined : engineIds
    run.done = runPi(run.runClient.client, { ...request, targets, onProgress: (done, total) => this.onProgress(run, done, total) })
      .then(
        (result) => this.finish(run, () => ({ status: 'done', result })),
        (err: unknown) => this.finish(run, () => this.failure(run, err)),
      )
      .catch((err: unknown) => process.emitWarning(`clusterdesk: could not save run ${record.id}: ${(err as Error).message}`))
    return run
  }

  /** `total` is the chunks the run will compute: fewer than asked in lb-apply (its first engine's block). */
  private onProgress(run: ActiveRun, done: number, total: number): void {
    const { progress, record } = run
    const elapsed = Date.now() - record.startedAt
    if (total !== progress.tasks) {
      progress.tasks = total
      progress.samples = run.sizes.slice(0, total).reduce((a, b) => a + b, 0)
    }
    progress.tasksDone = done
    // Chunk sizes differ by at most one sample, so done chunks give the samples done.
    progress.samplesDone = done >= total ? progress.samples : Math.round((progress.samples * done) / total)
    progress.samplesPerSec = elapsed > 0 ? (progress.samplesDone * 1000) / elapsed : 0
    progress.etaMs = done > 0 ? Math.round((elapsed * (progress.tasks - done)) / done) : null
    this.deps.bus.runProgressed(record.id, () => ({ type: 'runProgress', progress: { ...progress } }))
  }

  private failure(run: ActiveRun, err: unknown): Partial<RunRecord> {
    if (run.cancelled) return { status: 'cancelled' }
    const records = errorRecords(err, { source: 'run', sourceId: run.record.id, code: run.record.request.mode, nodeNameOf: this.deps.nodeNameOf })
    this.deps.errors.record(records)
    return { status: 'failed', error: records[0] }
  }

  private finish(run: ActiveRun, outcome: () => Partial<RunRecord>): void {
    run.runClient.dispose()
    if (run.saveTimer) clearTimeout(run.saveTimer)
    run.saveTimer = null
    this.active = null
    Object.assign(run.record, outcome(), { finishedAt: Date.now() })
    const record: RunRecord = { ...run.record, chunks: run.collector.final() }
    this.deps.bus.publish({ type: 'run', run: record })
    this.deps.store.putRun(record)
  }

  /** Saves and announces the chunks recorded since the last save, at most every SAVE_EVERY_MS. */
  private scheduleSave(run: ActiveRun): void {
    if (run.saveTimer) return
    run.saveTimer = setTimeout(() => {
      run.saveTimer = null
      if (this.active !== run) return
      const { from, chunks } = run.collector.drain()
      if (chunks.length === 0) return // merged chunks whose record is not full yet
      this.deps.store.appendRunChunks(run.record.id, from, chunks)
      this.deps.bus.publish({ type: 'runChunks', runId: run.record.id, from, chunks })
    }, SAVE_EVERY_MS)
  }

  /** A running run as it stands: the records made so far, in the order `runChunks` sent them. */
  private recordOf(run: ActiveRun): RunRecord {
    return { ...run.record, chunks: [...run.collector.chunks] }
  }
}

/** The run's engines from console-style targets; a bad target is the request's fault. */
function resolveRunTargets(rc: Client, targets: string): number[] {
  try {
    const ids = rc.view(parseTargets(targets)).targets
    if (new Set(ids).size !== ids.length) throw new InvalidTargetsError(`'${targets}' names an engine twice; list each engine once`)
    return ids
  } catch (err) {
    if (err instanceof InvalidTargetsError) throw new ServiceInputError(`runPi: request.targets ${err.message}`)
    throw err
  }
}
