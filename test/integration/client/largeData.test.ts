/**
 * Large typed arrays through scatter and gather on real engines: every kind, odd lengths and
 * uneven shares arrive with the same kind, values and order (a gather's large shares are received
 * straight into the joined array), and 400 MB go out and come back whole.
 */
import os from 'node:os'
import { describe, expect, it } from 'vitest'
import { blockSizes } from '../../../src-main/core/client/partition'
import { startLocal } from '../../helpers/cluster'

type Typed = Exclude<ArrayBufferView, DataView> & { length: number; [i: number]: number | bigint; subarray(a: number, b: number): Typed } & Iterable<number | bigint>
const KINDS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
] as const

const bytesOf = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength)
/** Same kind, same length, same bytes (toEqual on millions of elements takes minutes). */
function expectSame(actual: unknown, expected: Typed): void {
  expect((actual as object).constructor).toBe(expected.constructor)
  expect((actual as Typed).length).toBe(expected.length)
  expect(bytesOf(actual as Typed).equals(bytesOf(expected))).toBe(true)
}

/** `n` elements of `Kind` whose bytes differ from one element to the next (negatives too). */
function filled(Kind: (typeof KINDS)[number], n: number): Typed {
  const out = new Kind(n) as unknown as Typed
  const big = Kind === BigInt64Array || Kind === BigUint64Array
  for (let i = 0; i < n; i++) {
    const v = (i * 7919) % 100003 - (Kind.name.startsWith('Uint') ? 0 : 50001)
    out[i] = big ? BigInt(v) * (Kind === BigInt64Array ? -3n : 3n) + (Kind === BigUint64Array ? 2n ** 63n : 0n) : Kind === Float32Array || Kind === Float64Array ? v / 3 : v
  }
  return out
}

describe('large typed arrays through scatter and gather', () => {
  it('gathers shares of every kind, over 1 MiB each and of odd lengths, into one array of that kind, in order', async () => {
    const { rc } = await startLocal(3)
    const dv = rc.view()
    for (const Kind of KINDS) {
      // Three shares past the 1 MiB placement threshold, the first one element longer.
      const n = 3 * Math.ceil((1 << 20) / Kind.BYTES_PER_ELEMENT) + 1
      const data = filled(Kind, n)
      await dv.scatter('t', data)
      const shares = (await dv.apply(() => [(globalThis as unknown as { t: Typed }).t.constructor.name, (globalThis as unknown as { t: Typed }).t.length])) as Array<[string, number]>
      expect(shares).toEqual(blockSizes(n, 3).map((size) => [Kind.name, size]))
      expectSame(await dv.gather('t'), data)
      // One engine's share on its own: the bare array, the same bytes.
      const share = data.subarray(0, blockSizes(n, 3)[0])
      expectSame(await rc.view([0]).gather('t'), share)
      expectSame(await rc.view(0).pull('t'), share)
    }
  })

  it('gathers a Buffer, round-robin shares, and shares of mixed kinds or lists as before', async () => {
    const { rc } = await startLocal(2)
    const dv = rc.view()
    const buffer = Buffer.from(filled(Uint8Array, (3 << 20) + 5).buffer)
    await dv.scatter('b', buffer)
    expectSame(await dv.gather('b'), new Uint8Array(buffer) as unknown as Typed)
    const data = filled(Float64Array, (1 << 19) + 3)
    await dv.scatter('r', data, { dist: 'r' })
    const dealt = (await dv.gather('r')) as Float64Array
    expect(dealt).toBeInstanceOf(Float64Array)
    expect(dealt.length).toBe(data.length)
    // Round-robin shares are joined one after the other, as ipyparallel's gather does.
    expect([dealt[0], dealt[1], dealt[(data.length + 1) / 2]]).toEqual([data[0], data[2], data[1]])
    await rc.view(0).push({ m: filled(Float64Array, 1 << 18) })
    await rc.view(1).push({ m: filled(Int32Array, 1 << 19) })
    const mixed = (await dv.gather('m')) as unknown[]
    expect(Array.isArray(mixed)).toBe(true)
    expect(mixed.length).toBe((1 << 18) + (1 << 19))
    expect(mixed[(1 << 18) + 5]).toBe(filled(Int32Array, 6)[5])
    await rc.view(1).push({ m: [1, 2, 3] })
    const withList = (await dv.gather('m')) as unknown[]
    expect(withList.length).toBe((1 << 18) + 3)
    expect(withList.slice(-3)).toEqual([1, 2, 3])
  })

  // 400 MB out and back: ~1.2 GB across the test process and two engines at the peak.
  it.runIf(os.totalmem() >= 4 * 2 ** 30)('scatters and gathers 400 MB (a Float64Array of 50M) with every value in place', { timeout: 180_000 }, async () => {
    const { rc } = await startLocal(2)
    const dv = rc.view()
    const n = 50_000_000
    const data = new Float64Array(n)
    for (let i = 0; i < n; i++) data[i] = i + 0.5
    await dv.scatter('huge', data)
    const checks = (await dv.apply(() => {
      const a = (globalThis as unknown as { huge: Float64Array }).huge
      let sum = 0
      for (let i = 0; i < a.length; i++) sum += a[i]
      return [a.constructor.name, a.length, a[0], a[a.length - 1], sum]
    })) as Array<[string, number, number, number, number]>
    const half = n / 2
    expect(checks).toEqual([
      ['Float64Array', half, 0.5, half - 0.5, (half * half) / 2],
      ['Float64Array', half, half + 0.5, n - 0.5, (half * (n + half)) / 2],
    ])
    const back = (await dv.gather('huge')) as Float64Array
    expectSame(back, data as unknown as Typed)
    await dv.execute('huge = null')
  })
})
