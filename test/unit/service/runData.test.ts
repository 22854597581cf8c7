import { describe, expect, test } from 'vitest'
import { piChunk } from '../../../src-main/experiments/pi/kernels'
import type { ChunkRecord } from '../../../src-main/service/api'
import { compactChunks } from '../../../src-main/service/runs/chunkCollector'
import { POINTS, samplePoints, seededPoints } from '../../../src-main/service/runs/points'

describe('π picture points', () => {
  test.each([
    [42, 0, 1000],
    [7, 13, 5000],
    [2 ** 32 - 1, 999_999, 3000],
  ])('seed %i chunk %i: the points are piChunk\'s own (same hits for the first %i)', (seed, index, n) => {
    const points = seededPoints(seed, index, n)
    expect(points.reduce((a, p) => a + p[2], 0)).toBe(piChunk(seed, index, n))
    for (const [x, y] of points) expect(x >= 0 && x < 1 && y >= 0 && y < 1).toBe(true)
  })

  test(`spreads ${POINTS} points over few or many chunks, never more than a chunk has`, () => {
    expect(samplePoints('seeded', 1, [1000, 1000, 1000])).toHaveLength(POINTS)
    expect(samplePoints('seeded', 1, Array(10_000).fill(5))).toHaveLength(POINTS)
    expect(samplePoints('math-random', 1, [3, 3])).toHaveLength(6)
  })
})

describe('compactChunks', () => {
  test('merges neighbours on one engine, keeping every sum, to at most the limit', () => {
    const records: ChunkRecord[] = Array.from({ length: 10_000 }, (_, i) => ({ index: i, engineId: i % 3, samples: 10, hits: 7, started: i, completed: i + 1 }))
    const merged = compactChunks(records, 2000)
    expect(merged.length).toBeLessThanOrEqual(2000)
    expect(merged.length).toBeGreaterThan(1500)
    expect(merged.reduce((a, r) => a + (r.count ?? 1), 0)).toBe(10_000)
    expect(merged.reduce((a, r) => a + r.hits, 0)).toBe(70_000)
    expect(merged.reduce((a, r) => a + r.samples, 0)).toBe(100_000)
    for (let i = 1; i < merged.length; i++) expect(merged[i].completed).toBeGreaterThanOrEqual(merged[i - 1].completed)
    expect(compactChunks(merged, 2000)).toHaveLength(merged.length)
  })
})
