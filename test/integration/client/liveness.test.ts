/**
 * Engines that stop answering: a SIGSTOPped engine is shown 'unresponsive', its load-balanced
 * tasks move to the engine that answers, and it comes back on SIGCONT; a busy engine is not
 * flagged, since the beats come from its guard thread.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src-main/cluster/Cluster'
import type { Client } from '../../../src-main/core/client/Client'
import type { EngineState } from '../../../src-main/core/client/EngineHandle'
import { enginePids, waitGone } from '../../helpers/cluster'

const NOT_RESPONDING_MS = 1500
const clusters: Cluster[] = []
const stopped: number[] = []
afterEach(async () => {
  // A stopped engine cannot even be killed gracefully: let it run again first.
  for (const pid of stopped.splice(0)) {
    try {
      process.kill(pid, 'SIGCONT')
    } catch {
      // Gone already.
    }
  }
  await Promise.all(clusters.splice(0).map((c) => c.stop()))
})

async function start(engines: number): Promise<Client> {
  const cluster = new Cluster({ nodes: [{ kind: 'local', engines }], notRespondingMs: NOT_RESPONDING_MS })
  clusters.push(cluster)
  return cluster.start()
}

/** Resolves once engine `id` is in `state` (polling rc.engines); rejects after `timeoutMs`. */
async function stateOf(rc: Client, id: number, state: EngineState, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (rc.engines[id].state !== state) {
    if (Date.now() > deadline) throw new Error(`engine ${id} is ${rc.engines[id].state}, not ${state}, after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('an engine that stops answering', () => {
  it('is shown unresponsive; the tasks waiting on it move to the other engine, the one it runs waits; SIGCONT brings it back; nothing runs twice', async () => {
    const rc = await start(2)
    const pid = rc.engines[1].pid!
    const lv = rc.loadBalancedView()
    const items = Array.from({ length: 300 }, (_, i) => i)
    const work = (x: number) => {
      const g = globalThis as any
      ;(g.ran ??= []).push(x)
      const until = Date.now() + 5
      while (Date.now() < until);
      return x * x
    }
    const map = lv.map(work, items)
    // Stop engine 1 once the map is under way on both engines.
    while (map.progress < 20) await new Promise((r) => setTimeout(r, 5))
    process.kill(pid, 'SIGSTOP')
    stopped.push(pid)
    await stateOf(rc, 1, 'unresponsive')
    expect(rc.engines[0].state).not.toBe('unresponsive')
    // Everything but the task engine 1 may have been running finishes on engine 0.
    const deadline = Date.now() + 20_000
    while (map.progress < items.length - 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(map.progress).toBeGreaterThanOrEqual(items.length - 1)
    // Nothing new goes to it meanwhile.
    const meanwhile = await rc.loadBalancedView().map((x: number) => x + 1, [1, 2, 3, 4])
    expect(meanwhile).toEqual([2, 3, 4, 5])

    process.kill(pid, 'SIGCONT')
    expect(await map).toEqual(items.map((x) => x * x))
    await stateOf(rc, 1, 'idle')
    expect(await rc.view(1).apply(() => 'back')).toBe('back')
    // The moved tasks were aborted on it, and the one it was running was not run again elsewhere.
    const [on0, on1] = (await rc.view().pull('ran')) as number[][]
    expect([...on0, ...(on1 ?? [])].sort((a, b) => a - b)).toEqual(items)
  }, 60_000)

  it('is not flagged while it runs a long CPU-bound task', async () => {
    const rc = await start(1)
    const seen: EngineState[] = []
    rc.subscribe({ onEngineChange: (e) => seen.push(e.state) })
    const spin = await rc.view(0).apply((ms: number) => {
      const until = Date.now() + ms
      let n = 0
      while (Date.now() < until) n++
      return n > 0
    }, NOT_RESPONDING_MS * 3)
    expect(spin).toBe(true)
    expect(seen).toContain('busy')
    expect(seen).not.toContain('unresponsive')
    expect(rc.engines[0].state).toBe('idle')
  })

  it('keeps direct tasks addressed to it, and balanced tasks that may run only on it, until it answers again', async () => {
    const rc = await start(2)
    const pid = rc.engines[0].pid!
    process.kill(pid, 'SIGSTOP')
    stopped.push(pid)
    await stateOf(rc, 0, 'unresponsive')
    const direct = rc.view(0).apply(() => 'ran on 0')
    // Not failed as "no live engine": it waits for the one engine it may run on.
    const onlyThere = rc.loadBalancedView([0]).apply(() => 'balanced on 0')
    await new Promise((r) => setTimeout(r, 300))
    expect(direct.ready()).toBe(false)
    expect(onlyThere.ready()).toBe(false)
    expect(await rc.loadBalancedView().apply(() => 'elsewhere')).toBe('elsewhere')
    process.kill(pid, 'SIGCONT')
    expect(await direct).toBe('ran on 0')
    expect(await onlyThere).toBe('balanced on 0')
    await stateOf(rc, 0, 'idle')
  }, 60_000)

  it('is stopped with the cluster, stopped or not', async () => {
    const cluster = new Cluster({ nodes: [{ kind: 'local', engines: 2 }], notRespondingMs: NOT_RESPONDING_MS })
    clusters.push(cluster)
    const rc = await cluster.start()
    const pids = enginePids(rc)
    process.kill(pids[1], 'SIGSTOP')
    stopped.push(pids[1])
    await stateOf(rc, 1, 'unresponsive')
    await cluster.stop()
    expect(await waitGone(pids)).toEqual([])
  }, 60_000)
})
