/**
 * What goes wrong around a connection, each a clear ConnectionError (or a closed connection) and
 * nothing left running: wrong key, stale or unsafe files, a controller dying under its client,
 * garbage, oversized frames, connections that never authenticate.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { connect as netConnect, type Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { connect } from '../../../src-main/cluster/connect'
import { connectionFile, listProfiles, readConnectionFile, writeConnectionFile } from '../../../src-main/cluster/profiles'
import { ConnectionError, EngineError } from '../../../src-main/core/client/errors'
import { connectClient, freshHome, startLocal, waitGone } from '../../helpers/cluster'
import { clientProcess } from '../../helpers/clientProcess'

/** A raw socket to a profile's controller; resolves once connected. */
function rawSocket(profile: string): Promise<Socket> {
  const { address } = readConnectionFile({ profile })
  return new Promise((resolve, reject) => {
    const s = 'path' in address ? netConnect(address.path) : netConnect(address.port, address.host)
    s.once('connect', () => resolve(s))
    s.once('error', reject)
  })
}

const closedSoon = (s: Socket): Promise<boolean> =>
  new Promise((resolve) => {
    if (s.destroyed) return resolve(true)
    s.on('error', () => undefined)
    // Read, or the end the controller sends is never seen.
    s.resume()
    s.once('close', () => resolve(true))
    setTimeout(() => resolve(false), 8000).unref()
  })

describe('connection files', () => {
  it('refuses a wrong key before anything else', async () => {
    freshHome()
    await startLocal(1, { profile: 'k' })
    const file = connectionFile('k')
    const info = JSON.parse(readFileSync(file, 'utf8'))
    writeFileSync(file, JSON.stringify({ ...info, key: 'ab'.repeat(32) }), { mode: 0o600 })
    const err = await connect({ profile: 'k' }).then(() => null, (e) => e)
    expect(err).toBeInstanceOf(ConnectionError)
    expect(String(err)).toMatch(/refused this client's key/)
    expect(String(err)).not.toContain(info.key)
  })

  it('removes a stale file (its controller is dead) and says so', async () => {
    freshHome()
    const { child } = await clientProcess(`console.log(process.pid)`)
    await new Promise((r) => child.once('exit', r))
    await startLocal(1, { profile: 'alive' })
    const info = readConnectionFile({ profile: 'alive' })
    writeConnectionFile({ ...info, profile: 'gone', pid: child.pid! })
    const err = await connect({ profile: 'gone' }).then(() => null, (e) => e)
    expect(err).toBeInstanceOf(ConnectionError)
    expect(String(err)).toMatch(/is gone: its controller \(pid \d+\) is not running.*removed the stale/)
    expect(existsSync(connectionFile('gone'))).toBe(false)
  })

  it('lists a profile whose controller is dead as stale, and removes its file', async () => {
    freshHome()
    const { child } = await clientProcess(`console.log(process.pid)`)
    await new Promise((r) => child.once('exit', r))
    await startLocal(1, { profile: 'up' })
    writeConnectionFile({ ...readConnectionFile({ profile: 'up' }), profile: 'dead', pid: child.pid! })
    const listed = await listProfiles()
    expect(listed.map((p) => [p.profile, p.state])).toEqual([['dead', 'stale'], ['up', 'running']])
    expect(existsSync(connectionFile('dead'))).toBe(false)
  })

  it('refuses a connection file others can read', async () => {
    freshHome()
    await startLocal(1, { profile: 'open' })
    chmodSync(connectionFile('open'), 0o644)
    await expect(connect({ profile: 'open' })).rejects.toThrow(/mode 0644.*chmod 600/)
  })
})

describe('a controller that dies under its client', () => {
  it('rejects pending results with ConnectionError, and the next connect says the cluster is gone', async () => {
    const home = freshHome()
    const { child, line } = await clientProcess(`
      const cluster = new Cluster({ nodes: [{ kind: 'local', engines: 1 }], profile: 'dies', keepAlive: true })
      const own = await cluster.start()
      console.log(JSON.stringify([process.pid, ...own.engines.map((e) => e.pid), ...cluster.nodes.map((n) => n.agentPid)]))
    `)
    expect(process.env.CLUSTERDESK_HOME).toBe(home)
    const pids = JSON.parse(line) as number[]
    const rc = await connectClient('dies')
    const running = rc.view(0).execute('while (true) {}')
    await new Promise((r) => setTimeout(r, 200))
    child.kill('SIGKILL')
    const err = await running.then(() => null, (e) => e)
    expect(err).toBeInstanceOf(ConnectionError)
    expect(String(err)).toMatch(/went away/)
    await expect(rc.view(0).apply(() => 1)).rejects.toThrow(ConnectionError)
    expect(await waitGone(pids, 8000)).toEqual([])
    await expect(connect({ profile: 'dies' })).rejects.toThrow(/is gone/)
  })
})

describe('misbehaving connections', () => {
  it('a client killed mid-scatter of 400 MB leaves the cluster serving, its namespaces as they were', async () => {
    freshHome()
    const { rc: own } = await startLocal(2, { profile: 'scatter' })
    await own.view().push({ x: 'before' })
    const { child, line } = await clientProcess(`
      const rc = await connect({ profile: 'scatter' })
      rc.view().scatter('x', new Float64Array(50_000_000).fill(1))
      setTimeout(() => console.log('sending'), 50)
    `)
    expect(line).toBe('sending')
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    const rc = await connectClient('scatter')
    expect(await rc.view().pull('x')).toEqual(['before', 'before'])
    expect(rc.engines.map((e) => e.state)).toEqual(['idle', 'idle'])
  })

  it('a client killed mid-gather of 400 MB (its shares relayed as they arrive) leaves the cluster serving', async () => {
    freshHome()
    const { rc: own } = await startLocal(2, { profile: 'gather' })
    await own.view().scatter('x', new Float64Array(50_000_000).fill(1))
    const { child, line } = await clientProcess(`
      const rc = await connect({ profile: 'gather' })
      rc.view().gather('x')
      setTimeout(() => console.log('gathering'), 50)
    `)
    expect(line).toBe('gathering')
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    const rc = await connectClient('gather')
    const back = (await rc.view().gather('x')) as Float64Array
    expect(back.length).toBe(50_000_000)
    expect(back[0] + back[24_999_999] + back[49_999_999]).toBe(3)
    expect(rc.engines.map((e) => e.state)).toEqual(['idle', 'idle'])
  })

  it('an engine killed halfway through sending a large result: its task fails with EngineError, the other results arrive whole', async () => {
    freshHome()
    await startLocal(2, { profile: 'midframe' })
    const rc = await connectClient('midframe')
    // The result (64 MB) is written at the end of the tick; the kill comes right after, long before
    // the socket has taken it all: the controller is relaying a frame that never ends.
    const cut = rc.view(0).apply(() => {
      setImmediate(() => process.kill(process.pid, 'SIGKILL'))
      return new Float64Array(8_000_000).fill(2)
    })
    const other = rc.view(1).apply(() => new Float64Array(300_000).fill(3))
    const err = await cut.then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(EngineError)
    const value = (await other) as Float64Array
    expect(value.length).toBe(300_000)
    expect(value.every((v) => v === 3)).toBe(true)
    expect(await rc.view(1).apply(() => 'still here')).toBe('still here')
    expect(((await rc.view(1).apply(() => new Float64Array(200_000).fill(4))) as Float64Array)[199_999]).toBe(4)
  })

  it('closes a connection that sends garbage, and keeps serving', async () => {
    freshHome()
    await startLocal(1, { profile: 'g' })
    const s = await rawSocket('g')
    s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    expect(await closedSoon(s)).toBe(true)
    const rc = await connectClient('g')
    expect(await rc.view(0).apply(() => 'still here')).toBe('still here')
  })

  it('closes a connection that announces a huge frame before authenticating', async () => {
    freshHome()
    await startLocal(1, { profile: 'big' })
    const s = await rawSocket('big')
    const header = Buffer.alloc(12)
    header.writeUInt32BE(1_000_000_000, 0)
    header.writeInt32BE(-1, 4)
    header.writeUInt32BE(100, 8)
    s.write(header)
    expect(await closedSoon(s)).toBe(true)
    expect(await (await connectClient('big')).view(0).apply(() => 1)).toBe(1)
  })

  it('caps connections that never authenticate, closes them, and serves a real client after', async () => {
    freshHome()
    await startLocal(1, { profile: 'flood' })
    const sockets = await Promise.all(Array.from({ length: 200 }, () => rawSocket('flood')))
    const closed = await Promise.all(sockets.map(closedSoon))
    expect(closed.every(Boolean)).toBe(true)
    const rc = await connectClient('flood')
    expect(await rc.view(0).apply(() => 2)).toBe(2)
  })
})
