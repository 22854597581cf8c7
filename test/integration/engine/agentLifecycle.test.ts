/**
 * No process outlives its purpose: engine exits are reported at once, and the agent takes its
 * engines down when its stream ends, heartbeats stop, the controller asks, or it is killed.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildAgent } from '../../../scripts/buildAgent.mjs'
import { AGENT } from '../../../src-main/core/protocol/messages'
import { AGENT_BUNDLE, AgentProcess, gone, isAlive, killAll } from '../../helpers/agentProcess'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

beforeAll(async () => {
  await buildAgent()
})
afterEach(() => killAll())
afterAll(() => killAll())

async function startWithEngines(ids: number[], args: string[] = [], ping = true): Promise<AgentProcess> {
  const agent = new AgentProcess(args, { ping })
  await agent.handshake()
  await agent.spawnEngines(ids)
  return agent
}

describe('engine exits', () => {
  it('reports an engine that exits with its code and the tail of its stderr, at once', async () => {
    const agent = await startWithEngines([0, 1])
    const sent = Date.now()
    agent.submit(0, { op: 'execute', code: "require('fs').writeSync(2, 'dying words\\n'); console.error('captured last words'); process.exit(3)" })
    const exit = await agent.nextOfType('engineExit')
    expect(Date.now() - sent).toBeLessThan(1500)
    expect(exit).toMatchObject({ engine: 0, code: 3, signal: null })
    expect(exit.stderrTail).toContain('dying words')
    expect(exit.stderrTail).toContain('captured last words')
    expect((await agent.task(1, { op: 'execute', code: '"engine 1 unaffected"' })).executeResult).toBe("'engine 1 unaffected'")
  })

  it('reports an engine killed by a signal', async () => {
    const agent = await startWithEngines([3])
    agent.send(AGENT, { type: 'signal', engine: 3, signal: 'SIGKILL' })
    expect(await agent.nextOfType('engineExit')).toMatchObject({ engine: 3, code: null, signal: 'SIGKILL' })
    expect(await gone(agent.enginePids.get(3)!)).toBe(true)
  })

  it('reports an engine that cannot start, and refuses a duplicate id', async () => {
    const agent = new AgentProcess()
    await agent.handshake()
    agent.send(AGENT, { type: 'spawn', engines: [5], cwd: '/no/such/directory/here' })
    const exit = await agent.nextOfType('engineExit')
    expect(exit.engine).toBe(5)
    expect(exit.stderrTail).toContain('ENOENT')
    expect((await agent.nextOfType('agentError')).message).toContain('cannot start engine 5')

    await agent.spawnEngines([6])
    agent.send(AGENT, { type: 'spawn', engines: [6] })
    expect((await agent.nextOfType('agentError')).message).toContain('engine 6: it is already running')
  })
})

describe('the agent takes its engines down', () => {
  it('when its stdin ends', async () => {
    const agent = await startWithEngines([0, 1])
    agent.child.stdin.end()
    expect((await agent.exited).code).toBe(0)
    for (const pid of agent.enginePids.values()) expect(await gone(pid)).toBe(true)
  })

  it('when the controller asks, reporting each engine', async () => {
    const agent = await startWithEngines([0, 1])
    agent.send(AGENT, { type: 'shutdown' })
    const exits = [await agent.nextOfType('engineExit'), await agent.nextOfType('engineExit')]
    expect(exits.map((e) => e.engine).sort()).toEqual([0, 1])
    expect((await agent.exited).code).toBe(0)
    for (const pid of agent.enginePids.values()) expect(await gone(pid)).toBe(true)
  })

  it('when no ping comes within the heartbeat timeout', async () => {
    // Heartbeats until the engine is up (a loaded machine may take longer than 500 ms to start
    // it), then silence.
    const agent = new AgentProcess(['--heartbeat-timeout', '500'], { pingMs: 100 })
    await agent.handshake()
    await agent.spawnEngines([0])
    agent.stopPinging()
    const { code } = await Promise.race([agent.exited, sleep(10_000).then(() => ({ code: 'still running' }))])
    expect(code).toBe(1)
    expect(agent.stderr).toContain('no ping from the controller for 500 ms')
    expect(await gone(agent.enginePids.get(0)!)).toBe(true)
  })

  it('not while pings keep coming', async () => {
    const agent = new AgentProcess(['--heartbeat-timeout', '500'], { pingMs: 100 })
    await agent.handshake()
    await agent.spawnEngines([0])
    await sleep(1200)
    expect(isAlive(agent.child.pid!)).toBe(true)
    expect((await agent.task(0, { op: 'execute', code: '40 + 2' })).executeResult).toBe('42')
  })

  it('and an engine busy in a loop dies when its agent is SIGKILLed (orphan watchdog)', async () => {
    const agent = await startWithEngines([0])
    const pid = agent.enginePids.get(0)!
    agent.submit(0, { op: 'execute', code: 'while (true) {}' })
    await sleep(200)
    process.kill(agent.child.pid!, 'SIGKILL')
    await agent.exited
    expect(await gone(pid, 3000)).toBe(true)
  })
})

describe('backpressure', () => {
  it('pauses the controller stream instead of buffering big pushes for a busy engine', async () => {
    const agent = await startWithEngines([0])
    const rss = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${agent.child.pid}/status`, 'utf8'))![1]) / 1024
    const before = rss()
    const busy = agent.submit(0, { op: 'execute', code: 'const until = Date.now() + 1500; while (Date.now() < until) {}' })
    const data = new Float64Array(10 * 1024 * 1024).fill(0.25)
    const pushes = [0, 1, 2, 3].map(() => agent.submit(0, { op: 'push', ns: { data } }))
    let peak = 0
    const sampler = setInterval(() => (peak = Math.max(peak, rss())), 20)
    try {
      expect((await agent.result(busy)).status).toBe('ok')
      for (const id of pushes) expect((await agent.result(id)).status).toBe('ok')
    } finally {
      clearInterval(sampler)
    }
    // 320 MB were sent while the engine could not read; the agent held at most a few MB of them.
    // Its RSS also carries the relayed chunks it has not collected yet: ~40 MB on Node 20, up to
    // ~86 MB on Node 24 (whose GC lets more external memory pile up), however much is sent.
    const sent = (pushes.length * data.byteLength) / 2 ** 20
    expect(peak - before).toBeLessThan(sent / 3)
  })
})

describe('startup', () => {
  it('runs from a lone copy of the bundle, as uploaded to a node', async () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'clusterdesk-upload-'))
    try {
      const bundle = join(dir, 'agent-0123abcd.cjs')
      copyFileSync(AGENT_BUNDLE, bundle)
      const agent = new AgentProcess([], { bundle })
      await agent.handshake()
      await agent.spawnEngines([0], { cwd: dir })
      expect(await agent.value(0, { op: 'apply', fn: { source: '(a, b) => a + b', name: '' }, args: [40, 2] })).toBe(42)
      expect(await agent.value(0, { op: 'pull', names: 'process' }).catch((e: Error) => e.message)).toContain('SerializationError')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('has two engines registered quickly', async () => {
    const started = performance.now()
    const agent = await startWithEngines([0, 1])
    const elapsed = performance.now() - started
    console.log(`agent + 2 engines registered in ${elapsed.toFixed(0)} ms (${os.cpus().length} cores)`)
    expect(elapsed).toBeLessThan(3000)
    expect(agent.enginePids.size).toBe(2)
  })
})
