// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import type { ChunkRecord } from '../../../src-main/service/api'
import { convergence, engineShares, estimateDigits, timeline } from '../../../src-renderer/src/lib/pi'
import { runRecord } from './fakeClient'

const chunk = (index: number, engineId: number, hits: number, started: number, completed: number, count?: number): ChunkRecord => ({
  index,
  engineId,
  samples: 100,
  hits,
  started,
  completed,
  ...(count ? { count } : {}),
})

describe('the π charts’ series', () => {
  it('accumulates the estimate in completion order with its standard error', () => {
    const series = convergence([chunk(1, 0, 70, 0, 20), chunk(0, 1, 80, 0, 10)])
    expect(series.map((p) => p.samples)).toEqual([100, 200])
    expect(series[0].estimate).toBeCloseTo(3.2)
    expect(series[1].estimate).toBeCloseTo(3.0)
    expect(series[1].sigma).toBeCloseTo(4 * Math.sqrt((0.75 * 0.25) / 200))
  })

  it('lays chunks on per-engine lanes from the first start, keeping merged counts', () => {
    const { engines, bars } = timeline([chunk(0, 2, 1, 1000, 1010), chunk(1, 0, 1, 1005, 1030, 8)])
    expect(engines).toEqual([0, 2])
    expect(bars[1]).toMatchObject({ engineId: 0, start: 5, end: 30, count: 8 })
  })

  it('sums per-engine work from chunks while a run has no result yet', () => {
    const run = runRecord('r', { chunks: [chunk(0, 1, 5, 0, 10, 3), chunk(1, 1, 7, 10, 15), chunk(2, 0, 9, 0, 4)] })
    expect(engineShares(run)).toEqual([
      { engineId: 0, tasks: 1, hits: 9, busyMs: 4 },
      { engineId: 1, tasks: 4, hits: 12, busyMs: 15 },
    ])
  })

  it('shows the estimate to two digits past its error', () => {
    expect(estimateDigits(1.6e-4)).toBe(6)
    expect(estimateDigits(0.02)).toBe(4)
  })
})
