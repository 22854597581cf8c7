/** Turns the tasks of a π run into the figures of a `PiResult`. */
import type { PiEngineShare, PiKernel, PiResult } from './types'
import type { ChunkTask } from './modes'
import type { PiMode } from './options'

export type { PiEngineShare, PiResult } from './types'

export interface SummaryInput {
  mode: PiMode
  kernel: PiKernel
  seed: number
  engineIds: number[]
  sizes: number[]
  tasks: ChunkTask[]
  wallMs: number
}

/**
 * A mode's tasks must cover each chunk exactly once (`lb-apply`: at most once, it computes one
 * share by design); anything else is a bug worth a loud error.
 */
function checkCoverage(tasks: ChunkTask[], chunks: number, partial: boolean): void {
  const seen = new Uint8Array(chunks)
  for (const task of tasks) {
    if (task.hits.length !== task.chunks.length) throw new Error(`internal: engine ${task.engineId} returned ${task.hits.length} hit counts for ${task.chunks.length} chunks`)
    for (const c of task.chunks) seen[c]++
  }
  const wrong = seen.findIndex((n) => n > 1 || (n === 0 && !partial))
  if (wrong >= 0) throw new Error(`internal: chunk ${wrong} was computed ${seen[wrong]} times instead of once`)
}

export function summarise({ mode, kernel, seed, engineIds, sizes, tasks, wallMs }: SummaryInput): PiResult {
  checkCoverage(tasks, sizes.length, mode === 'lb-apply')
  const shares = new Map<number, PiEngineShare>(engineIds.map((engineId) => [engineId, { engineId, tasks: 0, samples: 0, hits: 0, busyMs: 0, cpuMs: 0 }]))
  for (const task of tasks) {
    // A load-balanced task reports the engine that ran it, always one of the targets.
    const share = shares.get(task.engineId) ?? { engineId: task.engineId, tasks: 0, samples: 0, hits: 0, busyMs: 0, cpuMs: 0 }
    shares.set(task.engineId, share)
    share.busyMs += task.busyMs
    share.cpuMs += task.cpuMs
    task.chunks.forEach((c, i) => {
      share.tasks++
      share.samples += sizes[c]
      share.hits += task.hits[i]
    })
  }
  const perEngine = [...shares.values()].sort((a, b) => a.engineId - b.engineId)
  const samples = perEngine.reduce((a, s) => a + s.samples, 0)
  const computed = perEngine.reduce((a, s) => a + s.tasks, 0)
  const hits = perEngine.reduce((a, s) => a + s.hits, 0)
  const p = hits / samples
  // Against one engine: one engine alone would spend about the summed CPU time of the work.
  // (Summed busy time would overstate it when engines outnumber cores and wait for one.)
  const work = perEngine.reduce((a, s) => a + s.cpuMs, 0)
  const speedup = wallMs > 0 ? work / wallMs : 0
  return {
    pi: (4 * hits) / samples,
    hits,
    samples,
    tasks: computed,
    requestedSamples: sizes.reduce((a, b) => a + b, 0),
    requestedTasks: sizes.length,
    mode,
    kernel,
    seed,
    engines: engineIds.length,
    wallMs,
    samplesPerSec: wallMs > 0 ? samples / (wallMs / 1000) : 0,
    stdError: 4 * Math.sqrt((p * (1 - p)) / samples),
    perEngine,
    speedup,
    efficiency: engineIds.length > 0 ? speedup / engineIds.length : 0,
  }
}
