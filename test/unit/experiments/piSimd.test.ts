import { fileURLToPath } from 'node:url'
import vm from 'node:vm'
import { build } from 'esbuild'
import { afterEach, describe, expect, it } from 'vitest'
import { assemblePiSimd } from '../../../scripts/build-pi-wasm.mjs'
import { piChunk } from '../../../src-main/experiments/pi/kernels'
import { simdPoints } from '../../../src-main/experiments/pi/points'
import { piChunkSimd, SIMD_LANES, type PiSimdModule } from '../../../src-main/experiments/pi/simdKernel'

type Cache = { __clusterdeskPiSimd?: PiSimdModule | null }
const cache = globalThis as unknown as Cache

afterEach(() => {
  delete cache.__clusterdeskPiSimd // the next call looks for WebAssembly SIMD again
})

/** The kernel on its plain-JS path: the cache says this engine has no WebAssembly SIMD. */
function jsPath(seed: number, index: number, n: number): number {
  const kept = cache.__clusterdeskPiSimd
  cache.__clusterdeskPiSimd = null
  try {
    return piChunkSimd(seed, index, n)
  } finally {
    cache.__clusterdeskPiSimd = kept
  }
}

/** The kernel's source evaluated in a fresh context with the given globals (as an engine would). */
function inContext(globals: Record<string, unknown>): { kernel: typeof piChunkSimd; context: Cache } {
  const context = vm.createContext({ ...globals }) as Cache
  return { kernel: vm.runInContext(`(${piChunkSimd.toString()})`, context) as typeof piChunkSimd, context }
}

/** The documented definition, from the seeded kernel: lane l is seeded chunk 16i + l, sample k is lane k mod 16's. */
function fromSeeded(seed: number, index: number, n: number): number {
  const rounds = Math.floor(n / SIMD_LANES)
  let hits = 0
  for (let l = 0; l < SIMD_LANES; l++) hits += piChunk(seed, SIMD_LANES * index + l, rounds + (l < n % SIMD_LANES ? 1 : 0))
  return hits
}

// n = 0, 1, odd, below and above one round of 16, not divisible by 16, and across the
// kernel's 4096-round blocks into WebAssembly (65,536 points each).
const CASES: Array<[number, number, number]> = [
  [42, 0, 0], [42, 0, 1], [42, 0, 7], [42, 0, 15], [42, 0, 16], [42, 0, 17], [42, 1, 31], [42, 2, 33],
  [0, 0, 1000], [1, 5, 4097], [2 ** 32 - 1, 999_999, 12_345], [7, 123, 65_536], [7, 123, 65_537], [9, 3, 300_007],
  [123_456_789, 2 ** 20, 1_048_576 + 15],
]

describe('the simd π kernel', () => {
  it('carries the module assembled from piSimd.wat (run scripts/build-pi-wasm.mjs after editing it)', async () => {
    const literal = /const WASM =\s*['"]([A-Za-z0-9+/=]*)['"]/.exec(piChunkSimd.toString())?.[1]
    expect(literal).toBe(await assemblePiSimd())
  })

  it('runs on WebAssembly SIMD here (Node >= 16.4 has it)', () => {
    expect(piChunkSimd(42, 0, 100)).toBeGreaterThan(0)
    expect(cache.__clusterdeskPiSimd).not.toBeNull()
    expect(typeof cache.__clusterdeskPiSimd?.hits).toBe('function')
  })

  it('gives the same hits on its WebAssembly and its JS path, bit for bit', () => {
    for (const [seed, index, n] of CASES) {
      const wasm = piChunkSimd(seed, index, n)
      expect(cache.__clusterdeskPiSimd, 'the WebAssembly path ran').toBeTruthy()
      expect(jsPath(seed, index, n), `piChunkSimd(${seed}, ${index}, ${n})`).toBe(wasm)
    }
  })

  it('is the documented function: 16 lanes seeded as seeded chunks 16i … 16i + 15, sample k drawn by lane k mod 16', () => {
    for (const [seed, index, n] of CASES) {
      expect(piChunkSimd(seed, index, n), `WebAssembly path, (${seed}, ${index}, ${n})`).toBe(fromSeeded(seed, index, n))
    }
    for (const [seed, index, n] of CASES.slice(0, 10)) expect(jsPath(seed, index, n), `JS path, (${seed}, ${index}, ${n})`).toBe(fromSeeded(seed, index, n))
  })

  it('keeps known values (changing them changes every published simd result)', () => {
    expect(piChunkSimd(42, 0, 1_000_000)).toBe(KNOWN_42_0_1E6)
    expect(piChunkSimd(42, 0, 1_000_000)).not.toBe(piChunk(42, 0, 1_000_000))
  })

  it('falls back to the JS path where WebAssembly is missing, with the same hits', () => {
    const { kernel, context } = inContext({ WebAssembly: undefined })
    for (const [seed, index, n] of CASES.slice(0, 11)) expect(kernel(seed, index, n), `(${seed}, ${index}, ${n})`).toBe(piChunkSimd(seed, index, n))
    expect(context.__clusterdeskPiSimd).toBeNull()
  })

  it('falls back to the JS path where WebAssembly has no SIMD (validate refuses the module) or compiling throws', () => {
    let validated = 0
    const noSimd = inContext({ WebAssembly: { validate: () => (validated++, false) } })
    expect(noSimd.kernel(42, 1, 1001)).toBe(piChunkSimd(42, 1, 1001))
    expect(noSimd.kernel(42, 2, 999)).toBe(piChunkSimd(42, 2, 999))
    expect(validated, 'looked once, then kept the answer').toBe(1)
    expect(noSimd.context.__clusterdeskPiSimd).toBeNull()

    const refusing = inContext({ WebAssembly: { validate: () => true, Module: class { constructor() { throw new Error('CompileError') } } } })
    expect(refusing.kernel(5, 0, 77)).toBe(piChunkSimd(5, 0, 77))
    expect(refusing.context.__clusterdeskPiSimd).toBeNull()
  })

  it('is self-contained, so it runs from its source alone, in a context of its own', () => {
    const { kernel, context } = inContext({})
    expect(kernel(9, 2, 100_003)).toBe(piChunkSimd(9, 2, 100_003))
    expect(context.__clusterdeskPiSimd, 'the fresh context compiled its own module').toBeTruthy()
  })

  it('stays self-contained through the library build (esbuild with keepNames, as scripts/build-lib.mjs)', async () => {
    const entry = fileURLToPath(new URL('../../../src-main/experiments/pi/kernels.ts', import.meta.url))
    const out = await build({ entryPoints: [entry], bundle: true, write: false, format: 'esm', platform: 'node', target: 'node20', keepNames: true, logLevel: 'silent' })
    const built = (await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`)) as { piChunkSimd: typeof piChunkSimd }
    const { kernel, context } = inContext({})
    const shipped = vm.runInContext(`(${built.piChunkSimd.toString()})`, context) as typeof piChunkSimd
    expect(shipped(3, 4, 1009)).toBe(piChunkSimd(3, 4, 1009))
    expect(kernel(3, 4, 1009)).toBe(piChunkSimd(3, 4, 1009))
  })

  it('estimates π within a few standard errors at 1e7 samples', () => {
    let hits = 0
    for (let i = 0; i < 10; i++) hits += piChunkSimd(42, i, 1_000_000)
    const p = hits / 1e7
    const sigma = 4 * Math.sqrt((p * (1 - p)) / 1e7)
    expect(Math.abs(4 * p - Math.PI)).toBeLessThan(4 * sigma)
  })

  it('decides points at the circle\'s edge as the float64 test does (crafted states; both sides of the circle and of the integer pre-test\'s thresholds)', () => {
    piChunkSimd(42, 0, 16)
    const wasm = cache.__clusterdeskPiSimd
    if (!wasm) throw new Error('no WebAssembly SIMD here')
    const points = edgePoints()
    const inside = points.map(([a, b]) => floatTest(a, b))
    expect(inside.filter(Boolean).length, 'hits among the crafted points').toBeGreaterThan(points.length / 4)
    expect(inside.filter((x) => !x).length, 'misses among the crafted points').toBeGreaterThan(points.length / 4)
    const rounding = points.filter(([a, b]) => floatTest(a, b) !== exactTest(a, b))
    expect(rounding.length, 'points where float64 rounding decides (exactly outside, inside in float64)').toBeGreaterThan(3)

    // One point at a time, in each of the 8 lanes in turn; the other lanes draw (0, 0), a hit.
    points.forEach(([a, b], i) => {
      const lane = i % 8
      for (let l = 0; l < 8; l++) craft(wasm.state, l, l === lane ? a : 0, l === lane ? b : 0)
      expect(wasm.hits(0, 1), `(${a}, ${b}) in lane ${lane}`).toBe(7 + (inside[i] ? 1 : 0))
    })
    // Eight edge points at once, so certain and uncertain lanes share a vector.
    for (let i = 0; i + 8 <= points.length; i += 8) {
      for (let l = 0; l < 8; l++) craft(wasm.state, l, points[i + l][0], points[i + l][1])
      expect(wasm.hits(0, 1), `points ${i} … ${i + 7}`).toBe(inside.slice(i, i + 8).filter(Boolean).length)
    }
  })

  it('shows its own points in pictures: simdPoints are the points it draws', () => {
    for (const [seed, index, n] of [[42, 0, 1], [42, 3, 37], [7, 1, 2000]]) {
      const points = simdPoints(seed, index, n)
      expect(points).toHaveLength(n)
      expect(points.filter((p) => p[2] === 1).length, `(${seed}, ${index}, ${n})`).toBe(piChunkSimd(seed, index, n))
    }
  })
})

const KNOWN_42_0_1E6 = 785524

/** The kernel's point test, by its definition: a*a + b*b <= 2**64 in float64. */
const floatTest = (a: number, b: number): boolean => a * a + b * b <= 2 ** 64

/** The point's true position: a^2 + b^2 <= 2^64 in integers. */
const exactTest = (a: number, b: number): boolean => BigInt(a) ** 2n + BigInt(b) ** 2n <= 2n ** 64n

/** The largest b with a^2 + b^2 <= 2^64 (at most 2^32 - 1). */
function edgeOf(a: number): number {
  let b = Math.min(2 ** 32 - 1, Math.floor(Math.sqrt(2 ** 64 - a * a)))
  while (b > 0 && !exactTest(a, b)) b--
  while (b < 2 ** 32 - 1 && exactTest(a, b + 1)) b++
  return b
}

/**
 * Points the kernel's integer pre-test (piSimd.wat) could get wrong: on both sides of the circle
 * (b = edge - 1 … edge + 2, both ways round), where float64 rounding decides (a near 2^32, b
 * small), and around the pre-test's thresholds S = (a >>> 17)^2 + (b >>> 17)^2 = 2^30 - 2^17 and
 * 2^30, with the low 17 bits all zero or all one.
 */
function edgePoints(): Array<[number, number]> {
  const points: Array<[number, number]> = []
  const push = (a: number, b: number) => {
    if (a >= 0 && b >= 0 && a < 2 ** 32 && b < 2 ** 32) points.push([a, b], [b, a])
  }
  let r = 12345
  const random = () => (r = (Math.imul(r, 1664525) + 1013904223) >>> 0)
  const as = [0, 1, 2 ** 16, 2 ** 31, 0xb504f333, 2 ** 32 - 1]
  for (let i = 0; i < 200; i++) as.push(Math.floor(((i + 0.37) / 200) * 2 ** 32), random())
  for (const a of as) for (let d = -1; d <= 2; d++) push(a, edgeOf(a) + d)
  for (let a = 2 ** 32 - 1, found = 0; found < 20 && a > 2 ** 32 - 200_000; a--) {
    const b = edgeOf(a) + 1
    if (floatTest(a, b)) push(a, b), found++
  }
  for (const target of [2 ** 30 - 2 ** 17 - 1, 2 ** 30 - 2 ** 17, 2 ** 30, 2 ** 30 + 1]) {
    for (let i = 0; i < 40; i++) {
      const ha = Math.floor((i / 40) * 2 ** 15 * Math.SQRT1_2) + (random() & 511)
      const hb = Math.floor(Math.sqrt(target - ha * ha))
      for (const h of [hb, hb + 1]) for (const low of [0, 2 ** 17 - 1]) push(ha * 2 ** 17 + low, h * 2 ** 17 + (2 ** 17 - 1 - low))
      for (const h of [hb, hb + 1]) for (const low of [0, 2 ** 17 - 1]) push(ha * 2 ** 17 + low, h * 2 ** 17 + low)
    }
  }
  return points
}

/**
 * Lane l's state (group 0 of the module's memory) set so that its next point is (a, b): a is
 * rotl(s1 * 5, 7) * 9, inverted for s1; b is the same of s1 after one update, s1 ^ s2 ^ s0, so s2
 * follows from it. Checked against a plain xoshiro128** draw.
 */
function craft(state: Int32Array, l: number, a: number, b: number): void {
  const unmix = (v: number) => {
    const u = Math.imul(v, 0x38e38e39) // 9^-1 mod 2^32
    return Math.imul((u >>> 7) | (u << 25), 0xcccccccd) // rotr 7, then 5^-1 mod 2^32
  }
  const s1 = unmix(a)
  const s0 = Math.imul(l + 1, 0x9e3779b9)
  const s3 = Math.imul(l + 7, 0x85ebca6b)
  const s2 = unmix(b) ^ s1 ^ s0
  const s = [s0, s1, s2, s3]
  const out = () => {
    const m = Math.imul(s[1], 5)
    const v = Math.imul((m << 7) | (m >>> 25), 9) >>> 0
    const t = s[1] << 9
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = (s[3] << 11) | (s[3] >>> 21)
    return v
  }
  if (out() !== a || out() !== b) throw new Error(`crafted state draws another point than (${a}, ${b})`)
  for (let w = 0; w < 4; w++) state[8 * w + l] = [s0, s1, s2, s3][w]
}
