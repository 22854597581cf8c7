/**
 * Progress of a π run counted in chunks, whatever the mode: a task may cover one chunk (lb-map),
 * an engine's block (direct-map) or all of them (lb-apply).
 */
import type { AsyncResult } from '../../core/client/AsyncResult'

export type ChunkProgressListener = (done: number, total: number) => void

interface Tracked {
  result: AsyncResult<unknown>
  /** Chunks covered by each task of the result, in task order. */
  counts: number[]
  /** All counts equal: done chunks follow from done tasks without looking at which. */
  uniform: number | null
}

export class ChunkProgress {
  private readonly tracked: Tracked[] = []
  private last = -1

  constructor(
    private readonly total: number,
    private readonly listener?: ChunkProgressListener,
  ) {}

  /** Follows `result`, whose i-th task covers `counts[i]` chunks. */
  track(result: AsyncResult<unknown>, counts: number[]): void {
    if (!this.listener) return
    const uniform = counts.every((c) => c === counts[0]) ? (counts[0] ?? 0) : null
    this.tracked.push({ result, counts, uniform })
    result.onProgress(() => this.report())
  }

  private report(): void {
    let done = 0
    for (const { result, counts, uniform } of this.tracked) {
      if (uniform !== null) {
        done += result.progress * uniform
        continue
      }
      // Few tasks here (one per engine), so looking at each is cheap.
      result.metadata.forEach((m, i) => {
        if (m.status !== 'pending') done += counts[i]
      })
    }
    if (done === this.last) return
    this.last = done
    this.listener!(done, this.total)
  }
}
