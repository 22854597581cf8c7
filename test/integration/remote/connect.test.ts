/**
 * connect(): a client in this process joining a cluster published under a profile, over the real
 * client protocol (Unix socket and TCP), with real engines.
 */
import { statSync } from 'node:fs'
import { dirname } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Cluster } from '../../../src-main/cluster/Cluster'
import { runPi } from '../../../src-main/experiments/pi/runPi'
import { connect } from '../../../src-main/cluster/connect'
import { connectionFile, listProfiles, readConnectionFile } from '../../../src-main/cluster/profiles'
import { ClusterConfigError } from '../../../src-main/cluster/options'
import { CompositeError, ConnectionError, RemoteError } from '../../../src-main/core/client/errors'
import { connectClient, freshHome, startLocal } from '../../helpers/cluster'

describe('connect() to a published cluster', () => {
  it('runs views, load-balanced maps, errors and typed arrays like an in-process client', async () => {
    freshHome()
    await startLocal(2, { profile: 'lab' })
    const rc = await connectClient('lab')
    expect(rc.ids).toEqual([0, 1])
    const dv = rc.view()
    expect(await dv.apply((x: number) => x * 2, 21)).toEqual([42, 42])
    await dv.push({ a: 5 })
    expect(await dv.pull('a')).toEqual([5, 5])
    expect(await rc.loadBalancedView().map((x: number) => x + 1, [1, 2, 3, 4, 5])).toEqual([2, 3, 4, 5, 6])
    const err = await dv.execute('T_T').then(() => null, (e) => e)
    expect(err).toBeInstanceOf(CompositeError)
    expect(String((err as CompositeError).errors[1])).toBe('[1:execute] ReferenceError: T_T is not defined')
    const single = await rc.view(0).execute('T_T').then(() => null, (e) => e)
    expect(single).toBeInstanceOf(RemoteError)
    const big = Float64Array.from({ length: 100_000 }, (_, i) => i)
    await dv.scatter('x', big)
    const back = (await dv.gather('x')) as Float64Array
    expect(back).toBeInstanceOf(Float64Array)
    expect(back.length).toBe(100_000)
    expect(back[99_999]).toBe(99_999)
    expect((await rc.status()).engines).toBe(2)
  })

  it('relays large payloads, and the small tasks sent in the same tick after them, intact and in order', async () => {
    freshHome()
    await startLocal(2, { profile: 'bulk' })
    const rc = await connectClient('bulk')
    const dv = rc.view()
    const big = new Float64Array(2_000_000).map((_, i) => i * 0.5)
    const one = new Int32Array(1_000_000).map((_, i) => i ^ 0x5a5a)
    // Same tick: a 16 MB scatter, a 4 MB push to engine 1, then tiny tasks reading both.
    const scattered = dv.scatter('x', big)
    const pushed = rc.view(1).push({ y: one })
    const sums = dv.apply(() => (globalThis as any).x.reduce((a: number, b: number) => a + b, 0))
    const probe = rc.view(1).apply(() => [(globalThis as any).y.length, (globalThis as any).y[999_999]])
    await Promise.all([scattered, pushed])
    const halves = big.reduce((a, b) => a + b, 0)
    const [s0, s1] = (await sums) as number[]
    expect(s0 + s1).toBe(halves)
    expect(await probe).toEqual([1_000_000, 999_999 ^ 0x5a5a])
    const back = (await dv.gather('x')) as Float64Array
    expect(back).toBeInstanceOf(Float64Array)
    expect(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(big.buffer))).toBe(true)
  })

  it('writes a 0600 connection file in a 0700 directory and removes it at stop', async () => {
    freshHome()
    const { cluster } = await startLocal(1, { profile: 'p1' })
    const file = connectionFile('p1')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(dirname(file)).mode & 0o777).toBe(0o700)
    const info = readConnectionFile({ profile: 'p1' })
    expect(info.pid).toBe(process.pid)
    expect(info.key).toMatch(/^[0-9a-f]{64}$/)
    expect('path' in info.address && statSync(dirname(info.address.path)).mode & 0o777).toBe(0o700)
    const listed = await listProfiles()
    expect(listed).toEqual([expect.objectContaining({ profile: 'p1', state: 'running', pid: process.pid, engines: 1, clients: 0 })])
    await cluster.stop()
    expect(() => statSync(file)).toThrow()
    await expect(connect({ profile: 'p1' })).rejects.toThrow(/no cluster is running under profile 'p1'.*clusterdesk start --profile p1/)
  })

  it('refuses to start a profile that is already running', async () => {
    freshHome()
    await startLocal(1, { profile: 'twice' })
    const second = new Cluster({ nodes: [{ kind: 'local', engines: 1 }], profile: 'twice' })
    await expect(second.start()).rejects.toThrow(ClusterConfigError)
    await expect(second.start()).rejects.toThrow(/already running under profile 'twice'/)
  })

  it('listens on TCP loopback when asked', async () => {
    freshHome()
    await startLocal(1, { profile: 'tcp' })
    const tcp = new Cluster({ nodes: [{ kind: 'local', engines: 1 }], profile: 'tcp2', listen: '127.0.0.1:0' })
    try {
      await tcp.start()
      const info = readConnectionFile({ profile: 'tcp2' })
      expect(info.address).toMatchObject({ host: '127.0.0.1' })
      const rc = await connectClient('tcp2')
      expect(await rc.view(0).apply(() => 7)).toBe(7)
    } finally {
      await tcp.stop()
    }
  })

  it('runs π with the same bit-identical hits as the in-process client', async () => {
    freshHome()
    const { rc: own } = await startLocal(2, { profile: 'pi' })
    const rc = await connectClient('pi')
    const options = { samples: 2_000_000, tasks: 8, kernel: 'seeded', seed: 7 } as const
    const inProcess = await runPi(own, { ...options, mode: 'lb-map' })
    for (const mode of ['lb-map', 'direct-map', 'scatter-execute'] as const) {
      expect((await runPi(rc, { ...options, mode })).hits).toBe(inProcess.hits)
    }
  })

  it('says ConnectionError for a missing profile', async () => {
    freshHome()
    await expect(connect({ profile: 'nope' })).rejects.toThrow(ConnectionError)
  })
})
