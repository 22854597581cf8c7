import { describe, expect, it } from 'vitest'
import { InvalidTargetsError, NoEnginesError } from '../../../src-main/core/client/errors'
import { parseTargets, resolveTargets, sliceIds } from '../../../src-main/core/client/targets'

const ids = [0, 1, 2, 3, 4, 5, 6, 7]

describe('view targets', () => {
  it('resolves all, one id, and lists', () => {
    expect(resolveTargets(undefined, ids)).toEqual({ ids, single: false })
    expect(resolveTargets('all', ids).ids).toEqual(ids)
    expect(resolveTargets(3, ids)).toEqual({ ids: [3], single: true })
    expect(resolveTargets([0, 2], ids)).toEqual({ ids: [0, 2], single: false })
  })

  it('counts negative ids from the end like rc[-1]', () => {
    expect(resolveTargets(-1, ids).ids).toEqual([7])
    expect(resolveTargets([-2, 0], ids).ids).toEqual([6, 0])
  })

  it('takes Python slices', () => {
    expect(sliceIds({ step: 2 }, ids)).toEqual([0, 2, 4, 6])
    expect(sliceIds({ start: 1, step: 2 }, ids)).toEqual([1, 3, 5, 7])
    expect(sliceIds({ start: -3 }, ids)).toEqual([5, 6, 7])
    expect(sliceIds({ stop: -6 }, ids)).toEqual([0, 1])
    expect(sliceIds({ step: -1 }, ids)).toEqual([7, 6, 5, 4, 3, 2, 1, 0])
    expect(sliceIds({ start: 100 }, ids)).toEqual([])
    expect(sliceIds({ start: 1, stop: 4 }, [0, 2, 5, 9, 11])).toEqual([2, 5, 9])
  })

  it('refuses unknown ids with a message listing the engines', () => {
    expect(() => resolveTargets(99, ids)).toThrow(InvalidTargetsError)
    expect(() => resolveTargets(99, ids)).toThrow(/no engine 99; engines are \[0, 1/)
    expect(() => resolveTargets(-9, ids)).toThrow(/out of range/)
    expect(() => resolveTargets(1.5, ids)).toThrow(/integers/)
    expect(() => resolveTargets({ step: 0 }, ids)).toThrow(/non-zero/)
    expect(() => resolveTargets({ start: 50 }, ids)).toThrow(/selects no engine/)
  })

  it('refuses any view of an empty cluster', () => {
    expect(() => resolveTargets(undefined, [])).toThrow(NoEnginesError)
  })

  it('parses the console syntax', () => {
    expect(parseTargets('all')).toBe('all')
    expect(parseTargets('3')).toBe(3)
    expect(parseTargets('-1')).toBe(-1)
    expect(parseTargets('0,2, 5')).toEqual([0, 2, 5])
    expect(parseTargets('::2')).toEqual({ start: null, stop: null, step: 2 })
    expect(parseTargets('1:')).toEqual({ start: 1, stop: null, step: null })
    expect(() => parseTargets('a')).toThrow(/not an engine id/)
  })
})
