/**
 * What the design's performance targets need from the agent and engine: trivial round trips,
 * pipelined task throughput and bulk typed-array transfer through the agent. Bounds are loose
 * (test files run in parallel on small machines) but catch an order-of-magnitude regression;
 * the measured numbers are printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAgent } from '../../../scripts/buildAgent.mjs'
import { AgentProcess, killAll } from '../../helpers/agentProcess'

const TRIVIAL = { source: '(x) => x', name: '' }
const N = 10_000

describe('agent and engine performance', () => {
  let agent: AgentProcess

  beforeAll(async () => {
    await buildAgent()
    agent = new AgentProcess()
    await agent.handshake()
    await agent.spawnEngines([0, 1])
    // Warm up both ends (JIT, caches).
    for (let i = 0; i < 2000; i++) await agent.task(0, { op: 'apply', fn: TRIVIAL, args: [i] })
  })
  afterAll(() => killAll())

  it(`round-trips ${N} sequential trivial applies`, async () => {
    const started = performance.now()
    for (let i = 0; i < N; i++) {
      const result = await agent.task(0, { op: 'apply', fn: TRIVIAL, args: [i] })
      if (result.value !== i) throw new Error(`task ${i} returned ${String(result.value)}`)
    }
    const perTaskMs = (performance.now() - started) / N
    console.log(`sequential apply round trip: ${(perTaskMs * 1000).toFixed(0)} µs`)
    expect(perTaskMs).toBeLessThan(1)
  })

  it(`pipelines ${N} trivial applies`, async () => {
    for (const engines of [1, 2]) {
      const started = performance.now()
      const ids = Array.from({ length: N }, (_, i) => agent.submit(i % engines, { op: 'apply', fn: TRIVIAL, args: [i] }))
      const results = await Promise.all(ids.map((id) => agent.result(id)))
      const perSecond = N / ((performance.now() - started) / 1000)
      console.log(`pipelined applies on ${engines} engine(s): ${perSecond.toFixed(0)} tasks/s`)
      expect(results.map((r) => r.value)).toEqual(Array.from({ length: N }, (_, i) => i))
      expect(perSecond).toBeGreaterThan(10_000)
    }
  })

  it('maps 10,000 elements in one task with the function compiled once', async () => {
    const seq = Array.from({ length: N }, (_, i) => i)
    const started = performance.now()
    const value = await agent.value(1, { op: 'map', fn: { source: '(x) => x * 2', name: '' }, seqs: [seq] })
    console.log(`map of ${N} in one task: ${(performance.now() - started).toFixed(1)} ms`)
    expect(value).toEqual(seq.map((x) => x * 2))
  })

  it('pushes and pulls an 80 MB Float64Array through the agent', async () => {
    const data = new Float64Array(10 * 1024 * 1024)
    for (let i = 0; i < data.length; i += 4096) data[i] = i
    const rates: string[] = []
    let best = { push: 0, pull: 0 }
    for (let round = 0; round < 3; round++) {
      let started = performance.now()
      await agent.value(0, { op: 'push', ns: { big: data } })
      const push = data.byteLength / 1e6 / ((performance.now() - started) / 1000)
      started = performance.now()
      const back = (await agent.value(0, { op: 'pull', names: 'big' })) as Float64Array
      const pull = data.byteLength / 1e6 / ((performance.now() - started) / 1000)
      expect(back.length).toBe(data.length)
      expect(back[4096 * 100]).toBe(4096 * 100)
      rates.push(`push ${push.toFixed(0)} MB/s, pull ${pull.toFixed(0)} MB/s`)
      best = { push: Math.max(best.push, push), pull: Math.max(best.pull, pull) }
    }
    console.log(`80 MB Float64Array through the agent: ${rates.join('; ')}`)
    expect(best.push).toBeGreaterThan(100)
    expect(best.pull).toBeGreaterThan(100)
  })
})
