/**
 * What a connected client is sent about its tasks and the engines, batched: the tasks finished
 * in one tick go out as one `done` with their result frames, in one write; an engine's change with
 * no result to travel with waits ENGINE_CHANGE_DELAY_MS for some. A change that is only a task run
 * (busy, idle again) is five numbers (`runs`), not a whole EngineInfo.
 */
import type { EngineInfo } from '../client/EngineHandle'
import { encodeFrame } from '../protocol/codec'
import type { DoneEntry, DoneMessage, EnginesMessage } from '../protocol/clientMessages'
import { AGENT } from '../protocol/messages'
import { WriteBatch } from '../protocol/WriteBatch'
import type { RelayOutput } from './RelayOutput'

/** How long an engine's change may wait for results to travel with (ms). */
const ENGINE_CHANGE_DELAY_MS = 2

export class Outbox {
  private done: DoneEntry[] = []
  /** Tasks whose result frames go out with the next `done`, and those frames. */
  private frameIds: number[] = []
  private frames: Uint8Array[] = []
  private readonly engines = new Map<number, EngineInfo>()
  /** Each engine as this client last heard of it (what a `runs` entry is a change of). */
  private readonly known = new Map<number, EngineInfo>()
  private flushScheduled = false
  private engineTimer: NodeJS.Timeout | null = null
  private closed = false
  // Made once, not per tick (each closure the build names costs a defineProperty).
  private readonly flushNow = (): void => this.flush()

  constructor(private readonly output: RelayOutput) {}

  /** The engines as the client was told of them (in its welcome). */
  knows(engines: readonly EngineInfo[]): void {
    for (const info of engines) this.known.set(info.id, info)
  }

  engineChanged(info: EngineInfo): void {
    this.engines.set(info.id, info)
    this.scheduleEngineFlush()
  }

  /** A task ended; its entry says how (or that its result was relayed). */
  ended(entry: DoneEntry): void {
    this.done.push(entry)
    this.scheduleFlush()
  }

  /** A task ended with this result frame, sent as it is. */
  resultFrame(id: number, frame: Uint8Array): void {
    this.frameIds.push(id)
    this.frames.push(frame)
    this.scheduleFlush()
  }

  /** Nothing more is sent. */
  close(): void {
    this.closed = true
    if (this.engineTimer) clearTimeout(this.engineTimer)
    this.engineTimer = null
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    queueMicrotask(this.flushNow)
  }

  /**
   * An engine changed with no result to send: it goes out a little later, with the next results
   * if they come by then. (A short task's busy and idle again are one `engines` message, sent with
   * its result, instead of one more frame each way per task.)
   */
  private scheduleEngineFlush(): void {
    if (this.flushScheduled || this.engineTimer) return
    this.engineTimer = setTimeout(this.flushNow, ENGINE_CHANGE_DELAY_MS)
    this.engineTimer.unref()
  }

  /** Engine changes first (a result's engine is idle again by then), then finished tasks: one write. */
  flush(): void {
    this.flushScheduled = false
    if (this.engineTimer) clearTimeout(this.engineTimer)
    this.engineTimer = null
    if (this.closed) return
    const batch = new WriteBatch()
    let runs: number[] | null = null
    if (this.engines.size) {
      const engines: EnginesMessage = { type: 'engines' }
      for (const info of this.engines.values()) {
        if (this.onlyRan(info)) (runs ??= []).push(info.id, info.state === 'busy' ? 1 : 0, info.currentTask ?? -1, info.tasksDone, info.busyMs)
        else (engines.engines ??= []).push(info)
        this.known.set(info.id, info)
      }
      this.engines.clear()
      // Runs alone travel with the results, if any: one frame less to encode and read.
      const withDone = this.done.length > 0 || this.frameIds.length > 0
      if (runs && (engines.engines || !withDone)) {
        engines.runs = runs
        runs = null
      }
      if (engines.engines || engines.runs) batch.add(encodeFrame(AGENT, engines as never))
    }
    if (this.done.length || this.frameIds.length) {
      const done: DoneMessage = { type: 'done' }
      if (runs) done.runs = runs
      if (this.frameIds.length) done.frames = this.frameIds
      if (this.done.length) done.tasks = this.done
      batch.add(encodeFrame(AGENT, done as never))
      batch.add(this.frames)
      this.done = []
      this.frameIds = []
      this.frames = []
    }
    if (!batch.empty) this.output.send(batch.take())
  }

  /** Whether `info` differs from what the client knows of its engine only by a task run (see EnginesMessage). */
  private onlyRan(info: EngineInfo): boolean {
    const was = this.known.get(info.id)
    return (
      was !== undefined &&
      (info.state === 'busy' || info.state === 'idle') &&
      (was.state === 'busy' || was.state === 'idle') &&
      (info.currentTask === null || Number.isInteger(info.currentTask)) &&
      Number.isInteger(info.tasksDone) &&
      typeof info.busyMs === 'number' &&
      was.node === info.node &&
      was.host === info.host &&
      was.pid === info.pid &&
      was.heapLimitMB === info.heapLimitMB &&
      was.exit === info.exit &&
      was.job === info.job
    )
  }
}
