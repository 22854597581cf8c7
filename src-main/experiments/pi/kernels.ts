/**
 * The π kernels: each counts how many of `n` random points in the unit square fall inside the
 * quarter circle. They travel to the engines by source (`fn.toString()`), so each must stay
 * self-contained: no imports, no closures, no helper functions, only `Math`.
 */

/**
 * Kernels a run can use: `seeded` is reproducible and fast; `simd` is reproducible too, and
 * faster where WebAssembly SIMD is (simdKernel.ts); `math-random` is the lecture's way.
 */
import { piChunkSimd } from './simdKernel'
import { isReproducible, PI_KERNELS, type PiKernel } from './types'

export { isReproducible, PI_KERNELS, piChunkSimd, type PiKernel }

/** A kernel's signature: hits among `n` samples of chunk `index` of a run seeded with `seed`. */
export type PiChunkKernel = (seed: number, index: number, n: number) => number

/**
 * Hits of chunk `index`: `n` points from xoshiro128**, two 32-bit outputs per point, each
 * scaled by 2**-32 into [0, 1). A pure function of `(seed, index, n)`.
 *
 * Seeding: the xoshiro state of chunk `i` is outputs `4i+1 … 4i+4` of a splitmix32 stream (a
 * Weyl sequence with step 0x9e3779b9, finalised by murmur3's fmix32) whose start is
 * `fmix32(seed)`. So chunks never share seeding outputs (for `index < 2**30`), the state is
 * never all zero (fmix32 is a bijection, so four distinct inputs give at most one zero), and
 * chunk `i` needs no other chunk to be computed first.
 *
 * Written for V8: the state lives in int32 locals, `Math.imul` multiplies, `>>> 0` makes the
 * outputs unsigned, and the hit test is branch-free (an `if` is much slower because the branch
 * is unpredictable: about 21 % of points miss).
 */
export function piChunk(seed: number, index: number, n: number): number {
  let sm = seed >>> 0
  sm = Math.imul(sm ^ (sm >>> 16), 0x85ebca6b)
  sm = Math.imul(sm ^ (sm >>> 13), 0xc2b2ae35)
  sm = (sm ^ (sm >>> 16)) + Math.imul(index << 2, 0x9e3779b9)
  let z = 0
  sm = (sm + 0x9e3779b9) | 0
  z = Math.imul(sm ^ (sm >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  let s0 = z ^ (z >>> 16)
  sm = (sm + 0x9e3779b9) | 0
  z = Math.imul(sm ^ (sm >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  let s1 = z ^ (z >>> 16)
  sm = (sm + 0x9e3779b9) | 0
  z = Math.imul(sm ^ (sm >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  let s2 = z ^ (z >>> 16)
  sm = (sm + 0x9e3779b9) | 0
  z = Math.imul(sm ^ (sm >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  let s3 = z ^ (z >>> 16)

  let inside = 0
  let a = 0
  let b = 0
  let t = 0
  for (let k = 0; k < n; k++) {
    // xoshiro128**: result = rotl(s1 * 5, 7) * 9, then the state update; twice per point.
    a = Math.imul(s1, 5)
    a = Math.imul((a << 7) | (a >>> 25), 9)
    t = s1 << 9
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << 11) | (s3 >>> 21)
    b = Math.imul(s1, 5)
    b = Math.imul((b << 7) | (b >>> 25), 9)
    t = s1 << 9
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << 11) | (s3 >>> 21)
    const x = (a >>> 0) * 2.3283064365386963e-10
    const y = (b >>> 0) * 2.3283064365386963e-10
    inside += ((x * x + y * y <= 1) as unknown as number) | 0
  }
  return inside
}

/** The lecture's kernel: `Math.random`, so `seed` and `index` are ignored and runs differ. */
export function piChunkMathRandom(seed: number, index: number, n: number): number {
  let inside = 0
  for (let k = 0; k < n; k++) {
    const x = Math.random()
    const y = Math.random()
    inside += ((x * x + y * y <= 1) as unknown as number) | 0
  }
  return inside
}

/** The kernel function of a kernel name. */
export function kernelFunction(kernel: PiKernel): PiChunkKernel {
  return KERNELS[kernel]
}

const KERNELS: Record<PiKernel, PiChunkKernel> = { seeded: piChunk, simd: piChunkSimd, 'math-random': piChunkMathRandom }
