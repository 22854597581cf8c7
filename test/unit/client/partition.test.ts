import { describe, expect, it } from 'vitest'
import { blockSizes, concatParts, partition, zipLength } from '../../../src-main/core/client/partition'

describe('block partition (ipyparallel semantics)', () => {
  it('gives the first L mod N parts one extra item', () => {
    expect(blockSizes(50, 8)).toEqual([7, 7, 6, 6, 6, 6, 6, 6])
    expect(blockSizes(16, 8)).toEqual([2, 2, 2, 2, 2, 2, 2, 2])
    expect(blockSizes(101, 8)).toEqual([13, 13, 13, 13, 13, 12, 12, 12])
  })

  it('puts 4 items over 8 engines one each, then empty lists', () => {
    expect(partition([0, 1, 2, 3], 8)).toEqual([[0], [1], [2], [3], [], [], [], []])
  })

  it('keeps parts contiguous and complete', () => {
    const seq = Array.from({ length: 50 }, (_, i) => i)
    const parts = partition<number>(seq, 8)
    expect(parts.flat()).toEqual(seq)
    expect(parts[0]).toEqual([0, 1, 2, 3, 4, 5, 6])
    expect(parts[2][0]).toBe(14)
  })

  it('deals round-robin with dist r', () => {
    expect(partition([0, 1, 2, 3, 4, 5, 6], 3, 'r')).toEqual([[0, 3, 6], [1, 4], [2, 5]])
  })

  it('splits typed arrays into typed arrays of the same kind', () => {
    const seq = Float64Array.from({ length: 10 }, (_, i) => i / 2)
    const parts = partition(seq, 3) as unknown as Float64Array[]
    expect(parts.map((p) => p.constructor)).toEqual([Float64Array, Float64Array, Float64Array])
    expect(parts.map((p) => p.length)).toEqual([4, 3, 3])
    expect(Array.from(parts[1])).toEqual([2, 2.5, 3])
    const rr = partition(Int32Array.from([1, 2, 3, 4, 5]), 2, 'r') as unknown as Int32Array[]
    expect(rr[0]).toBeInstanceOf(Int32Array)
    expect(Array.from(rr[0])).toEqual([1, 3, 5])
    expect(Array.from(rr[1])).toEqual([2, 4])
  })

  it('rejects a partition into no parts', () => {
    expect(() => partition([1], 0)).toThrow(/0 parts/)
  })
})

describe('gather', () => {
  it('concatenates lists in order', () => {
    expect(concatParts([[1, 2], [], [3]])).toEqual([1, 2, 3])
  })

  it('concatenates typed arrays into one typed array', () => {
    const out = concatParts([Float32Array.from([1, 2]), new Float32Array(0), Float32Array.from([3])])
    expect(out).toBeInstanceOf(Float32Array)
    expect(Array.from(out as Float32Array)).toEqual([1, 2, 3])
  })

  it('treats scalars as single items', () => {
    expect(concatParts([1, [2, 3], 4])).toEqual([1, 2, 3, 4])
  })
})

describe('zip', () => {
  it('zips to the shortest sequence', () => {
    expect(zipLength([[1, 2, 3], [1, 2]])).toBe(2)
    expect(zipLength([])).toBe(0)
  })
})
