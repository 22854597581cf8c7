/**
 * The scheduler with hundreds of engines (issue #11): 256 simulated engines on four in-memory
 * agents that answer at once. Correctness only: every task done exactly once, results in order,
 * the least loaded engine picked (lowest id among equals), `rc.engines` and `rc.ids` complete.
 * Throughput with real engines is in bench/manyEngines.mjs.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Client } from '../../../src-main/core/client/Client'
import { NodeConnection } from '../../../src-main/core/client/NodeConnection'
import { FakeAgent } from '../../helpers/fakeAgent'

const NODES = 4
const PER_NODE = 64
const ENGINES = NODES * PER_NODE

const agents: FakeAgent[] = []
afterEach(() => agents.splice(0).forEach((a) => a.close()))

async function startClient(): Promise<{ rc: Client; agents: FakeAgent[] }> {
  const rc = new Client()
  const mine: FakeAgent[] = []
  for (let n = 0; n < NODES; n++) {
    const agent = new FakeAgent({ cores: PER_NODE })
    agents.push(agent)
    mine.push(agent)
    const node = new NodeConnection(agent.controllerSide, { label: `fake${n}` })
    await node.handshake(1000)
    rc.attach(node)
    const ids = Array.from({ length: PER_NODE }, (_, i) => n * PER_NODE + i)
    rc.expectEngines(node, ids)
    node.spawn(ids)
    await rc.waitForEngines(ids, 5000)
  }
  return { rc, agents: mine }
}

const received = (list: FakeAgent[]) => list.flatMap((a) => a.received)

describe('the scheduler with 256 engines', () => {
  it('lists every engine once, in id order', async () => {
    const { rc } = await startClient()
    const all = Array.from({ length: ENGINES }, (_, i) => i)
    expect(rc.ids).toEqual(all)
    expect(rc.engines.map((e) => e.id)).toEqual(all)
    expect(new Set(rc.engines.map((e) => e.pid)).size).toBe(ENGINES)
    expect(rc.engines.every((e) => e.state === 'idle')).toBe(true)
    expect(new Set(rc.engines.map((e) => e.node))).toEqual(new Set(['fake0', 'fake1', 'fake2', 'fake3']))
  })

  it('runs 20,000 load-balanced tasks exactly once each, results in submission order', async () => {
    const { rc, agents: mine } = await startClient()
    const lv = rc.loadBalancedView()
    const n = 20_000
    const results = await Promise.all(Array.from({ length: n }, (_, i) => lv.apply((x: number, engine: number) => [x, engine], i)))
    expect(results.map(([x]) => x)).toEqual(Array.from({ length: n }, (_, i) => i))
    const ids = received(mine).map((t) => t.id)
    expect(ids).toHaveLength(n)
    expect(new Set(ids).size).toBe(n)
    // Every engine ran some (the first tasks, of a length not yet known, go one to each; tiny ones
    // then stay on a few: see loadBalancer.test.ts), and the counts add up to the tasks.
    const perEngine = new Map<number, number>()
    for (const [, engine] of results) perEngine.set(engine, (perEngine.get(engine) ?? 0) + 1)
    expect([...perEngine.keys()].sort((a, b) => a - b)).toEqual(rc.ids)
    expect(rc.engines.reduce((sum, e) => sum + e.tasksDone, 0)).toBe(n)
    expect(rc.engines.every((e) => e.state === 'idle' && e.currentTask === null)).toBe(true)
  })

  it('keeps a map of one-item tasks in order', async () => {
    const { rc } = await startClient()
    const items = Array.from({ length: 10_000 }, (_, i) => i)
    expect(await rc.loadBalancedView().map((x: number) => x * 3, items, { chunkSize: 1 })).toEqual(items.map((x) => x * 3))
  })

  it('gives each task to the least loaded engine, the lowest id among equals', async () => {
    const { rc, agents: mine } = await startClient()
    const engineOf = (): Map<number, number> => {
      const out = new Map<number, number>()
      for (const a of mine) for (const [engine, tasks] of a.held) for (const t of tasks) out.set(t.id, engine)
      return out
    }
    const releaseAll = (): void => {
      for (const a of mine) {
        a.hold = false
        for (const engine of [...a.held.keys()]) a.release(engine)
      }
    }
    for (const a of mine) a.hold = true
    // Held tasks keep every engine loaded: the i-th task goes to the i-th engine.
    const pending = Array.from({ length: ENGINES }, (_, i) => rc.loadBalancedView().apply((x: number) => x, i))
    await expect.poll(() => received(mine).length).toBe(ENGINES)
    const first = engineOf()
    const inOrder = received(mine)
      .map((t) => t.id)
      .sort((a, b) => a - b)
    expect(inOrder.map((id) => first.get(id))).toEqual(rc.ids)
    releaseAll()
    expect(await Promise.all(pending)).toEqual(Array.from({ length: ENGINES }, (_, i) => i))

    // A view on a few engines: its tasks go to those, whatever the others hold.
    for (const a of mine) a.hold = true
    const few = [rc.loadBalancedView([200, 5]).apply((x: number) => x, 'a'), rc.loadBalancedView([200, 5]).apply((x: number) => x, 'b')]
    await expect.poll(() => received(mine).length).toBe(ENGINES + 2)
    const second = engineOf()
    const newest = received(mine)
      .map((t) => t.id)
      .sort((a, b) => a - b)
      .slice(-2)
    expect(newest.map((id) => second.get(id))).toEqual([5, 200])
    releaseAll()
    expect(await Promise.all(few)).toEqual(['a', 'b'])
  })

  it('moves the tasks of dead engines to the others, and lists the dead ones', async () => {
    const { rc, agents: mine } = await startClient()
    for (const a of mine) a.hold = true
    const lv = rc.loadBalancedView(undefined, { retries: 1 })
    const pending = Array.from({ length: ENGINES }, (_, i) => lv.apply((x: number) => x, i))
    await expect.poll(() => received(mine).length).toBe(ENGINES)
    // Every other engine of the first node dies holding its task.
    const dead = Array.from({ length: PER_NODE / 2 }, (_, i) => 2 * i)
    for (const id of dead) mine[0].kill(id)
    await expect.poll(() => rc.ids.length).toBe(ENGINES - dead.length)
    for (const a of mine) {
      a.hold = false
      for (const engine of [...a.held.keys()]) a.release(engine)
    }
    expect(await Promise.all(pending)).toEqual(Array.from({ length: ENGINES }, (_, i) => i))
    expect(rc.ids.some((id) => dead.includes(id))).toBe(false)
    expect(rc.engines.filter((e) => e.state === 'dead').map((e) => e.id)).toEqual(dead)
    expect(rc.engines).toHaveLength(ENGINES)
  })
})
