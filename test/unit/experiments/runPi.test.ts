/**
 * runPi's modes over an in-process agent with real vm contexts: the bookkeeping (which engine
 * computed which chunk, sums, progress) without engine processes. Real engines: test/integration.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { NoEnginesError } from '../../../src-main/core/client/errors'
import { chunkSizes, PI_MODES, piChunk, piChunkSimd, PiOptionsError, runPi, type PiMode } from '../../../src-main/experiments/pi/runPi'
import { startVmClient, type VmAgent } from './vmAgent'

const agents: VmAgent[] = []
afterEach(() => agents.splice(0).forEach((a) => a.close()))

async function client(engines: number) {
  const started = await startVmClient(engines)
  agents.push(started.agent)
  return started
}

/** Hits computed here, chunk by chunk: what every mode must reproduce. */
const localHits = (seed: number, samples: number, tasks: number): number =>
  chunkSizes(samples, tasks).reduce((sum, n, i) => sum + piChunk(seed, i, n), 0)

describe('runPi over in-process engines', () => {
  it.each(PI_MODES.map((m) => [m]))('%s gives the locally computed hits, attributed to the engines', async (mode) => {
    const { rc } = await client(3)
    const r = await runPi(rc, { samples: 100_003, tasks: 16, mode: mode as PiMode, seed: 7 })
    if (mode === 'lb-apply') {
      // One engine's share: the first 6 of 16 chunks over 3 engines.
      const sizes = chunkSizes(100_003, 16).slice(0, 6)
      expect(r).toMatchObject({ tasks: 6, samples: sizes.reduce((a, b) => a + b, 0), requestedTasks: 16, requestedSamples: 100_003 })
      expect(r.hits).toBe(sizes.reduce((sum, n, i) => sum + piChunk(7, i, n), 0))
      return
    }
    expect(r.hits).toBe(localHits(7, 100_003, 16))
    expect(r).toMatchObject({ samples: 100_003, tasks: 16, mode, kernel: 'seeded', seed: 7, engines: 3 })
    expect(r.pi).toBe((4 * r.hits) / r.samples)
    expect(r.perEngine.map((e) => e.engineId)).toEqual([0, 1, 2])
    expect(r.perEngine.reduce((a, e) => a + e.tasks, 0)).toBe(16)
    expect(r.perEngine.reduce((a, e) => a + e.samples, 0)).toBe(100_003)
    expect(r.perEngine.reduce((a, e) => a + e.hits, 0)).toBe(r.hits)
    expect(r.stdError).toBeCloseTo(4 * Math.sqrt((r.hits / r.samples) * (1 - r.hits / r.samples) / r.samples), 12)
    expect(r.wallMs).toBeGreaterThan(0)
    expect(r.samplesPerSec).toBeCloseTo(r.samples / (r.wallMs / 1000), 6)
    expect(r.efficiency).toBeCloseTo(r.speedup / 3, 12)
  })

  it('splits blocks as ipyparallel does in direct-map, direct-apply, scatter-execute and parallel-map', async () => {
    const { rc } = await client(3)
    for (const mode of ['direct-map', 'direct-apply', 'scatter-execute', 'parallel-map'] as const) {
      const r = await runPi(rc, { samples: 1600, tasks: 16, mode })
      expect(r.perEngine.map((e) => e.tasks), mode).toEqual([6, 5, 5])
      expect(r.perEngine.map((e) => e.samples), mode).toEqual([600, 500, 500])
    }
  })

  it('lb-apply computes one engine\'s share on one engine and leaves the rest undone', async () => {
    const { rc, agent } = await client(3)
    const r = await runPi(rc, { samples: 10_000, tasks: 8, mode: 'lb-apply' })
    const busy = r.perEngine.filter((e) => e.tasks > 0)
    expect(busy).toHaveLength(1)
    // 8 chunks over 3 engines: the first share is 3 chunks of 1,250 samples.
    expect(busy[0]).toMatchObject({ tasks: 3, samples: 3750, hits: r.hits })
    expect(r).toMatchObject({ samples: 3750, tasks: 3, requestedSamples: 10_000, requestedTasks: 8 })
    expect(agent.received.filter((t) => t.task.op === 'apply')).toHaveLength(1)
  })

  it('runs on the chosen targets only', async () => {
    const { rc, agent } = await client(4)
    const r = await runPi(rc, { samples: 4000, tasks: 8, mode: 'lb-map', targets: [1, 3] })
    expect(r.engines).toBe(2)
    expect(r.perEngine.map((e) => e.engineId)).toEqual([1, 3])
    expect(new Set(agent.received.map((t) => t.engine))).toEqual(new Set([1, 3]))
    expect(r.hits).toBe(localHits(42, 4000, 8))
  })

  it('handles fewer chunks than engines', async () => {
    const { rc } = await client(3)
    for (const mode of PI_MODES) {
      const r = await runPi(rc, { samples: 10, tasks: 2, mode })
      if (mode === 'lb-apply') {
        expect(r.tasks, mode).toBe(1) // one share of 2 chunks over 3 engines
        continue
      }
      expect(r.hits, mode).toBe(localHits(42, 10, 2))
      expect(r.perEngine.reduce((a, e) => a + e.tasks, 0), mode).toBe(2)
    }
  })

  it('reports progress in chunks, ending at the total', async () => {
    const { rc } = await client(2)
    for (const mode of PI_MODES) {
      const seen: Array<[number, number]> = []
      await runPi(rc, { samples: 1000, tasks: 10, mode, onProgress: (done, total) => seen.push([done, total]) })
      const planned = mode === 'lb-apply' ? 5 : 10 // lb-apply: the first of 2 engines' blocks
      expect(seen.at(-1), mode).toEqual([planned, planned])
      expect(seen.every(([d, t], i) => t === planned && (i === 0 || d > seen[i - 1][0])), mode).toBe(true)
    }
  })

  it.each(PI_MODES.filter((m) => m !== 'lb-apply').map((m) => [m]))('%s with the simd kernel gives its locally computed hits (not seeded\'s)', async (mode) => {
    const { rc } = await client(3)
    const r = await runPi(rc, { samples: 100_003, tasks: 16, mode: mode as PiMode, seed: 7, kernel: 'simd' })
    const expected = chunkSizes(100_003, 16).reduce((sum, n, i) => sum + piChunkSimd(7, i, n), 0)
    expect(r).toMatchObject({ hits: expected, samples: 100_003, tasks: 16, kernel: 'simd', seed: 7 })
    expect(r.hits).not.toBe(localHits(7, 100_003, 16))
  })

  it('gives a plausible π with the math-random kernel', async () => {
    const { rc } = await client(2)
    const r = await runPi(rc, { samples: 400_000, tasks: 4, mode: 'direct-map', kernel: 'math-random' })
    expect(Math.abs(r.pi - Math.PI)).toBeLessThan(6 * r.stdError)
  })

  it('refuses targets naming no engine, and bad options before sending anything', async () => {
    const { rc, agent } = await client(2)
    await expect(runPi(rc, { samples: 100, tasks: 4, mode: 'lb-map', targets: [5] })).rejects.toThrow(PiOptionsError)
    await expect(runPi(rc, { samples: 100, tasks: 4, mode: 'lb-map', targets: [5] })).rejects.toThrow(/^targets: there is no engine 5; engines are \[0, 1\]/)
    await expect(runPi(rc, { samples: 100, tasks: 4, mode: 'lb-map', targets: [0, 0] })).rejects.toThrow(/targets: .*twice/)
    await expect(runPi(rc, { samples: 100, tasks: 400, mode: 'lb-map' })).rejects.toThrow(/^tasks: /)
    await expect(runPi(rc, { samples: 100, tasks: 4, mode: 'nope' as PiMode })).rejects.toThrow(/^mode: unknown mode "nope"/)
    expect(agent.received).toHaveLength(0)
  })

  it('says so when the client has no engines', async () => {
    const { Client } = await import('../../../src-main/core/client/Client')
    await expect(runPi(new Client(), { samples: 100, tasks: 4, mode: 'lb-map' })).rejects.toThrow(NoEnginesError)
  })
})
