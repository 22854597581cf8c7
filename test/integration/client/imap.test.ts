/**
 * A map's AsyncResult as an async iterable (ipyparallel's imap), on real engines. Replayed with a
 * connected client by test/integration/remote/imapConnected.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { RemoteError } from '../../../src-main/core/client/errors'
import { startLocal } from '../../helpers/cluster'

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const v of iterable) out.push(v)
  return out
}

describe('streamed map results', () => {
  it('yields a load-balanced map in input order, chunked or not, and a direct map too', async () => {
    const { rc } = await startLocal(2)
    const xs = Array.from({ length: 25 }, (_, i) => i)
    expect(await collect(rc.loadBalancedView().map((x: number) => x * 2, xs))).toEqual(xs.map((x) => x * 2))
    expect(await collect(rc.loadBalancedView().map((x: number) => x * 2, xs, { chunkSize: 4 }))).toEqual(xs.map((x) => x * 2))
    expect(await collect(rc.view().map((x: number) => x + 1, xs))).toEqual(xs.map((x) => x + 1))
    expect(await collect(rc.loadBalancedView().map((x: number) => x, []))).toEqual([])
  })

  it('yields unordered results as they complete, before the slow one is done', async () => {
    const { rc } = await startLocal(2)
    const ar = rc.loadBalancedView().map(async (x: number) => {
      await new Promise((r) => setTimeout(r, x === 0 ? 1500 : 0))
      return x
    }, [0, 1, 2, 3], { ordered: false })
    const seen: Array<{ v: unknown; ready: boolean }> = []
    for await (const v of ar) seen.push({ v, ready: ar.ready() })
    expect(seen[0].ready).toBe(false)
    expect(seen[0].v).not.toBe(0)
    expect(seen.map((s) => s.v).sort()).toEqual([0, 1, 2, 3])
  })

  it("throws the first failed task's error when the iteration reaches it", async () => {
    const { rc } = await startLocal(2)
    const got: unknown[] = []
    const err = await (async () => {
      for await (const v of rc.loadBalancedView().map((x: number) => { if (x === 2) throw new TypeError('two'); return x }, [0, 1, 2, 3])) got.push(v)
    })().then(() => null, (e) => e)
    expect(err).toBeInstanceOf(RemoteError)
    expect((err as RemoteError).ename).toBe('TypeError')
    expect(got).toEqual([0, 1])
  })

  it('throws the error of a call that could not be made', async () => {
    const { rc } = await startLocal(1)
    await expect(collect(rc.loadBalancedView().map((x: number) => x, [1], { chunkSize: 0 }))).rejects.toThrow(/chunkSize/)
  })
})
