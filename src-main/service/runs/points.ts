/**
 * The points of the lecture's picture (the square, the quarter circle, hits and misses), computed
 * on the controller. For the seeded and simd kernels they are the run's own first points of each chunk
 * (see experiments/pi/points.ts), so the picture shows what the engines drew.
 */
import type { PiKernel } from '../../experiments/pi/kernels'
import { seededPoints, simdPoints, type Point } from '../../experiments/pi/points'

export { seededPoints, simdPoints, type Point }

/** Points per run. */
export const POINTS = 2000

/** Up to POINTS points spread over the chunks: several per chunk when there are few chunks, one from every few chunks when there are many. */
export function samplePoints(kernel: PiKernel, seed: number, sizes: number[]): Point[] {
  const out: Point[] = []
  const take = (index: number, n: number): void => {
    if (n > 0) out.push(...(kernel === 'seeded' ? seededPoints(seed, index, n) : kernel === 'simd' ? simdPoints(seed, index, n) : randomPoints(n)))
  }
  const tasks = sizes.length
  if (tasks <= POINTS) {
    for (let i = 0; i < tasks; i++) take(i, Math.min(sizes[i], Math.floor(POINTS / tasks) + (i < POINTS % tasks ? 1 : 0)))
  } else {
    for (let k = 0; k < POINTS; k++) take(Math.floor((k * tasks) / POINTS), 1)
  }
  return out
}

function randomPoints(n: number): Point[] {
  return Array.from({ length: n }, (): Point => {
    const x = Math.random()
    const y = Math.random()
    return [x, y, x * x + y * y <= 1 ? 1 : 0]
  })
}
