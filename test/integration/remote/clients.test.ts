/**
 * Several clients of one cluster: their own tasks each, a namespace shared and kept, and a client
 * process killed with SIGKILL dropping only its own queued work.
 */
import { describe, expect, it } from 'vitest'
import { clientProcess, exited } from '../../helpers/clientProcess'
import { connectClient, freshHome, startLocal } from '../../helpers/cluster'

describe('several clients of one cluster', () => {
  it('run their own tasks at once, each getting its own results', async () => {
    freshHome()
    await startLocal(2, { profile: 'many' })
    const [a, b, c] = await Promise.all([connectClient('many'), connectClient('many'), connectClient('many')])
    const xs = Array.from({ length: 200 }, (_, i) => i)
    const [ra, rb, rc] = await Promise.all([
      a.loadBalancedView().map((x: number) => x + 1, xs),
      b.loadBalancedView().map((x: number) => x * 2, xs),
      c.view().apply(() => 'c'),
    ])
    expect(ra).toEqual(xs.map((x) => x + 1))
    expect(rb).toEqual(xs.map((x) => x * 2))
    expect(rc).toEqual(['c', 'c'])
    expect((await a.status()).clients).toBe(3)
  })

  it('aborts its own queued tasks, follows its tasks\' live output, and leaves another client\'s work alone', async () => {
    freshHome()
    await startLocal(2, { profile: 'abort' })
    const [a, b] = await Promise.all([connectClient('abort'), connectClient('abort')])
    const streamed: string[] = []
    a.subscribe({ onStream: (_engine, _task, name, text) => streamed.push(`${name}:${text}`) })
    const slow = (x: number) => {
      const t = Date.now() + 150
      while (Date.now() < t);
      return x
    }
    const others = b.loadBalancedView().map(slow, [1, 2, 3, 4])
    const mine = a.loadBalancedView().map(slow, Array.from({ length: 40 }, (_, i) => i))
    await new Promise((r) => setTimeout(r, 100))
    mine.abort()
    const err = await mine.then(() => null, (e) => e)
    expect(String(err)).toMatch(/TaskAborted/)
    expect(mine.metadata.filter((m) => m.status === 'aborted').length).toBeGreaterThan(20)
    expect(await others).toEqual([1, 2, 3, 4])
    // Output is streamed while a task runs (the result carries it all at the end).
    await a.view(0).execute('console.log("hello from 0"); await new Promise((r) => setTimeout(r, 400))')
    expect(streamed.join('')).toContain('stdout:hello from 0')
  })

  it('keeps values pushed by one client for the next one', async () => {
    freshHome()
    await startLocal(2, { profile: 'ns' })
    const first = await connectClient('ns')
    await first.view().push({ shared: [1, 2, 3] })
    await first.view().execute('function tripled(x) { return 3 * x }')
    await first.close()
    const second = await connectClient('ns')
    expect(await second.view().pull('shared')).toEqual([[1, 2, 3], [1, 2, 3]])
    expect(await second.view(1).apply((x: number) => (globalThis as any).tripled(x), 4)).toBe(12)
  })

  it('a client killed with SIGKILL mid-map drops its queued tasks; the others finish and the namespaces stay', async () => {
    freshHome()
    const { rc: own } = await startLocal(2, { profile: 'kill' })
    await own.view().push({ keep: 'me' })
    const { child, line } = await clientProcess(`
      const rc = await connect({ profile: 'kill' })
      rc.loadBalancedView().map((x) => { const t = Date.now() + 100; while (Date.now() < t); return x }, Array.from({ length: 400 }, (_, i) => i))
      setTimeout(() => console.log('submitted'), 300)
    `)
    expect(line).toBe('submitted')
    child.kill('SIGKILL')
    await exited(child)
    const other = await connectClient('kill')
    expect(await other.loadBalancedView().map((x: number) => x * x, [1, 2, 3])).toEqual([1, 4, 9])
    expect(await other.view().pull('keep')).toEqual(['me', 'me'])
    // Everything the killed client had queued was dropped: far fewer than its 400 tasks ran.
    await new Promise((r) => setTimeout(r, 300))
    const done = other.engines.reduce((n, e) => n + e.tasksDone, 0)
    expect(done).toBeLessThan(100)
    expect(other.engines.map((e) => e.state)).toEqual(['idle', 'idle'])
  })
})
