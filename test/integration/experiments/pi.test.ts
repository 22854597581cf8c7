/**
 * The π experiment on real local engines: every mode reproduces the same hits with any engine
 * count, and the per-engine figures add up.
 */
import { availableParallelism } from 'node:os'
import { blockBounds } from '../../../src-main/core/client/partition'
import { describe, expect, it } from 'vitest'
import { chunkSizes, PI_MODES, piChunk, runPi } from '../../../src-main/experiments/pi/runPi'
import { startLocal } from '../../helpers/cluster'

const SAMPLES = 2e6
const TASKS = 16
/** Computed here, chunk by chunk, so a remote run has something independent to match. */
const expectedHits = chunkSizes(SAMPLES, TASKS).reduce((sum, n, i) => sum + piChunk(42, i, n), 0)

describe('π on real local engines', () => {
  it('knows the hits that every run must reproduce', () => {
    expect(expectedHits).toBe(1_571_067)
  })

  it.each([2, 3])('gives bit-identical hits in every mode on %i engines', async (engines) => {
    const { rc } = await startLocal(engines)
    for (const mode of PI_MODES) {
      const r = await runPi(rc, { samples: SAMPLES, tasks: TASKS, mode, seed: 42 })
      expect(r.requestedSamples, mode).toBe(SAMPLES)
      if (mode === 'lb-apply') {
        // The pitfall: one engine draws the first engine's share only.
        const [a, b] = blockBounds(TASKS, engines)[0]
        const sizes = chunkSizes(SAMPLES, TASKS)
        expect(r.tasks).toBe(b - a)
        expect(r.samples).toBe(sizes.slice(a, b).reduce((x, y) => x + y, 0))
        expect(r.hits).toBe(sizes.slice(a, b).reduce((sum, n, k) => sum + piChunk(42, a + k, n), 0))
        expect(r.perEngine.filter((e) => e.tasks > 0)).toHaveLength(1)
        continue
      }
      expect(r.hits, mode).toBe(expectedHits)
      expect(r.pi, mode).toBe((4 * expectedHits) / SAMPLES)
      expect(r.engines, mode).toBe(engines)
      expect(r.perEngine.map((e) => e.engineId), mode).toEqual(rc.ids)
      expect(r.perEngine.reduce((a, e) => a + e.tasks, 0), mode).toBe(TASKS)
      expect(r.perEngine.reduce((a, e) => a + e.samples, 0), mode).toBe(SAMPLES)
      expect(r.perEngine.reduce((a, e) => a + e.hits, 0), mode).toBe(expectedHits)
      expect(r.wallMs, mode).toBeGreaterThan(0)
      expect(r.speedup, mode).toBeGreaterThan(0)
      expect(r.efficiency, mode).toBeCloseTo(r.speedup / engines, 12)
      expect(r.perEngine.every((e) => e.tasks > 0), `${mode} uses every engine`).toBe(true)
    }
  })

  it('lb-apply computes one share on exactly one engine', async () => {
    const { rc } = await startLocal(2)
    const r = await runPi(rc, { samples: SAMPLES, tasks: TASKS, mode: 'lb-apply' })
    const used = r.perEngine.filter((e) => e.tasks > 0)
    expect(used).toHaveLength(1)
    expect(used[0]).toMatchObject({ tasks: TASKS / 2, samples: SAMPLES / 2 })
    expect(r.requestedTasks).toBe(TASKS)
    expect(r.perEngine.find((e) => e.tasks === 0)?.busyMs).toBe(0)
  })

  it('measures speedup by the CPU time of the work: more engines than cores are no faster than the cores', async () => {
    const cores = availableParallelism()
    const { rc } = await startLocal(cores * 2)
    const r = await runPi(rc, { samples: 4e7, tasks: cores * 4, mode: 'direct-map' })
    // (CPU time may exceed an engine's busy time a little: V8 compiles on background threads.)
    expect(r.perEngine.every((e) => e.cpuMs > 0)).toBe(true)
    // All the processes together cannot use more CPU than the cores give in the wall time; busy
    // time counts the waits for a core and would claim ~2 × cores here.
    expect(r.speedup).toBeLessThanOrEqual(cores * 1.15)
    expect(r.efficiency).toBeLessThanOrEqual(0.6)
  })

  it('lb-map survives an engine killed mid-run: its chunks run elsewhere, the hits are exact', async () => {
    const { rc } = await startLocal(3)
    const samples = 1e8
    const tasks = 64
    const expected = chunkSizes(samples, tasks).reduce((sum, n, i) => sum + piChunk(7, i, n), 0)
    const victim = rc.engines.find((e) => e.id === 1)!.pid!
    let killed = false
    const r = await runPi(rc, {
      samples, tasks, mode: 'lb-map', seed: 7,
      onProgress: (done) => {
        if (done >= 4 && !killed) {
          killed = true
          process.kill(victim, 'SIGKILL')
        }
      },
    })
    expect(killed).toBe(true)
    expect(r.hits).toBe(expected)
    expect(r.tasks).toBe(tasks)
    expect(rc.ids).toEqual([0, 2])
  })

  it('runs on chosen targets only', async () => {
    const { rc } = await startLocal(3)
    const r = await runPi(rc, { samples: SAMPLES, tasks: TASKS, mode: 'direct-map', targets: [0, 2] })
    expect(r.perEngine.map((e) => e.engineId)).toEqual([0, 2])
    expect(r.hits).toBe(expectedHits)
    await expect(runPi(rc, { samples: SAMPLES, tasks: TASKS, mode: 'lb-map', targets: [7] })).rejects.toThrow(/^targets: there is no engine 7/)
  })

  it('gives a plausible π with the math-random kernel', async () => {
    const { rc } = await startLocal(2)
    const r = await runPi(rc, { samples: 4e6, tasks: 8, mode: 'lb-map', kernel: 'math-random' })
    expect(r.kernel).toBe('math-random')
    expect(Math.abs(r.pi - Math.PI)).toBeLessThan(6 * r.stdError)
    expect(r.perEngine.reduce((a, e) => a + e.hits, 0)).toBe(r.hits)
  })
})
