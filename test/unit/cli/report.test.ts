import { describe, expect, it } from 'vitest'
import { formatComparison, formatReport } from '../../../src-main/cli/report'
import type { PiKernel, PiMode, PiResult } from '../../../src-main/experiments/pi/runPi'

function result(kernel: PiKernel, mode: PiMode, hits: number): PiResult {
  const samples = 1000
  return {
    pi: (4 * hits) / samples, hits, samples, tasks: 4, requestedSamples: samples, requestedTasks: 4, mode, kernel, seed: 42, engines: 2,
    wallMs: 10, samplesPerSec: 1e5, stdError: 0.05, speedup: 1.5, efficiency: 0.75,
    perEngine: [{ engineId: 0, tasks: 2, samples: 500, hits: hits / 2, busyMs: 5, cpuMs: 5 }, { engineId: 1, tasks: 2, samples: 500, hits: hits / 2, busyMs: 5, cpuMs: 5 }],
  }
}

describe('the π reports', () => {
  it('show the seed of the reproducible kernels, seeded and simd, and say math-random is not', () => {
    expect(formatReport(result('seeded', 'lb-map', 786))).toContain('kernel seeded, seed 42')
    expect(formatReport(result('simd', 'lb-map', 786))).toContain('kernel simd, seed 42')
    expect(formatReport(result('math-random', 'lb-map', 786))).toContain('kernel math-random (not reproducible)')
  })

  it('hold a simd comparison to the same hits in every mode, as a seeded one', () => {
    const same = formatComparison([result('simd', 'direct-map', 786), result('simd', 'lb-map', 786)])
    expect(same).toContain('kernel simd, seed 42')
    expect(same).toContain('gave the same hits, as the simd kernel guarantees')
    expect(formatComparison([result('simd', 'direct-map', 786), result('simd', 'lb-map', 790)])).toContain('DIFFERENT hits: this is a bug, the simd kernel')
    expect(formatComparison([result('math-random', 'direct-map', 786), result('math-random', 'lb-map', 790)])).toContain('not reproducible')
  })
})
