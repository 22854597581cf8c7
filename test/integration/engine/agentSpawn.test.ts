/**
 * The agent starts engines a few per core at a time (so it keeps answering while many start),
 * and reports an engine whose liveness beats stop, and again when they resume.
 */
import os from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import { AGENT } from '../../../src-main/core/protocol/messages'
import { AgentProcess, killAll } from '../../helpers/agentProcess'

afterEach(() => killAll())

describe('the agent starting many engines', () => {
  it('has at most a batch of engines starting at once, and all register', async () => {
    const batch = Math.max(4, 2 * os.availableParallelism())
    const count = batch * 3
    const agent = new AgentProcess()
    await agent.handshake()
    agent.send(AGENT, { type: 'spawn', engines: Array.from({ length: count }, (_, i) => i) })
    let starting = 0
    let most = 0
    const registered = new Set<number>()
    while (registered.size < count) {
      const { engine, message } = await agent.next((r) => r.message.type === 'engineStarted' || r.message.type === 'registered', 60_000)
      if (message.type === 'engineStarted') most = Math.max(most, ++starting)
      else {
        starting--
        registered.add(engine)
      }
    }
    expect(most).toBeLessThanOrEqual(batch)
    expect(most).toBeGreaterThan(1)
    // The helper pinged every second all along (the agent exits after 15 s without); it answers still.
    agent.send(AGENT, { type: 'ping', seq: 99 })
    const pong = await agent.next((r) => r.message.type === 'pong' && r.message.seq === 99)
    expect(pong.engine).toBe(AGENT)
  }, 90_000)
})

describe('engine liveness', () => {
  it('reports an engine silent past notRespondingMs (SIGSTOP) and again when it answers (SIGCONT)', async () => {
    const agent = new AgentProcess()
    await agent.handshake()
    agent.send(AGENT, { type: 'spawn', engines: [0], notRespondingMs: 1000 })
    const { pid } = await agent.nextOfType('engineStarted')
    await agent.nextOfType('registered', 0, 15_000)
    process.kill(pid, 'SIGSTOP')
    try {
      const silent = await agent.nextOfType('engineLiveness', AGENT, 10_000)
      expect(silent).toMatchObject({ type: 'engineLiveness', engine: 0, responding: false })
      expect(silent.silentMs).toBeGreaterThanOrEqual(1000)
    } finally {
      process.kill(pid, 'SIGCONT')
    }
    expect(await agent.nextOfType('engineLiveness', AGENT, 10_000)).toMatchObject({ engine: 0, responding: true })
    expect((await agent.task(0, { op: 'execute', code: '6 * 7' })).executeResult).toBe('42')
  })
})
