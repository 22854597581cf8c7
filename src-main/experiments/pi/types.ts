/**
 * The π experiment's names and result type, with no imports, so that the renderer can use them
 * (through the service API) without pulling in the controller's code.
 */

export const PI_KERNELS = ['seeded', 'simd', 'math-random'] as const
export type PiKernel = (typeof PI_KERNELS)[number]

/** Whether a kernel's hits are a pure function of `(seed, samples, tasks)` (all but math-random). */
export const isReproducible = (kernel: PiKernel): boolean => kernel !== 'math-random'

export const PI_MODES = ['direct-map', 'lb-map', 'direct-apply', 'lb-apply', 'scatter-execute', 'parallel-map'] as const
export type PiMode = (typeof PI_MODES)[number]

/** What one engine did in a run. */
export interface PiEngineShare {
  engineId: number
  /** Chunks it computed (they are the experiment's tasks, whichever calls carried them). */
  tasks: number
  samples: number
  hits: number
  /** Milliseconds its tasks ran on the engine (engine clock, 1 ms resolution per task). */
  busyMs: number
  /**
   * CPU milliseconds its tasks used. Less than busyMs when engines outnumber cores and wait for
   * one: the work itself, which one engine alone would have taken about as long to do.
   */
  cpuMs: number
}

export interface PiResult {
  /** The estimate, `4 * hits / samples`. */
  pi: number
  hits: number
  /** Samples drawn: all that were asked for, except in `lb-apply` (one engine's share). */
  samples: number
  /** Chunks computed (of `requestedTasks`). */
  tasks: number
  requestedSamples: number
  requestedTasks: number
  mode: PiMode
  kernel: PiKernel
  /** The seed used (the `math-random` kernel ignores it). */
  seed: number
  /** Engines the run could use (the targets), busy or not. */
  engines: number
  /** Wall-clock milliseconds, from the first message sent to the last result received. */
  wallMs: number
  samplesPerSec: number
  /** Standard error of the estimate, `4 * sqrt(p (1 - p) / samples)` with `p = hits / samples`. */
  stdError: number
  /** Every target engine, in id order, including those that got nothing to do. */
  perEngine: PiEngineShare[]
  /**
   * Speedup against one engine: the CPU time the engines spent on the work over the wall time,
   * i.e. how many engines were computing at once on average (one engine alone would take about
   * that CPU time). Engines that wait for a core (more engines than cores) add no CPU time, and
   * transfers and scheduling add wall time, so both count against it.
   */
  speedup: number
  /** `speedup / engines`: 1 when every engine computed for the whole run. */
  efficiency: number
}
