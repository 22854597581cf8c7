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

  it('shows its own points in pictures: simdPoints are the points it draws', () => {
    for (const [seed, index, n] of [[42, 0, 1], [42, 3, 37], [7, 1, 2000]]) {
      const points = simdPoints(seed, index, n)
      expect(points).toHaveLength(n)
      expect(points.filter((p) => p[2] === 1).length, `(${seed}, ${index}, ${n})`).toBe(piChunkSimd(seed, index, n))
    }
  })
})

const KNOWN_42_0_1E6 = 785524
