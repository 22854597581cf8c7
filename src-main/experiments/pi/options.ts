/**
 * The π experiment's options, their checks and the chunk plan. Every check names the option,
 * what it got and what it accepts, before anything is sent to an engine.
 */
import { blockSizes } from '../../core/client/partition'
import type { Targets } from '../../core/client/targets'
import { PI_KERNELS, type PiKernel } from './kernels'

/** One mode per pattern of the lecture; see `runPi` for what each does. */
import { PI_MODES, type PiMode } from './types'

export { PI_MODES, type PiMode }

/** Chunks per run at most: each is a task (or a map item) with its own message. */
export const MAX_TASKS = 1_000_000

export interface PiOptions {
  /** Points to draw in all, a whole number ≥ 1 (`1e8` is fine). */
  samples: number
  /** Chunks to split the samples into (block rule), a whole number from 1 to `samples`. */
  tasks: number
  /** How the chunks are spread over the engines (default `lb-map`, as the CLI's). */
  mode?: PiMode
  /**
   * `seeded` (default): reproducible xoshiro128**; `simd`: reproducible too (other hits than
   * seeded's), 16 streams per chunk in WebAssembly SIMD; `math-random`: the lecture's Math.random.
   */
  kernel?: PiKernel
  /** Seed of the `seeded` and `simd` kernels, a whole number in [0, 2**32) (default 42; unused by math-random). */
  seed?: number
  /** Engines to run on, as `rc.view(targets)` takes them (default: every engine). */
  targets?: Targets
  /** Called as chunks complete, with chunks done and chunks in all. */
  onProgress?: (done: number, total: number) => void
}

/** Options checked and completed with their defaults. */
export interface ResolvedPiOptions {
  samples: number
  tasks: number
  mode: PiMode
  kernel: PiKernel
  seed: number
  targets?: Targets
  onProgress?: (done: number, total: number) => void
}

/** A π option that cannot be used; `option` names it (`samples`, `tasks`, `mode`, …). */
export class PiOptionsError extends Error {
  override name = 'PiOptionsError'
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`)
  }
}

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' ? String(v) : v === undefined ? 'nothing' : `a ${typeof v}`)

function wholeNumber(option: string, value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new PiOptionsError(option, `must be ${what}, got ${show(value)}`)
  }
  return value
}

/** Checks `options` and fills in defaults; throws `PiOptionsError` naming the first bad one. */
export function resolvePiOptions(options: PiOptions): ResolvedPiOptions {
  if (options === null || typeof options !== 'object') {
    throw new PiOptionsError('options', `runPi takes { samples, tasks, mode }, e.g. { samples: 1e8, tasks: 16, mode: 'lb-map' }; got ${show(options)}`)
  }
  const { samples, tasks, mode = 'lb-map', kernel = 'seeded', seed = 42, targets, onProgress } = options
  wholeNumber('samples', samples, 1, Number.MAX_SAFE_INTEGER, 'a whole number ≥ 1 (e.g. 1e8)')
  wholeNumber('tasks', tasks, 1, MAX_TASKS, `a whole number from 1 to ${MAX_TASKS.toLocaleString('en')} (e.g. 16)`)
  if (tasks > samples) throw new PiOptionsError('tasks', `${tasks} chunks cannot split ${samples} samples: use at most as many tasks as samples`)
  if (!PI_MODES.includes(mode)) throw new PiOptionsError('mode', `unknown mode ${show(mode)}; use one of ${PI_MODES.join(', ')}`)
  if (!PI_KERNELS.includes(kernel)) throw new PiOptionsError('kernel', `unknown kernel ${show(kernel)}; use one of ${PI_KERNELS.join(', ')}`)
  wholeNumber('seed', seed, 0, 2 ** 32 - 1, 'a whole number from 0 to 4294967295')
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new PiOptionsError('onProgress', `must be a function (done, total) => void, got ${show(onProgress)}`)
  return { samples, tasks, mode, kernel, seed, targets, onProgress }
}

/** Samples per chunk by the block rule: the first `samples mod tasks` chunks get one more. */
export function chunkSizes(samples: number, tasks: number): number[] {
  return blockSizes(samples, tasks)
}
