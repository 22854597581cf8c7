/** What the π page knows about the experiment, and the series its charts draw from a run. */
import type { ChunkRecord, PiKernel, PiMode, RunRecord } from '../../../src-main/service/api'

/** The lecture's styles, in the order it shows them; the descriptions double as tooltips. */
export const PI_MODES: Record<PiMode, string> = {
  'direct-map': 'dv.map over the chunks: one task per engine with its block',
  'lb-map': 'lv.map, one chunk per task to whichever engine is free',
  'direct-apply': 'each engine applies a function over its own block of chunks',
  'lb-apply': 'one lv.apply computes every chunk: one engine works, the rest idle (the pitfall)',
  'scatter-execute': 'scatter the chunk sizes, execute code on each share, gather',
  'parallel-map': 'dv.parallel(fn).map(chunks), the decorator',
}
export const MODE_NAMES = Object.keys(PI_MODES) as PiMode[]

export const PI_KERNELS: Record<PiKernel, string> = {
  seeded: 'seeded (xoshiro128**, reproducible)',
  'math-random': "Math.random (the lecture's, not reproducible)",
}

/** The mode that shows what not to do. */
export const PITFALL_MODE: PiMode = 'lb-apply'

const chunkCount = (c: ChunkRecord): number => c.count ?? 1

export interface ConvergencePoint {
  samples: number
  estimate: number
  sigma: number
}

/** The running estimate over the chunks in the order they completed, with its standard error. */
export function convergence(chunks: ChunkRecord[]): ConvergencePoint[] {
  const ordered = [...chunks].sort((a, b) => a.completed - b.completed || a.index - b.index)
  const out: ConvergencePoint[] = []
  let n = 0
  let hits = 0
  for (const c of ordered) {
    n += c.samples
    hits += c.hits
    if (n === 0) continue
    const p = hits / n
    out.push({ samples: n, estimate: (4 * hits) / n, sigma: 4 * Math.sqrt((p * (1 - p)) / n) })
  }
  return out
}

export interface EngineShare {
  engineId: number
  tasks: number
  hits: number
  busyMs: number
}

/** Per-engine work: from the result when the run finished, else summed from its chunks so far. */
export function engineShares(run: RunRecord): EngineShare[] {
  if (run.result) return run.result.perEngine.map(({ engineId, tasks, hits, busyMs }) => ({ engineId, tasks, hits, busyMs }))
  const shares = new Map<number, EngineShare>()
  for (const c of run.chunks) {
    const s = shares.get(c.engineId) ?? { engineId: c.engineId, tasks: 0, hits: 0, busyMs: 0 }
    s.tasks += chunkCount(c)
    s.hits += c.hits
    s.busyMs += Math.max(0, c.completed - c.started)
    shares.set(c.engineId, s)
  }
  return [...shares.values()].sort((a, b) => a.engineId - b.engineId)
}

export interface TimelineBar {
  engineId: number
  /** Milliseconds since the run's first chunk started. */
  start: number
  end: number
  index: number
  count: number
  samples: number
}

export function timeline(chunks: ChunkRecord[]): { engines: number[]; bars: TimelineBar[] } {
  if (!chunks.length) return { engines: [], bars: [] }
  const t0 = Math.min(...chunks.map((c) => c.started))
  const engines = [...new Set(chunks.map((c) => c.engineId))].sort((a, b) => a - b)
  const bars = chunks.map((c) => ({ engineId: c.engineId, start: c.started - t0, end: Math.max(c.completed, c.started) - t0, index: c.index, count: chunkCount(c), samples: c.samples }))
  return { engines, bars }
}

/** Digits worth showing for an estimate with standard error `sigma` (two past its first). */
export function estimateDigits(sigma: number): number {
  if (!(sigma > 0)) return 8
  return Math.min(12, Math.max(2, 1 - Math.floor(Math.log10(sigma)) + 1))
}
