// The statistics every bench figure is reported with: min, median and max over its repetitions.
import { performance } from 'node:perf_hooks'

/** Milliseconds `fn` took, wall clock. */
export async function timed(fn) {
  const t = performance.now()
  await fn()
  return performance.now() - t
}

/** The median (the mean of the middle two for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** { min, median, max } of the samples; nulls when there are none (a skipped or failed figure). */
export function summarize(samples) {
  if (samples.length === 0) return { min: null, median: null, max: null }
  return { min: Math.min(...samples), median: median(samples), max: Math.max(...samples) }
}
