import { describe, expect, test } from 'vitest'
import { piChunk, piChunkSimd } from '../../../src-main/experiments/pi/kernels'
import type { ChunkRecord } from '../../../src-main/service/api'
import { ChunkCollector, compactChunks, MAX_CHUNK_RECORDS } from '../../../src-main/service/runs/chunkCollector'
import { POINTS, samplePoints, seededPoints } from '../../../src-main/service/runs/points'
import type { TaskOp } from '../../../src-main/core/protocol/messages'

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

  test('a simd run\'s points are its own (piChunkSimd\'s hits for the first points of each chunk)', () => {
    const points = samplePoints('simd', 9, [1000, 1000])
    expect(points).toHaveLength(POINTS)
    expect(points.slice(0, 1000).reduce((a, p) => a + p[2], 0)).toBe(piChunkSimd(9, 0, 1000))
    expect(points.slice(1000).reduce((a, p) => a + p[2], 0)).toBe(piChunkSimd(9, 1, 1000))
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

describe('ChunkCollector', () => {
  // An lb-map task as the collector sees it: one chunk, its hits, on an engine.
  const task = (index: number, engineId: number, at: number) =>
    ({
      meta: { status: 'ok', engineId, started: new Date(at), completed: new Date(at + 1) },
      value: [78],
    }) as never
  const op = (index: number): TaskOp => ({ op: 'map', fn: { source: '', name: '' }, seqs: [[1], [index], [100]] })

  test('only appends: drain hands out each record once, in order, and the list never shrinks', () => {
    const collector = new ChunkCollector(10, 2)
    for (let i = 0; i < 4; i++) collector.taskDone(task(i, i % 2, i), op(i))
    expect(collector.drain()).toMatchObject({ from: 0, chunks: [{ index: 0 }, { index: 1 }, { index: 2 }, { index: 3 }] })
    collector.taskDone(task(4, 0, 4), op(4))
    expect(collector.drain()).toMatchObject({ from: 4, chunks: [{ index: 4 }] })
    expect(collector.drain()).toEqual({ from: 5, chunks: [] })
    expect(collector.final().map((c) => c.index)).toEqual([0, 1, 2, 3, 4])
  })

  test(`a run of more than ${MAX_CHUNK_RECORDS} chunks merges as it goes, never rewriting what was drained`, () => {
    const tasks = 10_000
    const collector = new ChunkCollector(tasks, 32)
    const drained: ChunkRecord[] = []
    for (let i = 0; i < tasks; i++) {
      collector.taskDone(task(i, i % 32, i), op(i))
      if (i % 700 === 0) {
        const { from, chunks } = collector.drain()
        expect(from).toBe(drained.length)
        drained.push(...chunks)
      }
    }
    drained.push(...collector.drain().chunks)
    expect(collector.chunks).toEqual(drained)
    const final = collector.final()
    expect(final.length).toBeLessThanOrEqual(MAX_CHUNK_RECORDS)
    expect(final.reduce((n, c) => n + (c.count ?? 1), 0)).toBe(tasks)
    expect(final.reduce((n, c) => n + c.samples, 0)).toBe(100 * tasks)
    expect(final.reduce((n, c) => n + c.hits, 0)).toBe(78 * tasks)
  })
})
