import { afterEach, describe, expect, it } from 'vitest'
import { Client } from '../../../src-main/core/client/Client'
import { CompositeError, EngineError, NoEnginesError, RemoteError, TaskAborted, TimeoutError, UsageError } from '../../../src-main/core/client/errors'
import { HandshakeError, NodeConnection } from '../../../src-main/core/client/NodeConnection'
import { FakeAgent, type FakeAgentOptions } from '../../helpers/fakeAgent'

const agents: FakeAgent[] = []
afterEach(() => agents.splice(0).forEach((a) => a.close()))

async function startClient(engines = 2, options: FakeAgentOptions = {}): Promise<{ rc: Client; agent: FakeAgent }> {
  const agent = new FakeAgent(options)
  agents.push(agent)
  const node = new NodeConnection(agent.controllerSide, { label: 'fake' })
  await node.handshake(1000)
  const rc = new Client()
  rc.attach(node)
  const ids = Array.from({ length: engines }, (_, i) => i)
  rc.expectEngines(node, ids)
  node.spawn(ids)
  await rc.waitForEngines(ids, 1000)
  return { rc, agent }
}

describe('Client over an in-memory agent', () => {
  it('refuses an agent speaking another protocol version', async () => {
    const agent = new FakeAgent({ version: 999 })
    agents.push(agent)
    const node = new NodeConnection(agent.controllerSide, { label: 'fake' })
    await expect(node.handshake(1000)).rejects.toThrow(HandshakeError)
    await expect(new NodeConnection(new FakeAgent({ version: 999 }).controllerSide, { label: 'x' }).handshake(1000)).rejects.toThrow(/version 999/)
  })

  it('returns one value per engine in target order, and bare values for one engine', async () => {
    const { rc } = await startClient(3)
    expect(rc.ids).toEqual([0, 1, 2])
    expect(await rc.view().apply((engine: number) => engine * 10)).toEqual([0, 10, 20])
    expect(await rc.view([2, 0]).apply((engine: number) => engine)).toEqual([2, 0])
    expect(await rc.view(1).apply((engine: number) => `e${engine}`)).toBe('e1')
    expect(rc.engines.map((e) => e.state)).toEqual(['idle', 'idle', 'idle'])
  })

  it('rejects with a CompositeError from several engines and a bare RemoteError from one', async () => {
    const { rc } = await startClient(2)
    const err = await rc.view().apply(() => { throw new TypeError('nope') }).then(() => null, (e) => e)
    expect(err).toBeInstanceOf(CompositeError)
    expect((err as CompositeError).errors.map((e) => e.engineId)).toEqual([0, 1])
    const single = await rc.view(1).apply(() => { throw new TypeError('nope') }).then(() => null, (e) => e)
    expect(single).toBeInstanceOf(RemoteError)
    expect(String(single)).toBe('[1:apply] TypeError: nope')
  })

  it('maps in order over the engines that have a share', async () => {
    const { rc, agent } = await startClient(4)
    expect(await rc.view().map((x: number) => x * 2, [1, 2, 3])).toEqual([2, 4, 6])
    expect(agent.received.filter((t) => t.op === 'map')).toHaveLength(3)
    expect(await rc.view().map((x: number) => x, [])).toEqual([])
    expect(await rc.view().map((a: number, b: number) => a + b, [1, 2, 3], [10, 20])).toEqual([11, 22])
  })

  it('load-balances map into ceil(L/chunkSize) tasks and keeps order', async () => {
    const { rc, agent } = await startClient(2, { delayMs: (e) => (e === 0 ? 5 : 0) })
    const lv = rc.loadBalancedView()
    const seq = Array.from({ length: 10 }, (_, i) => i)
    const ar = lv.map((x: number) => x * x, seq, { chunkSize: 3 })
    const progress: number[] = []
    ar.onProgress((done) => progress.push(done))
    expect(await ar).toEqual(seq.map((x) => x * x))
    expect(ar.length).toBe(4)
    expect(progress).toEqual([1, 2, 3, 4])
    expect(agent.received.filter((t) => t.op === 'map').map((t) => (t as { seqs: unknown[][] }).seqs[0].length)).toEqual([3, 3, 2, 2])
    expect(new Set(ar.metadata.map((m) => m.engineId))).toEqual(new Set([0, 1]))
  })

  it('runs queued load-balanced tasks once direct tasks free the engines', async () => {
    const { rc, agent } = await startClient(2)
    agent.hold = true
    // The direct tasks reach both engines before the balancer's first dispatch: every engine is
    // full, and only the direct tasks' results can make room.
    const lb = rc.loadBalancedView().map((x: number) => x * 3, [1, 2, 3, 4, 5, 6], { chunkSize: 1 })
    const direct = rc.view().apply(() => 'direct')
    await new Promise((r) => setTimeout(r, 20))
    expect(lb.progress).toBe(0)
    agent.hold = false
    agent.release(0)
    agent.release(1)
    expect(await direct).toEqual(['direct', 'direct'])
    expect(await lb.get(2000)).toEqual([3, 6, 9, 12, 15, 18])
  })

  it('retries a failed load-balanced task on another engine', async () => {
    const { rc } = await startClient(2)
    const flaky = (engine: number) => {
      if (engine === 0) throw new Error('engine 0 is flaky')
      return engine
    }
    const lv = rc.loadBalancedView([0, 1], { retries: 1 })
    const results = await Promise.all(Array.from({ length: 4 }, () => lv.apply(flaky)))
    expect(results).toEqual([1, 1, 1, 1])
    const noRetry = rc.loadBalancedView([0])
    await expect(noRetry.apply(flaky)).rejects.toThrow(/engine 0 is flaky/)
    // Out of retries: the error and the metadata both name the engine that failed last.
    const exhausted = rc.loadBalancedView([0], { retries: 2 }).apply(flaky)
    await expect(exhausted).rejects.toThrow(/^\[0:apply\] Error: engine 0 is flaky/)
    expect(exhausted.metadata[0].engineId).toBe(0)
  })

  it('fails direct tasks of a dying engine with EngineError and retries balanced ones', async () => {
    const { rc, agent } = await startClient(2)
    agent.hold = true
    const direct = rc.view(0).apply(() => 1)
    const balanced = rc.loadBalancedView([0], { retries: 1 }).apply(() => 2)
    await new Promise((r) => setTimeout(r, 10))
    agent.hold = false
    agent.kill(0, 3)
    const err = await direct.then(() => null, (e) => e)
    expect(err).toBeInstanceOf(EngineError)
    expect((err as EngineError).exitCode).toBe(3)
    expect(String(err)).toMatch(/engine 0 on fake died \(exit code 3\)/)
    expect(rc.ids).toEqual([1])
    // The balanced task cannot run elsewhere (targets [0]) and reports the death.
    await expect(balanced).rejects.toThrow(EngineError)
    const lv = rc.loadBalancedView(undefined, { retries: 1 })
    expect(await lv.apply(() => 'still working')).toBe('still working')
    expect(rc.engines.find((e) => e.id === 0)?.state).toBe('dead')
  })

  it('aborts queued tasks with TaskAborted and leaves others alone', async () => {
    const { rc, agent } = await startClient(1)
    agent.hold = true
    const ar = rc.loadBalancedView().map((x: number) => x, [1, 2, 3, 4, 5, 6])
    await new Promise((r) => setTimeout(r, 10))
    ar.abort()
    agent.release(0)
    const err = await ar.then(() => null, (e) => e)
    expect(err).toBeInstanceOf(CompositeError)
    expect((err as CompositeError).errors.every((e) => e instanceof TaskAborted)).toBe(true)
    // Tasks dropped from the queue never reached an engine: no engine id in their name.
    expect((err as CompositeError).message).toMatch(/\n\[map\]: TaskAborted: /)
    expect((err as CompositeError).message).not.toContain('-1')
    expect(ar.ready()).toBe(true)
    expect(ar.successful()).toBe(false)
  })

  it('times out get() without cancelling the work', async () => {
    const { rc, agent } = await startClient(1)
    agent.hold = true
    const ar = rc.view(0).apply(() => 'late')
    await expect(ar.get(20)).rejects.toThrow(TimeoutError)
    expect(await ar.wait(10)).toBe(false)
    agent.release(0)
    expect(await ar.get(1000)).toBe('late')
    expect(ar.successful()).toBe(true)
    expect(ar.elapsed).toBeGreaterThan(0)
  })

  it('turns bad arguments into a rejected result with a clear message', async () => {
    const { rc } = await startClient(1)
    const dv = rc.view()
    await expect(dv.apply(Math.sqrt as never, 4)).rejects.toThrow(/native.*wrap it/)
    await expect(dv.apply('x => x' as never)).rejects.toThrow(UsageError)
    await expect(dv.push({ 'a-b': 1 })).rejects.toThrow(/not a valid variable name/)
    await expect(dv.execute(42 as never)).rejects.toThrow(/string of JavaScript/)
    await expect(dv.scatter('a', [1], { dist: 'x' as never })).rejects.toThrow(/dist must be/)
    expect(() => rc.view(7)).toThrow(/no engine 7/)
  })

  it('sends each function with its own name, also when another has the same source', async () => {
    const { rc, agent } = await startClient(1)
    const lv = rc.loadBalancedView()
    const first = () => 1
    const second = () => 1
    for (let i = 0; i < 3; i++) expect(await lv.apply(() => 1)).toBe(1)
    expect(await lv.apply(first)).toBe(1)
    expect(await lv.apply(second)).toBe(1)
    expect(await lv.apply(first)).toBe(1)
    const sent = agent.received.map((t) => (t.op === 'apply' ? [t.fn.source, t.fn.name] : null))
    expect(sent).toEqual([...Array(3).fill(['() => 1', '']), ['() => 1', 'first'], ['() => 1', 'second'], ['() => 1', 'first']])
  })

  it('refuses views when no engine is running', () => {
    expect(() => new Client().view()).toThrow(NoEnginesError)
    expect(() => new Client().loadBalancedView()).toThrow(NoEnginesError)
  })
})
