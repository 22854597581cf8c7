/**
 * The Monte Carlo estimate of π, run in each pattern of the lecture.
 *
 * `samples` are split into `tasks` chunks by the block rule; chunk i draws from its own
 * generator seeded from `(seed, i)`, so with the `seeded` kernel (and the `simd` kernel, whose
 * chunks draw from 16 streams seeded from `(seed, i, lane)`) the hit count is a pure function of
 * `(seed, samples, tasks)`: every mode and engine count gives the same hits.
 *
 * Modes:
 * - `direct-map`: `dv.map` over the chunks, one task per engine with its block.
 * - `lb-map`: `lv.map` with chunkSize 1, one task per chunk to whichever engine is free.
 * - `direct-apply`: each engine `apply`s a function over its own block of chunk indices.
 * - `lb-apply`: one `lv.apply` of one engine's share, written as if it ran everywhere: ONE engine
 *   computes ONE share and the other shares are never drawn — the lecture's pitfall (fewer
 *   samples than asked, `samples < requestedSamples`; efficiency ≈ 1 / engines).
 * - `scatter-execute`: scatter the chunk list, `execute` code over each local share, gather.
 * - `parallel-map`: `dv.parallel(fn).map(chunks)`, the decorator.
 */
import { InvalidTargetsError } from '../../core/client/errors'
import { blockSizes } from '../../core/client/partition'
import type { Client } from '../../core/client/Client'
import { kernelFunction } from './kernels'
import { MODE_RUNNERS } from './modes'
import { chunkSizes, PiOptionsError, resolvePiOptions, type PiOptions } from './options'
import { ChunkProgress } from './progress'
import { summarise, type PiResult } from './summary'

export { PI_KERNELS, piChunk, piChunkMathRandom, piChunkSimd, type PiKernel } from './kernels'
export { chunkSizes, MAX_TASKS, PI_MODES, PiOptionsError, type PiMode, type PiOptions } from './options'
export type { PiEngineShare, PiResult } from './summary'

/**
 * Estimates π on the cluster behind `rc`; see the module comment for the modes.
 * Throws `PiOptionsError` (naming the option) for unusable options, before sending anything.
 */
export async function runPi(rc: Client, options: PiOptions): Promise<PiResult> {
  const { samples, tasks, mode, kernel, seed, targets, onProgress } = resolvePiOptions(options)
  if (!rc || typeof rc.view !== 'function') throw new PiOptionsError('rc', 'runPi needs a started client: runPi(await cluster.start(), { … })')
  const engineIds = resolveEngines(rc, targets)
  const sizes = chunkSizes(samples, tasks)
  // lb-apply computes the first engine's block only (the pitfall), so that is all it can finish.
  const planned = mode === 'lb-apply' ? blockSizes(tasks, engineIds.length)[0] : tasks
  const progress = new ChunkProgress(planned, onProgress)
  const started = performance.now()
  const balancedTargets = targets === undefined || targets === 'all' ? undefined : engineIds
  const done = await MODE_RUNNERS[mode]({ rc, engineIds, balancedTargets, seed, kernel: kernelFunction(kernel), sizes, progress })
  const wallMs = performance.now() - started
  return summarise({ mode, kernel, seed, engineIds, sizes, tasks: done, wallMs })
}

/** The run's engine ids, in order; a target naming no engine is an option error. */
function resolveEngines(rc: Client, targets: PiOptions['targets']): number[] {
  let ids: number[]
  try {
    ids = rc.view(targets).targets
  } catch (err) {
    if (err instanceof InvalidTargetsError) throw new PiOptionsError('targets', `${err.message}`)
    throw err
  }
  if (new Set(ids).size !== ids.length) throw new PiOptionsError('targets', `engines ${ids.join(', ')} name one engine twice; list each engine once`)
  return ids
}
