/** The task stream's snapshot tail: the same bars, in the same order, as sorting every engine's tail. */
import { describe, expect, it } from 'vitest'
import type { TaskBar } from '../../../src-main/service/api'
import { newest } from '../../../src-main/service/taskStream'

const bySort = (rings: TaskBar[][], limit: number): TaskBar[] => {
  const all = rings.flat()
  all.sort((a, b) => (a.completed ?? a.submitted) - (b.completed ?? b.submitted))
  return all.slice(-limit)
}

let nextId = 0
const bar = (engineId: number, completed: number | null, submitted = 0): TaskBar => ({
  id: nextId++, client: 0, engineId, method: 'apply', submitted, started: completed, completed, status: 'ok',
})

/** Rings in completion order, with ties inside and across rings (times in coarse steps). */
function rings(engines: number, perEngine: number, seed: number): TaskBar[][] {
  let x = seed
  const rand = (): number => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  return Array.from({ length: engines }, (_, e) => {
    let t = 0
    return Array.from({ length: perEngine }, () => bar(e, (t += Math.floor(rand() * 3))))
  })
}

describe('the task stream tail', () => {
  it('matches a sort of every bar, ties included, with 256 engines', () => {
    for (const seed of [1, 2, 3]) {
      const r = rings(256, 50, seed)
      for (const limit of [1, 100, 5000, 256 * 50, 20_000]) expect(newest(r, limit)).toEqual(bySort(r, limit))
    }
  })

  it('matches it for rings out of order (tasks never placed, sorted by submission)', () => {
    const r = rings(4, 30, 7)
    r.push([bar(-1, null, 50), bar(-1, null, 10), bar(-1, null, 30)])
    expect(newest(r, 40)).toEqual(bySort(r, 40))
    expect(newest([], 10)).toEqual([])
  })
})
