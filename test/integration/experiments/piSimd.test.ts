/**
 * The simd π kernel on real local engines: the engines run its WebAssembly path, and its hits are
 * the same in every mode and with any engine count — the ones computed here, chunk by chunk.
 */
import { describe, expect, it } from 'vitest'
import { chunkSizes, PI_MODES, piChunk, piChunkSimd, runPi } from '../../../src-main/experiments/pi/runPi'
import { startLocal } from '../../helpers/cluster'

const SAMPLES = 2_000_003
const TASKS = 16
const sizes = chunkSizes(SAMPLES, TASKS)
const expectedHits = sizes.reduce((sum, n, i) => sum + piChunkSimd(42, i, n), 0)

describe('the simd π kernel on real local engines', () => {
  it('knows the hits every run must reproduce (and they are not seeded\'s)', () => {
    expect(expectedHits).toBe(1_569_836)
    expect(expectedHits).not.toBe(sizes.reduce((sum, n, i) => sum + piChunk(42, i, n), 0))
  })

  it.each([1, 2])('gives bit-identical hits in every mode on %i engine(s), computed with WebAssembly SIMD', async (engines) => {
    const { rc } = await startLocal(engines)
    for (const mode of PI_MODES.filter((m) => m !== 'lb-apply')) {
      const r = await runPi(rc, { samples: SAMPLES, tasks: TASKS, mode, seed: 42, kernel: 'simd' })
      expect(r, mode).toMatchObject({ hits: expectedHits, samples: SAMPLES, tasks: TASKS, kernel: 'simd', engines })
      expect(r.perEngine.reduce((a, e) => a + e.hits, 0), mode).toBe(expectedHits)
    }
    const paths = await rc.view(rc.ids).apply(() => {
      const cached = (globalThis as unknown as { __clusterdeskPiSimd?: unknown }).__clusterdeskPiSimd
      return cached === undefined ? 'unused' : cached === null ? 'js' : 'wasm'
    })
    expect(paths).toEqual(rc.ids.map(() => 'wasm'))
  })

  it('gives the same hits on engines that take the JS path (told they have no WebAssembly SIMD)', async () => {
    const { rc } = await startLocal(2)
    await rc.view(rc.ids).execute('globalThis.__clusterdeskPiSimd = null')
    const r = await runPi(rc, { samples: SAMPLES, tasks: TASKS, mode: 'direct-map', seed: 42, kernel: 'simd' })
    expect(r.hits).toBe(expectedHits)
    const cached = await rc.view(rc.ids).apply(() => (globalThis as unknown as { __clusterdeskPiSimd?: unknown }).__clusterdeskPiSimd)
    expect(cached).toEqual([null, null])
  })

  it('lb-apply draws one engine\'s share with the same per-chunk hits', async () => {
    const { rc } = await startLocal(2)
    const r = await runPi(rc, { samples: SAMPLES, tasks: TASKS, mode: 'lb-apply', seed: 42, kernel: 'simd' })
    expect(r.tasks).toBe(TASKS / 2)
    expect(r.hits).toBe(sizes.slice(0, TASKS / 2).reduce((sum, n, i) => sum + piChunkSimd(42, i, n), 0))
  })
})
