/** The controller's side of an engine that stops answering, over an in-memory agent. */
import { afterEach, describe, expect, it } from 'vitest'
import { Client } from '../../../src-main/core/client/Client'
import { NodeConnection } from '../../../src-main/core/client/NodeConnection'
import { AGENT } from '../../../src-main/core/protocol/messages'
import { FakeAgent } from '../../helpers/fakeAgent'

const agents: FakeAgent[] = []
afterEach(() => agents.splice(0).forEach((a) => a.close()))

async function startClient(engines: number): Promise<{ rc: Client; agent: FakeAgent }> {
  const agent = new FakeAgent()
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

const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms))

describe('an engine reported not responding', () => {
  it('is unresponsive; its waiting balanced tasks are aborted on it and run on the other engine, the first stays; it comes back idle', async () => {
    const { rc, agent } = await startClient(2)
    agent.hold = true
    const map = rc.loadBalancedView().map((x: number) => x * 10, [1, 2, 3, 4, 5, 6, 7, 8])
    await tick()
    const onOne = agent.held.get(1)?.length ?? 0
    expect(onOne).toBeGreaterThan(0)
    agent.send(AGENT, { type: 'engineLiveness', engine: 1, responding: false, silentMs: 4000 })
    await tick()
    expect(rc.engines[1].state).toBe('unresponsive')
    // The abort reached engine 1 for every task it held (the fake answers each 'aborted') but the
    // first, which it may be running: that one stays, so no task runs twice.
    expect(agent.held.get(1)?.length).toBe(1)
    agent.hold = false
    agent.release(0)
    await tick()
    expect(map.ready()).toBe(false)
    agent.release(1)
    expect(await map).toEqual([10, 20, 30, 40, 50, 60, 70, 80])
    expect(map.metadata.filter((m) => m.engineId === 1)).toHaveLength(1)
    expect(rc.engines[1].state).toBe('unresponsive')
    // Nothing new goes to it; direct tasks still may.
    const before = agent.received.length
    const doneOnOne = rc.engines[1].tasksDone
    expect(await rc.loadBalancedView().apply(() => 'lb')).toBe('lb')
    expect(rc.engines[1].tasksDone).toBe(doneOnOne)
    expect(agent.received.length).toBe(before + 1)
    agent.send(AGENT, { type: 'engineLiveness', engine: 1, responding: true, silentMs: 0 })
    await tick()
    expect(rc.engines[1].state).toBe('idle')
    expect(await rc.loadBalancedView([1]).apply(() => 'back')).toBe('back')
  })

  it('keeps balanced tasks that may run only on it waiting instead of failing them', async () => {
    const { rc, agent } = await startClient(2)
    agent.send(AGENT, { type: 'engineLiveness', engine: 0, responding: false, silentMs: 4000 })
    await tick()
    const only = rc.loadBalancedView([0]).apply(() => 'on 0')
    await tick(30)
    expect(only.ready()).toBe(false)
    agent.send(AGENT, { type: 'engineLiveness', engine: 0, responding: true, silentMs: 0 })
    expect(await only).toBe('on 0')
  })
})
