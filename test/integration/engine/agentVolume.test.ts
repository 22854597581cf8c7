/**
 * Volume through the agent and engine: many sequential and pipelined tasks all answered in
 * order, and bulk typed arrays intact. Timings are measured by `npm run bench`, not here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAgent } from '../../../scripts/buildAgent.mjs'
import { AgentProcess, killAll } from '../../helpers/agentProcess'

const TRIVIAL = { source: '(x) => x', name: '' }
const N = 10_000

describe('agent and engine under volume', () => {
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
    let wrong = 0
    for (let i = 0; i < N; i++) {
      const result = await agent.task(0, { op: 'apply', fn: TRIVIAL, args: [i] })
      if (result.value !== i) wrong++
    }
    expect(wrong).toBe(0)
  })

  it(`pipelines ${N} trivial applies`, async () => {
    for (const engines of [1, 2]) {
      const ids = Array.from({ length: N }, (_, i) => agent.submit(i % engines, { op: 'apply', fn: TRIVIAL, args: [i] }))
      const results = await Promise.all(ids.map((id) => agent.result(id)))
      expect(results.map((r) => r.value)).toEqual(Array.from({ length: N }, (_, i) => i))
    }
  })

  it('maps 10,000 elements in one task with the function compiled once', async () => {
    const seq = Array.from({ length: N }, (_, i) => i)
    const value = await agent.value(1, { op: 'map', fn: { source: '(x) => x * 2', name: '' }, seqs: [seq] })
    expect(value).toEqual(seq.map((x) => x * 2))
  })

  it('pushes and pulls an 80 MB Float64Array through the agent intact', async () => {
    const data = new Float64Array(10 * 1024 * 1024)
    for (let i = 0; i < data.length; i += 4096) data[i] = i
    for (let round = 0; round < 2; round++) {
      data[7] = round
      await agent.value(0, { op: 'push', ns: { big: data } })
      const back = (await agent.value(0, { op: 'pull', names: 'big' })) as Float64Array
      expect(back).toBeInstanceOf(Float64Array)
      expect(back.length).toBe(data.length)
      expect(back[4096 * 100]).toBe(4096 * 100)
      expect(back[7]).toBe(round)
    }
  })
})
