/**
 * The lecture's ipyparallel session, replayed against real local engines, value by value.
 */
import { describe, expect, it } from 'vitest'
import { CompositeError, RemoteError } from '../../../src-main/core/client/errors'
import { startLocal } from '../../helpers/cluster'

describe('the lecture session on real engines', () => {
  it('executes, pulls and pushes', async () => {
    const { rc } = await startLocal(2)
    expect(rc.ids).toEqual([0, 1])
    const dv = rc.view()
    await dv.execute('a = 5')
    expect(await dv.pull('a')).toEqual([5, 5])
    await dv.push({ b: 10, c: 'x' })
    expect(await dv.pull(['b', 'c'])).toEqual([[10, 'x'], [10, 'x']])
    await dv.set('d', [1, 2])
    expect(await dv.get('d')).toEqual([[1, 2], [1, 2]])
    expect(await rc.view(1).pull('a')).toBe(5)
    await dv.execute('let counter = 1; const K = 3; function twice(x) { return 2 * x }')
    await dv.execute('counter += K')
    expect(await rc.view(0).pull(['counter', 'K'])).toEqual([4, 3])
    expect(await rc.view(0).apply(() => (globalThis as any).twice(21))).toBe(42)
    await dv.push({ counter: 100 })
    expect(await rc.view(0).pull('counter')).toBe(100)
  })

  it('reports the ReferenceError of every engine for T_T', async () => {
    const { rc } = await startLocal(8)
    const err = await rc.view().execute('T_T').then(() => null, (e) => e)
    expect(err).toBeInstanceOf(CompositeError)
    const c = err as CompositeError
    expect(c.errors.map((e) => e.engineId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(c.errors.every((e) => e.ename === 'ReferenceError' && e.evalue === 'T_T is not defined')).toBe(true)
    expect(String(c.errors[0])).toBe('[0:execute] ReferenceError: T_T is not defined')
    expect(c.message).toContain('.... 4 more exceptions ...')
    expect(typeof c.errors[3].traceback).toBe('string')
    expect(c.errors[3].traceback).toMatch(/^ReferenceError: T_T is not defined\n.*<execute>/s)
    const single = await rc.view(3).execute('T_T').then(() => null, (e) => e)
    expect(single).toBeInstanceOf(RemoteError)
    expect(String(single)).toBe('[3:execute] ReferenceError: T_T is not defined')
  })

  it('scatters 4 and 16 items over 8 engines and gathers them back', async () => {
    const { rc } = await startLocal(8)
    const dv = rc.view()
    await dv.scatter('x', [0, 1, 2, 3])
    expect(await dv.pull('x')).toEqual([[0], [1], [2], [3], [], [], [], []])
    expect(await dv.gather('x')).toEqual([0, 1, 2, 3])
    const sixteen = Array.from({ length: 16 }, (_, i) => i)
    await dv.scatter('y', sixteen)
    expect(await dv.pull('y')).toEqual(Array.from({ length: 8 }, (_, i) => [2 * i, 2 * i + 1]))
    expect(await dv.gather('y')).toEqual(sixteen)
    await dv.scatter('z', [7, 8, 9], { flatten: true })
    expect(await dv.pull('z')).toEqual([7, 8, 9, [], [], [], [], []])
    await dv.scatter('r', sixteen, { dist: 'r' })
    expect(await rc.view(0).pull('r')).toEqual([0, 8])
    const fifty = Array.from({ length: 50 }, (_, i) => i)
    await dv.scatter('f', fifty)
    expect(((await dv.pull('f')) as number[][]).map((p) => p.length)).toEqual([7, 7, 6, 6, 6, 6, 6, 6])
  })

  it('scatters and gathers typed arrays as typed arrays', async () => {
    const { rc } = await startLocal(2)
    const dv = rc.view()
    const data = Float64Array.from({ length: 100001 }, (_, i) => Math.sin(i))
    await dv.scatter('t', data)
    expect(await rc.view(0).apply(() => [(globalThis as any).t.constructor.name, (globalThis as any).t.length])).toEqual(['Float64Array', 50001])
    const back = (await dv.gather('t')) as Float64Array
    expect(back).toBeInstanceOf(Float64Array)
    expect(back.length).toBe(data.length)
    expect(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(data.buffer))).toBe(true)
  })

  it('keeps the values of small typed arrays both ways (pushed, returned, scattered, gathered)', async () => {
    const { rc } = await startLocal(2)
    const dv = rc.view()
    await rc.view(0).push({ f: new Float64Array([1.5, 2.5, 3.5]) })
    expect(await rc.view(0).apply(() => Array.from((globalThis as any).f as Float64Array))).toEqual([1.5, 2.5, 3.5])
    expect(Array.from((await rc.view(0).apply(() => new Uint8Array([1, 2, 3]))) as Uint8Array)).toEqual([1, 2, 3])
    expect(Array.from((await rc.view(1).apply(() => Buffer.from('ab'))) as Uint8Array)).toEqual([97, 98])
    await dv.scatter('s', new Int16Array([-1, 2, -3, 4, -5]))
    const back = (await dv.gather('s')) as Int16Array
    expect(back).toBeInstanceOf(Int16Array)
    expect(Array.from(back)).toEqual([-1, 2, -3, 4, -5])
  })

  it('maps 101 items in order, direct and load-balanced', async () => {
    const { rc } = await startLocal(4)
    const seq = Array.from({ length: 101 }, (_, i) => i)
    const squares = seq.map((x) => x * x)
    const ar = rc.view().map((x: number) => x * x, seq)
    expect(await ar).toEqual(squares)
    expect(ar.metadata.map((m) => m.engineId)).toEqual([0, 1, 2, 3])
    const lv = rc.loadBalancedView()
    const lar = lv.map((x: number) => x * x, seq)
    expect(await lar).toEqual(squares)
    expect(lar.length).toBe(101)
    expect(await lv.map((x: number) => x * x, seq, { chunkSize: 10 })).toEqual(squares)
    const unordered = (await lv.map(async (x: number) => x, seq, { ordered: false })) as number[]
    expect([...unordered].sort((a, b) => a - b)).toEqual(seq)
    expect(await rc.view().map((a: number, b: number) => a * b, [1, 2, 3], [4, 5, 6, 7])).toEqual([4, 10, 18])
  })

  it('runs a load-balanced apply on exactly one engine', async () => {
    const { rc } = await startLocal(3)
    const ar = rc.loadBalancedView().apply((n: number) => ({ pid: process.pid, n }), 7)
    const r = (await ar) as { pid: number; n: number }
    expect(r.n).toBe(7)
    expect(ar.metadata).toHaveLength(1)
    expect(rc.engines.map((e) => e.pid)).toContain(r.pid)
  })

  it('fails sample_multiple until sample is pushed', async () => {
    const { rc } = await startLocal(2)
    function sample() {
      const x = Math.random()
      const y = Math.random()
      return x * x + y * y <= 1 ? 1 : 0
    }
    function sampleMultiple(n: number) {
      let hits = 0
      for (let i = 0; i < n; i++) hits += sample()
      return hits
    }
    const dv = rc.view()
    const err = await dv.apply(sampleMultiple, 10).then(() => null, (e) => e)
    expect(err).toBeInstanceOf(CompositeError)
    expect((err as CompositeError).errors[0].evalue).toBe('sample is not defined')
    await dv.push({ sample })
    const hits = (await dv.apply(sampleMultiple, 1000)) as number[]
    expect(hits).toHaveLength(2)
    expect(hits.every((h) => h > 600 && h < 950)).toBe(true)
  })

  it('requires modules as globals, and runs parallel functions', async () => {
    const { rc } = await startLocal(2)
    const dv = rc.view()
    await dv.require('node:os', { P: 'node:path' })
    expect(await rc.view(0).apply(() => [typeof (globalThis as any).os.cpus, (globalThis as any).P.join('a', 'b')])).toEqual(['function', 'a/b'])
    const sumShare = dv.parallel((share: number[]) => share.reduce((a, b) => a + b, 0))
    expect(await sumShare([1, 2, 3, 4, 5])).toEqual([6, 9])
    expect(await dv.parallel((x: number) => x + 1).map([1, 2, 3])).toEqual([2, 3, 4])
  })

  it('awaits async functions and captures output per task', async () => {
    const { rc } = await startLocal(2)
    const ar = rc.view().apply(async (tag: string) => {
      console.log(`hello from ${tag}`)
      console.error('to stderr')
      await new Promise((r) => setTimeout(r, 10))
      return tag.length
    }, 'abc')
    expect(await ar).toEqual([3, 3])
    expect(ar.metadata.map((m) => m.stdout)).toEqual(['hello from abc\n', 'hello from abc\n'])
    expect(ar.metadata[1].stderr).toBe('to stderr\n')
    // A task that wrote nothing has '' in both (its result message has no such fields).
    const silent = rc.loadBalancedView().apply(() => 1)
    expect(await silent).toBe(1)
    expect([silent.metadata[0].stdout, silent.metadata[0].stderr]).toEqual(['', ''])
    expect(ar.metadata[0].started!.getTime()).toBeLessThanOrEqual(ar.metadata[0].completed!.getTime())
    const ex = rc.view(0).execute('1 + 1')
    await ex
    expect(ex.metadata[0].executeResult).toBe('2')
  })
})
