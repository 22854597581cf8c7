/**
 * An engine that runs out of JavaScript heap is reported as such, with its limit and the option
 * that raises it, not with the native stack V8 prints.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src-main/cluster/Cluster'
import { ClusterConfigError } from '../../../src-main/cluster/options'
import { EngineError } from '../../../src-main/core/client/errors'

const clusters: Cluster[] = []
const start = async (maxHeapMB: number, engines = 1) => {
  const cluster = new Cluster({ nodes: [{ kind: 'local', engines, maxHeapMB }] })
  clusters.push(cluster)
  return cluster.start()
}

afterEach(async () => {
  await Promise.all(clusters.splice(0).map((c) => c.stop()))
})

describe('an engine out of memory', () => {
  it('fails the task with "out of memory (heap limit N MB)" and names maxHeapMB; the other engine works on', async () => {
    const rc = await start(32, 2)
    const limit = rc.engines[0].heapLimitMB!
    // --max-old-space-size=32 plus V8's young generation (~80 MB on Node 20, ~190 MB on Node 24);
    // Node's own default on this machine is gigabytes.
    expect(limit).toBeGreaterThanOrEqual(32)
    expect(limit).toBeLessThan(512)
    const err = await rc.view(0).apply(() => {
      const hoard: number[][] = []
      for (;;) hoard.push(new Array(1e5).fill(1.5))
    }).then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(EngineError)
    expect(String(err)).toContain(`engine 0 on local died: out of memory (heap limit ${limit} MB); raise the limit with the node's maxHeapMB option`)
    expect(String(err)).not.toMatch(/v8::internal/)
    expect(rc.engines[0].state).toBe('dead')
    expect(rc.engines[0].exit?.fatal).toMatch(/FATAL ERROR: .*JavaScript heap out of memory/)
    expect(await rc.view(1).apply(() => 'alive')).toBe('alive')
  })

  it('gives engines the heap asked for', async () => {
    const rc = await start(512)
    const small = await start(32)
    expect(rc.engines[0].heapLimitMB! - small.engines[0].heapLimitMB!).toBe(512 - 32)
  })

  it('refuses a heap too small to start an engine', () => {
    expect(() => new Cluster({ nodes: [{ kind: 'local', engines: 1, maxHeapMB: 4 }] })).toThrow(ClusterConfigError)
    expect(() => new Cluster({ nodes: [{ kind: 'local', engines: 1, maxHeapMB: 4 }] })).toThrow(/nodes\[0\]\.maxHeapMB must be a whole number of MB ≥ 16/)
  })
})
