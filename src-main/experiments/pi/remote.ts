/**
 * Code that runs on the engines. Functions here travel by source and find `piChunk` (and, for
 * scatter/execute, `piChunks` and `piSeed`) in the engine's namespace, where the modes push
 * them first — the lecture's lesson that a remote function sees the engine's globals, not ours.
 *
 * This module must import nothing that its functions use: a bundler may rename imported names,
 * and the renamed name would not exist on the engine.
 */
import type { PiChunkKernel } from './kernels'

/** Pushed to the engines by the modes that call it by name. */
declare const piChunk: PiChunkKernel

/** Name under which the chosen kernel is pushed. */
export const KERNEL_NAME = 'piChunk'

/** One chunk, as `[seed, index, samples]`, for the one-argument `parallel(fn).map`. */
export type ChunkTriple = [number, number, number]

/** Hits of each chunk of a block (`direct-apply` and `lb-apply`). */
export function piBlock(seed: number, indices: number[], sizes: number[]): number[] {
  const hits: number[] = []
  for (let i = 0; i < indices.length; i++) hits.push(piChunk(seed, indices[i], sizes[i]))
  return hits
}

/** Hits of one chunk (`parallel-map`). */
export function piTask(chunk: ChunkTriple): number {
  return piChunk(chunk[0], chunk[1], chunk[2])
}

/** Scattered list of `[index, samples]` pairs, seed pushed as `piSeed`, hits gathered from `piHits`. */
export const SCATTER_EXECUTE_CODE = 'globalThis.piHits = piChunks.map((c) => piChunk(piSeed, c[0], c[1]))'
