import { describe, expect, it } from 'vitest'
import { piChunk, piChunkMathRandom } from '../../../src-main/experiments/pi/kernels'

/** xoshiro128** written plainly over a Uint32Array, as in the reference C code. */
function xoshiro128ss(state: Uint32Array): () => number {
  const s = Uint32Array.from(state)
  const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0
  return () => {
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0
    const t = (s[1] << 9) >>> 0
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 11)
    return result
  }
}

/** murmur3's fmix32. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0
  return (h ^ (h >>> 16)) >>> 0
}

/** The documented seeding: outputs 4i+1 … 4i+4 of the splitmix32 stream starting at fmix32(seed). */
function referenceChunk(seed: number, index: number, n: number): number {
  const golden = 0x9e3779b9
  const start = fmix32(seed >>> 0)
  const state = new Uint32Array(4)
  for (let k = 0; k < 4; k++) state[k] = fmix32((start + (4 * index + k + 1) * golden) % 2 ** 32)
  const next = xoshiro128ss(state)
  let inside = 0
  for (let k = 0; k < n; k++) {
    const x = next() / 2 ** 32
    const y = next() / 2 ** 32
    if (x * x + y * y <= 1) inside++
  }
  return inside
}

describe('the seeded π kernel', () => {
  it('is built on xoshiro128** (reference outputs for the state 1, 2, 3, 4)', () => {
    const next = xoshiro128ss(Uint32Array.of(1, 2, 3, 4))
    expect([next(), next(), next()]).toEqual([11520, 0, 5927040])
  })

  it('matches a plain reference implementation of its documented seeding', () => {
    for (const [seed, index, n] of [[42, 0, 1000], [42, 1, 1000], [0, 0, 777], [2 ** 32 - 1, 15, 500], [7, 123_456, 300]]) {
      expect(piChunk(seed, index, n), `piChunk(${seed}, ${index}, ${n})`).toBe(referenceChunk(seed, index, n))
    }
  })

  it('is a pure function of (seed, index, n)', () => {
    expect(piChunk(42, 3, 100_000)).toBe(piChunk(42, 3, 100_000))
    expect(piChunk(42, 3, 100_000)).not.toBe(piChunk(42, 4, 100_000))
    expect(piChunk(42, 3, 100_000)).not.toBe(piChunk(43, 3, 100_000))
  })

  it('keeps known values (changing them changes every published result)', () => {
    expect(piChunk(42, 0, 1_000_000)).toBe(KNOWN_42_0_1E6)
    expect(piChunk(42, 0, 0)).toBe(0)
    expect(piChunk(42, 0, 1)).toBeLessThanOrEqual(1)
  })

  it('estimates π/4 within a few standard errors for 1e6 samples', () => {
    const n = 1_000_000
    const p = piChunk(42, 0, n) / n
    const sigma = Math.sqrt((Math.PI / 4) * (1 - Math.PI / 4) / n)
    expect(Math.abs(p - Math.PI / 4)).toBeLessThan(5 * sigma)
  })

  it('is self-contained, so it can be re-created from its source alone', () => {
    const remote = new Function(`return (${piChunk.toString()})`)() as typeof piChunk
    expect(remote(9, 2, 10_000)).toBe(piChunk(9, 2, 10_000))
  })
})

describe('the math-random kernel', () => {
  it('estimates π/4 and ignores seed and index', () => {
    const n = 1_000_000
    const p = piChunkMathRandom(42, 0, n) / n
    expect(Math.abs(p - Math.PI / 4)).toBeLessThan(0.005)
    const remote = new Function(`return (${piChunkMathRandom.toString()})`)() as typeof piChunkMathRandom
    expect(remote(0, 0, 10)).toBeGreaterThanOrEqual(0)
  })
})

const KNOWN_42_0_1E6 = 785262
