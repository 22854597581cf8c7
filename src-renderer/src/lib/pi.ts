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
  simd: 'simd (16 xoshiro128** streams in WebAssembly SIMD, reproducible, faster)',
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

/** Points a convergence chart draws at most (its series is thinned beyond). */
export const MAX_CONVERGENCE_POINTS = 1000
/** Bars a timeline draws at most; more are merged per engine (neighbours in time). */
export const MAX_TIMELINE_BARS = 3000

interface Running {
  length: number
  n: number
  hits: number
  last: ChunkRecord | null
  points: ConvergencePoint[]
}

const before = (a: ChunkRecord, b: ChunkRecord): boolean => a.completed < b.completed || (a.completed === b.completed && a.index < b.index)

/**
 * A running run's chunk list grows in place (see the runs store), mostly in completion order: its
 * series continues from where it was, so an update costs what the new chunks add. A list that
 * shrank, or a new chunk that completed before the last one, starts it over.
 */
const built = new WeakMap<ChunkRecord[], Running>()

/**
 * The running estimate over the chunks in the order they completed, with its standard error.
 * The series is shared with later calls on the same (growing) list: read it, do not edit it.
 */
export function convergence(chunks: ChunkRecord[]): readonly ConvergencePoint[] {
  let state = built.get(chunks)
  if (state && (chunks.length < state.length || !inOrder(state.last, chunks.slice(state.length)))) state = undefined
  if (state) {
    extend(state, chunks.slice(state.length))
  } else {
    state = { length: 0, n: 0, hits: 0, last: null, points: [] }
    extend(state, [...chunks].sort((a, b) => a.completed - b.completed || a.index - b.index))
    built.set(chunks, state)
  }
  state.length = chunks.length
  return state.points
}

function inOrder(last: ChunkRecord | null, added: ChunkRecord[]): boolean {
  for (const c of added) {
    if (last && !before(last, c)) return false
    last = c
  }
  return true
}

function extend(state: Running, ordered: ChunkRecord[]): void {
  for (const c of ordered) {
    state.n += c.samples
    state.hits += c.hits
    state.last = c
    if (state.n === 0) continue
    state.points.push({ samples: state.n, ...estimateOf(state.hits, state.n) })
  }
}

/** π from `hits` of `samples` points, with its standard error `4 sqrt(p (1 - p) / n)`. */
export function estimateOf(hits: number, samples: number): { estimate: number; sigma: number } {
  const p = hits / samples
  return { estimate: 4 * p, sigma: 4 * Math.sqrt((p * (1 - p)) / samples) }
}

/** At most `max` of the items, evenly spread, always with the first and the last. */
export function thin<T>(items: readonly T[], max: number): readonly T[] {
  if (items.length <= max) return items
  const step = (items.length - 1) / (max - 1)
  return Array.from({ length: max }, (_, i) => items[Math.round(i * step)])
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

/** Per-engine lanes from the first start; beyond `max` bars, neighbouring bars of an engine are merged. */
export function timeline(chunks: ChunkRecord[], max = MAX_TIMELINE_BARS): { engines: number[]; bars: TimelineBar[] } {
  if (!chunks.length) return { engines: [], bars: [] }
  let t0 = Infinity
  for (const c of chunks) t0 = Math.min(t0, c.started)
  const engines = [...new Set(chunks.map((c) => c.engineId))].sort((a, b) => a - b)
  const bars = chunks.map((c) => ({ engineId: c.engineId, start: c.started - t0, end: Math.max(c.completed, c.started) - t0, index: c.index, count: chunkCount(c), samples: c.samples }))
  return { engines, bars: bars.length > max ? mergeBars(bars, Math.ceil(bars.length / Math.max(1, max - engines.length))) : bars }
}

/** Each engine's bars in time order, `per` at a time, as one bar spanning them. */
function mergeBars(bars: TimelineBar[], per: number): TimelineBar[] {
  const open = new Map<number, TimelineBar & { n: number }>()
  const out: Array<TimelineBar & { n: number }> = []
  for (const b of [...bars].sort((x, y) => x.start - y.start)) {
    const group = open.get(b.engineId)
    if (!group) {
      const fresh = { ...b, n: 1 }
      open.set(b.engineId, fresh)
      out.push(fresh)
    } else {
      group.end = Math.max(group.end, b.end)
      group.index = Math.min(group.index, b.index)
      group.count += b.count
      group.samples += b.samples
      group.n++
    }
    if (open.get(b.engineId)!.n >= per) open.delete(b.engineId)
  }
  return out.map(({ n: _n, ...bar }) => bar)
}

/** Digits worth showing for an estimate with standard error `sigma` (two past its first). */
export function estimateDigits(sigma: number): number {
  if (!(sigma > 0)) return 8
  return Math.min(12, Math.max(2, 1 - Math.floor(Math.log10(sigma)) + 1))
}
