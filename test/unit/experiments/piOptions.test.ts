import { describe, expect, it } from 'vitest'
import { chunkSizes, MAX_TASKS, PiOptionsError, resolvePiOptions, type PiOptions } from '../../../src-main/experiments/pi/options'

const base: PiOptions = { samples: 1000, tasks: 4, mode: 'lb-map' }

/** The PiOptionsError that `options` raise. */
function errorOf(options: unknown): PiOptionsError {
  try {
    resolvePiOptions(options as PiOptions)
  } catch (err) {
    expect(err).toBeInstanceOf(PiOptionsError)
    return err as PiOptionsError
  }
  throw new Error(`no error for ${JSON.stringify(options)}`)
}

describe('chunk splitting (block rule)', () => {
  it('gives the first samples mod tasks chunks one extra sample', () => {
    expect(chunkSizes(10, 3)).toEqual([4, 3, 3])
    expect(chunkSizes(2_000_000, 16)).toEqual(Array(16).fill(125_000))
    expect(chunkSizes(17, 16)).toEqual([2, ...Array(15).fill(1)])
    expect(chunkSizes(5, 5)).toEqual([1, 1, 1, 1, 1])
    expect(chunkSizes(7, 1)).toEqual([7])
  })

  it('always sums to samples, also for large counts', () => {
    for (const [samples, tasks] of [[1e8, 16], [1e8 + 7, 3], [123_457, 1000], [2 ** 40 + 3, 7]]) {
      const sizes = chunkSizes(samples, tasks)
      expect(sizes).toHaveLength(tasks)
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(samples)
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
    }
  })
})

describe('π options', () => {
  it('fills in the defaults', () => {
    expect(resolvePiOptions(base)).toMatchObject({ samples: 1000, tasks: 4, mode: 'lb-map', kernel: 'seeded', seed: 42 })
    expect(resolvePiOptions({ samples: 1000, tasks: 4 }).mode).toBe('lb-map')
    expect(resolvePiOptions({ samples: 1e8, tasks: 16, mode: 'direct-map', kernel: 'math-random', seed: 0 })).toMatchObject({ samples: 100_000_000, kernel: 'math-random', seed: 0 })
  })

  it.each([
    ['samples', 0], ['samples', -5], ['samples', 1.5], ['samples', Number.NaN], ['samples', Infinity], ['samples', '1e8'], ['samples', undefined], ['samples', 2 ** 60],
    ['tasks', 0], ['tasks', -1], ['tasks', 2.5], ['tasks', Number.NaN], ['tasks', '16'], ['tasks', null], ['tasks', MAX_TASKS + 1],
    ['seed', -1], ['seed', 0.5], ['seed', 2 ** 32], ['seed', '42'],
  ])('refuses %s = %s, naming the option and what it accepts', (option, value) => {
    const err = errorOf({ ...base, [option]: value })
    expect(err.option).toBe(option)
    expect(err.message).toMatch(new RegExp(`^${option}: must be a whole number`))
    expect(err.name).toBe('PiOptionsError')
  })

  it('refuses more tasks than samples', () => {
    const err = errorOf({ ...base, samples: 10, tasks: 11 })
    expect(err.option).toBe('tasks')
    expect(err.message).toContain('at most as many tasks as samples')
  })

  it('refuses unknown modes and kernels, listing the allowed ones', () => {
    const mode = errorOf({ ...base, mode: 'fast' })
    expect(mode.option).toBe('mode')
    expect(mode.message).toBe('mode: unknown mode "fast"; use one of direct-map, lb-map, direct-apply, lb-apply, scatter-execute, parallel-map')
    const kernel = errorOf({ ...base, kernel: 'crypto' })
    expect(kernel.option).toBe('kernel')
    expect(kernel.message).toContain('seeded, simd, math-random')
  })

  it('refuses a missing options object and a progress listener that is not a function', () => {
    expect(errorOf(undefined).option).toBe('options')
    expect(errorOf({ ...base, onProgress: 3 }).option).toBe('onProgress')
  })
})
