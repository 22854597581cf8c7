/**
 * The largest message, on real engines: a value past 2 GiB fails its own AsyncResult with a
 * SerializationError that names the limit, in either direction, and the engine lives on.
 * (Zero-filled typed arrays are mapped lazily, so these gigabytes cost no physical memory.)
 */
import { describe, expect, it } from 'vitest'
import { RemoteError } from '../../../src-main/core/client/errors'
import { MAX_MESSAGE_BYTES, SerializationError } from '../../../src-main/core/protocol/codec'
import { startLocal } from '../../helpers/cluster'

const OVER_2_GIB = 2 ** 31 + 8

describe('values past the largest message', () => {
  it('is 2 GiB when not lowered', () => {
    expect(MAX_MESSAGE_BYTES).toBe(2 ** 31)
  })

  it('fails a push of a typed array past 2 GiB with a SerializationError naming the limit; the engine lives on', async () => {
    const { rc } = await startLocal(1)
    const big = new Uint8Array(OVER_2_GIB)
    const err = await rc.view(0).push({ big }).then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(SerializationError)
    expect(String(err)).toMatch(/the value is 2 GiB encoded \(2147483\d+ bytes\); the largest value one message can carry is 2 GiB \(2147483648 bytes\): split it, e\.g\. scatter/)
    expect(await rc.view(0).apply(() => 'alive')).toBe('alive')
  })

  it('fails a task whose result is past 2 GiB as a RemoteError SerializationError; the engine answers the next task', async () => {
    const { rc } = await startLocal(1)
    const err = await rc.view(0).apply((n: number) => new Uint8Array(n), OVER_2_GIB).then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(RemoteError)
    expect((err as RemoteError).ename).toBe('SerializationError')
    expect((err as RemoteError).evalue).toMatch(/^the result cannot be sent back: the value is 2 GiB encoded .*the largest value one message can carry is 2 GiB/)
    expect(await rc.view(0).apply(() => 'alive')).toBe('alive')
  })
})
