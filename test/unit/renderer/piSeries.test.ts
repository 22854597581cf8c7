// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import type { ChunkRecord } from '../../../src-main/service/api'
import { convergence, engineShares, estimateDigits, MAX_CONVERGENCE_POINTS, thin, timeline } from '../../../src-renderer/src/lib/pi'
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

  it('continues the series of a list that grows in place, and starts over when a chunk comes out of order', () => {
    const list = Array.from({ length: 50 }, (_, i) => chunk(i, i % 3, 70 + (i % 11), i, i + 1))
    const growing: ChunkRecord[] = []
    for (const c of list.slice(0, 30)) {
      growing.push(c)
      convergence(growing)
    }
    growing.push(...list.slice(30))
    expect(convergence(growing)).toEqual(convergence([...list]))
    growing.push(chunk(50, 0, 80, 0, 0.5)) // completed before the others
    expect(convergence(growing)).toEqual(convergence([...growing]))
    expect(convergence(growing)[0].samples).toBe(100)
  })

  it('thins long series to at most the points a chart draws, keeping both ends', () => {
    const series = Array.from({ length: 5000 }, (_, i) => i)
    const thinned = thin(series, MAX_CONVERGENCE_POINTS)
    expect(thinned).toHaveLength(MAX_CONVERGENCE_POINTS)
    expect([thinned[0], thinned.at(-1)]).toEqual([0, 4999])
    expect(thin([1, 2], MAX_CONVERGENCE_POINTS)).toEqual([1, 2])
  })

  it('merges timeline bars per engine beyond the bars a chart draws, keeping every chunk counted', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => chunk(i, i % 4, 1, i, i + 1))
    const { engines, bars } = timeline(many, 1000)
    expect(engines).toEqual([0, 1, 2, 3])
    expect(bars.length).toBeLessThanOrEqual(1000)
    expect(bars.reduce((n, b) => n + b.count, 0)).toBe(10_000)
    expect(bars.reduce((n, b) => n + b.samples, 0)).toBe(100 * 10_000)
    expect(bars.every((b) => b.end > b.start)).toBe(true)
  })

  it('shows the estimate to two digits past its error', () => {
    expect(estimateDigits(1.6e-4)).toBe(6)
    expect(estimateDigits(0.02)).toBe(4)
  })
})
