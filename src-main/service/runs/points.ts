/**
 * The points of the lecture's picture (the square, the quarter circle, hits and misses), computed
 * on the controller. For the seeded kernel they are the run's own first points of each chunk:
 * the same xoshiro128** stream, seeded the same way as `piChunk` (a unit test holds the two to
 * the same hits), so the picture shows what the engines drew.
 */
import type { PiKernel } from '../../experiments/pi/kernels'

/** Points per run. */
export const POINTS = 2000

export type Point = [number, number, 0 | 1]

/** Up to POINTS points spread over the chunks: several per chunk when there are few chunks, one from every few chunks when there are many. */
export function samplePoints(kernel: PiKernel, seed: number, sizes: number[]): Point[] {
  const out: Point[] = []
  const take = (index: number, n: number): void => {
    if (n > 0) out.push(...(kernel === 'seeded' ? seededPoints(seed, index, n) : randomPoints(n)))
  }
  const tasks = sizes.length
  if (tasks <= POINTS) {
    for (let i = 0; i < tasks; i++) take(i, Math.min(sizes[i], Math.floor(POINTS / tasks) + (i < POINTS % tasks ? 1 : 0)))
  } else {
    for (let k = 0; k < POINTS; k++) take(Math.floor((k * tasks) / POINTS), 1)
  }
  return out
}

/** The first `n` points of chunk `index`, exactly as `piChunk(seed, index, n)` draws them. */
export function seededPoints(seed: number, index: number, n: number): Point[] {
  const fmix = (h: number): number => {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
    return h ^ (h >>> 16)
  }
  let sm = fmix(seed >>> 0) + Math.imul(index << 2, 0x9e3779b9)
  const next = (): number => {
    sm = (sm + 0x9e3779b9) | 0
    return fmix(sm)
  }
  let s0 = next()
  let s1 = next()
  let s2 = next()
  let s3 = next()
  const draw = (): number => {
    let r = Math.imul(s1, 5)
    r = Math.imul((r << 7) | (r >>> 25), 9)
    const t = s1 << 9
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << 11) | (s3 >>> 21)
    return (r >>> 0) * 2.3283064365386963e-10
  }
  const points: Point[] = []
  for (let k = 0; k < n; k++) {
    const x = draw()
    const y = draw()
    points.push([x, y, x * x + y * y <= 1 ? 1 : 0])
  }
  return points
}

function randomPoints(n: number): Point[] {
  return Array.from({ length: n }, (): Point => {
    const x = Math.random()
    const y = Math.random()
    return [x, y, x * x + y * y <= 1 ? 1 : 0]
  })
}
