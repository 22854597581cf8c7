/**
 * The six ways to spread the π chunks over engines, one per pattern of the lecture. Each returns
 * what every task did (engine, busy time, the chunks it covered and their hits), so results can
 * be attributed to engines whatever the pattern.
 */
import type { AsyncResult } from '../../core/client/AsyncResult'
import type { Client } from '../../core/client/Client'
import { blockBounds, blockSizes } from '../../core/client/partition'
import type { TaskMetadata } from '../../core/client/Task'
import type { PiChunkKernel } from './kernels'
import type { PiMode } from './options'
import type { ChunkProgress } from './progress'
import { KERNEL_NAME, piBlock, piTask, SCATTER_EXECUTE_CODE, type ChunkTriple } from './remote'

/** One task of a run: where it ran, how long it computed, and the chunks it covered. */
export interface ChunkTask {
  engineId: number
  busyMs: number
  /** CPU time the engine spent on it (busyMs if the engine did not say). */
  cpuMs: number
  /** Chunk indices, in order. */
  chunks: number[]
  /** Hits of each of those chunks. */
  hits: number[]
}

export interface ModeContext {
  rc: Client
  /** The engines of the run, in order. */
  engineIds: number[]
  /**
   * Targets for load-balanced views: undefined when the run uses every engine, so that the
   * balancer takes its unrestricted path (it scans its whole queue for restricted tasks).
   */
  balancedTargets: number[] | undefined
  seed: number
  kernel: PiChunkKernel
  /** Samples of each chunk. */
  sizes: number[]
  progress: ChunkProgress
}

type ModeRunner = (ctx: ModeContext) => Promise<ChunkTask[]>

/** Busy time of a finished task: engine-side start to completion (millisecond resolution). */
const busyMs = (m: TaskMetadata): number => (m.started && m.completed ? m.completed.getTime() - m.started.getTime() : 0)

/**
 * Pairs a result's tasks with the chunks they covered: task i covers the next `counts[i]`
 * chunks of `order`, and `hits` lists the chunks' hits in that same order.
 */
function attribute(metadata: TaskMetadata[], counts: number[], hits: number[], order: number[]): ChunkTask[] {
  if (metadata.length !== counts.length) {
    throw new Error(`internal: expected ${counts.length} tasks, the result has ${metadata.length}`)
  }
  let at = 0
  return metadata.map((m, i) => {
    const task = { engineId: m.engineId ?? -1, busyMs: busyMs(m), cpuMs: m.cpuMs ?? busyMs(m), chunks: order.slice(at, at + counts[i]), hits: hits.slice(at, at + counts[i]) }
    at += counts[i]
    return task
  })
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

async function pushKernel(ctx: ModeContext, extra: Record<string, unknown> = {}): Promise<void> {
  await ctx.rc.view(ctx.engineIds).push({ [KERNEL_NAME]: ctx.kernel, ...extra })
}

/** `dv.map(kernel, seeds, indices, sizes)`: one task per engine over its block of chunks. */
const directMap: ModeRunner = async (ctx) => {
  const { rc, engineIds, seed, kernel, sizes } = ctx
  const indices = range(sizes.length)
  const result = rc.view(engineIds).map(kernel, sizes.map(() => seed), indices, sizes)
  return collectMap(ctx, result, blockSizes(sizes.length, engineIds.length).filter((n) => n > 0), indices)
}

/**
 * `lv.map(kernel, seeds, indices, sizes, { chunkSize: 1 })`: one task per chunk, to whichever
 * engine is free. A chunk whose engine dies is retried on another, so the run survives it.
 */
const lbMap: ModeRunner = async (ctx) => {
  const { rc, seed, kernel, sizes, engineIds } = ctx
  const indices = range(sizes.length)
  const result = rc.loadBalancedView(ctx.balancedTargets, { retries: engineIds.length - 1 }).map(kernel, sizes.map(() => seed), indices, sizes, { chunkSize: 1 })
  return collectMap(ctx, result, sizes.map(() => 1), indices)
}

/** `dv.parallel(piTask).map(chunks)`: the decorator; element-wise like direct-map. */
const parallelMap: ModeRunner = async (ctx) => {
  const { rc, engineIds, seed, sizes } = ctx
  await pushKernel(ctx)
  const indices = range(sizes.length)
  const triples = indices.map((i): ChunkTriple => [seed, i, sizes[i]])
  const result = rc.view(engineIds).parallel(piTask).map(triples)
  return collectMap(ctx, result, blockSizes(sizes.length, engineIds.length).filter((n) => n > 0), indices)
}

async function collectMap(ctx: ModeContext, result: AsyncResult<number[]>, counts: number[], order: number[]): Promise<ChunkTask[]> {
  ctx.progress.track(result, counts)
  const hits = await result
  return attribute(result.metadata, counts, hits, order)
}

/** Each engine `apply`s `piBlock` to its own block of chunk indices (one one-engine view each). */
const directApply: ModeRunner = async (ctx) => {
  const { rc, engineIds, seed, sizes } = ctx
  await pushKernel(ctx)
  const blocks = blockBounds(sizes.length, engineIds.length)
    .map(([a, b], i) => ({ engineId: engineIds[i], indices: range(b - a).map((k) => a + k) }))
    .filter((block) => block.indices.length > 0)
  const runs = blocks.map(({ engineId, indices }) => {
    const result = rc.view(engineId).apply(piBlock, seed, indices, indices.map((i) => sizes[i]))
    ctx.progress.track(result, [indices.length])
    return result.then((hits) => attribute(result.metadata, [indices.length], hits, indices))
  })
  return (await Promise.all(runs)).flat()
}

/**
 * The lecture's pitfall: `lv.apply(piBlock, share)` written as if it ran on every engine like
 * `dv.apply`. A load-balanced apply runs once, so ONE engine computes ONE engine's share (the
 * first block of chunks) and the rest of the samples are never drawn.
 */
const lbApply: ModeRunner = async (ctx) => {
  const { rc, engineIds, seed, sizes } = ctx
  await pushKernel(ctx)
  const [start, end] = blockBounds(sizes.length, engineIds.length)[0]
  const indices = range(end - start).map((k) => start + k)
  const result = rc.loadBalancedView(ctx.balancedTargets).apply(piBlock, seed, indices, indices.map((i) => sizes[i]))
  ctx.progress.track(result, [indices.length])
  const hits = await result
  return attribute(result.metadata, [indices.length], hits, indices)
}

/** Scatter `[index, samples]` pairs, execute the kernel over the local share, gather the hits. */
const scatterExecute: ModeRunner = async (ctx) => {
  const { rc, engineIds, seed, sizes } = ctx
  const dv = rc.view(engineIds)
  await pushKernel(ctx, { piSeed: seed })
  const indices = range(sizes.length)
  await dv.scatter('piChunks', indices.map((i) => [i, sizes[i]]))
  const run = dv.execute(SCATTER_EXECUTE_CODE)
  const counts = blockSizes(sizes.length, engineIds.length)
  ctx.progress.track(run, counts)
  await run
  const hits = await dv.gather<number[]>('piHits')
  return attribute(run.metadata, counts, hits, indices)
}

export const MODE_RUNNERS: Record<PiMode, ModeRunner> = {
  'direct-map': directMap,
  'lb-map': lbMap,
  'direct-apply': directApply,
  'lb-apply': lbApply,
  'scatter-execute': scatterExecute,
  'parallel-map': parallelMap,
}
