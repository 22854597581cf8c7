/**
 * The message limit lowered to 1 MiB (CLUSTERDESK_MAX_MESSAGE_BYTES, inherited by the engines),
 * so every way a value travels can be tried at the limit without gigabytes.
 */
import { describe, expect, it, vi } from 'vitest'

vi.hoisted(() => {
  process.env.CLUSTERDESK_MAX_MESSAGE_BYTES = String(2 ** 20)
})

const { RemoteError } = await import('../../../src-main/core/client/errors')
const { MAX_MESSAGE_BYTES, SerializationError } = await import('../../../src-main/core/protocol/codec')
const { startLocal } = await import('../../helpers/cluster')

const LIMIT = /the largest value one message can carry is 1 MiB \(1048576 bytes\): split it/

describe('a lowered message limit', () => {
  it('is read from CLUSTERDESK_MAX_MESSAGE_BYTES', () => {
    expect(MAX_MESSAGE_BYTES).toBe(2 ** 20)
  })

  it('fails push, apply and a load-balanced apply past it, each in its AsyncResult, and lets scatter and gather through', async () => {
    const { rc } = await startLocal(2)
    const dv = rc.view()
    const big = new Float64Array(2 ** 17 + 1000) // 1 MiB + 8000 bytes
    for (const attempt of [() => dv.push({ big }), () => dv.apply((a: Float64Array) => a.length, big), () => rc.loadBalancedView().apply((a: Float64Array) => a.length, big)]) {
      const err = await attempt().then(() => null, (e: unknown) => e)
      expect(err).toBeInstanceOf(SerializationError)
      expect(String(err)).toMatch(LIMIT)
    }
    // Half of it per engine fits.
    await dv.scatter('part', big)
    expect(await dv.apply(() => (globalThis as any).part.length)).toEqual([big.length / 2, big.length / 2])
    const gathered = (await dv.gather('part')) as Float64Array
    expect(gathered).toBeInstanceOf(Float64Array)
    expect(gathered.length).toBe(big.length)
  })

  it('fails a result past it on the engine side; the engine answers the next task', async () => {
    const { rc } = await startLocal(1)
    const err = await rc.view(0).apply(() => new Float64Array(2 ** 17 + 1000)).then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(RemoteError)
    expect((err as InstanceType<typeof RemoteError>).ename).toBe('SerializationError')
    expect((err as InstanceType<typeof RemoteError>).evalue).toMatch(LIMIT)
    expect(await rc.view(0).apply(() => new Float64Array(1000).length)).toBe(1000)
  })
})
