/**
 * Local engines' direct channels: data skips the agent's relay, task order holds across the
 * switch, an engine's last results beat its exit report, nothing is left behind, and an engine
 * that cannot connect speaks through the agent as before.
 */
import { spawn } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src-main/cluster/Cluster'
import { EngineError } from '../../../src-main/core/client/errors'
import { NodeConnection } from '../../../src-main/core/client/NodeConnection'
import { encodeFrame, frameEngine } from '../../../src-main/core/protocol/codec'
import { DIRECT_ENV, parseDirectAddress } from '../../../src-main/core/protocol/directChannel'
import { AGENT, type FromEngine, type ResultMessage } from '../../../src-main/core/protocol/messages'
import type { Transport, TransportHandlers } from '../../../src-main/core/protocol/transport'
import type { LaunchedAgent } from '../../../src-main/nodes/Launcher'
import { DirectServer } from '../../../src-main/nodes/DirectServer'
import { LocalLauncher } from '../../../src-main/nodes/LocalLauncher'
import { AgentProcess, killAll } from '../../helpers/agentProcess'
import { waitGone } from '../../helpers/cluster'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Counts engine frames (not the agent's own) crossing an agent's stream, both ways. */
class CountingTransport implements Transport {
  toAgent = 0
  fromAgent = 0
  constructor(private readonly inner: Transport) {}
  send(chunks: Uint8Array[]): void {
    if (frameEngine(chunks[0]) !== AGENT) this.toAgent++
    this.inner.send(chunks)
  }
  setHandlers(handlers: TransportHandlers): void {
    this.inner.setHandlers({
      ...handlers,
      onFrame: (frame) => {
        if (frameEngine(frame) !== AGENT) this.fromAgent++
        handlers.onFrame(frame)
      },
    })
  }
  close(): void {
    this.inner.close()
  }
  ref(): void {
    this.inner.ref?.()
  }
  unref(): void {
    this.inner.unref?.()
  }
}

const clusters: Cluster[] = []
const cleanups: Array<() => void | Promise<void>> = []
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((c) => c.stop()))
  for (const cleanup of cleanups.splice(0)) await cleanup()
  killAll()
})

/** A local cluster whose agent streams are counted. */
async function countedCluster(engines: number, direct = true): Promise<{ cluster: Cluster; counts: CountingTransport[] }> {
  const counts: CountingTransport[] = []
  const cluster = new Cluster({ nodes: [{ kind: 'local', engines }] }, () => ({
    label: 'local',
    async launch() {
      const agent = await new LocalLauncher({ direct }).launch()
      const counted = new CountingTransport(agent.transport)
      counts.push(counted)
      return { ...agent, transport: counted }
    },
  }))
  clusters.push(cluster)
  await cluster.start()
  return { cluster, counts }
}

/** The socket directory of a running local agent, from the environment it was started with. */
function socketDir(agentPid: number): string {
  const env = readFileSync(`/proc/${agentPid}/environ`, 'utf8').split('\0')
  const entry = env.find((e) => e.startsWith(`${DIRECT_ENV}=`))
  const address = parseDirectAddress(entry?.slice(DIRECT_ENV.length + 1))
  if (!address) throw new Error(`agent ${agentPid} has no ${DIRECT_ENV}`)
  return dirname(address.path)
}

describe('direct channels', () => {
  it('carry every engine frame once up: the agent relays none', async () => {
    const { cluster, counts } = await countedCluster(2)
    const rc = cluster.client!
    counts[0].toAgent = counts[0].fromAgent = 0
    const big = new Float64Array(2_000_000).map((_, i) => i)
    const dv = rc.view()
    await dv.scatter('a', big)
    const back = (await dv.gather('a')) as Float64Array
    expect(back.length).toBe(big.length)
    expect(back[big.length - 1]).toBe(big.length - 1)
    const lv = rc.loadBalancedView()
    expect(await lv.map((x: number) => x * 2, Array.from({ length: 2000 }, (_, i) => i), { chunkSize: 1 })).toHaveLength(2000)
    await rc.interrupt()
    expect(counts[0]).toMatchObject({ toAgent: 0, fromAgent: 0 })
  })

  it('are left out with `direct: false`: then every frame goes through the agent', async () => {
    const { cluster, counts } = await countedCluster(1, false)
    counts[0].toAgent = counts[0].fromAgent = 0
    expect(await cluster.client!.view(0).apply(() => 'relayed')).toBe('relayed')
    expect(counts[0]).toMatchObject({ toAgent: 1, fromAgent: 1 })
  })

  it('keep task order across the switch, with tasks sent while the engine starts', async () => {
    const agent: LaunchedAgent = await new LocalLauncher().launch()
    cleanups.push(async () => {
      agent.kill()
      await agent.exited
    })
    const connection = new NodeConnection(agent.transport, { label: 'local' })
    let attachedAt = -1
    let sent = 0
    agent.onDirect!((engine, transport) => {
      attachedAt = sent
      connection.attachDirect(engine, transport)
    })
    const results: ResultMessage[] = []
    let registered = false
    connection.setEvents({
      onEngineMessage: (_engine, message: FromEngine) => {
        if (message.type === 'result') results.push(message)
        if (message.type === 'registered') registered = true
      },
      onAgentMessage: () => {},
      onLost: () => {},
    })
    await connection.handshake()
    connection.spawn([0])
    // Pairs of `x = i` and `pull x`, a few per turn, from before the engine runs until after.
    let id = 0
    let turnsAfter = 0
    while (turnsAfter < 50) {
      for (let k = 0; k < 5; k++) {
        const i = sent++
        connection.send(encodeFrame(0, { type: 'task', id: id++, op: 'execute', code: `x = ${i}` }))
        connection.send(encodeFrame(0, { type: 'task', id: id++, op: 'pull', names: 'x' }))
      }
      if (registered) turnsAfter++
      await new Promise((r) => setImmediate(r))
    }
    const deadline = Date.now() + 15_000
    while (results.length < id && Date.now() < deadline) await sleep(10)
    expect(attachedAt).toBeGreaterThan(0)
    expect(attachedAt).toBeLessThan(sent)
    expect(results.map((r) => r.id)).toEqual(Array.from({ length: id }, (_, i) => i))
    for (const r of results) expect(r.status).toBe('ok')
    expect(results.filter((r) => r.id % 2 === 1).map((r) => r.value)).toEqual(Array.from({ length: sent }, (_, i) => i))
  })

  it("deliver an engine's last result before its exit fails the tasks after it", async () => {
    const { cluster } = await countedCluster(2)
    const rc = cluster.client!
    for (let round = 0; round < 3; round++) {
      for (const id of rc.engines.filter((e) => e.state !== 'dead').map((e) => e.id)) {
        const v = rc.view(id)
        const order: string[] = []
        const last = v.execute("setImmediate(() => process.exit(3)); console.log('last words'); 'last'")
        const waiting = v.apply(() => new Promise((r) => setTimeout(r, 2000)))
        const after = v.execute('1')
        const outcomes = await Promise.all([
          last.then((value) => (order.push('last'), value)),
          waiting.then(() => null, (e) => (order.push('waiting'), e)),
          after.then(() => null, (e) => (order.push('after'), e)),
        ])
        expect(order).toEqual(['last', 'waiting', 'after'])
        expect(last.metadata[0].stdout).toBe('last words\n')
        for (const e of outcomes.slice(1)) {
          expect(e).toBeInstanceOf(EngineError)
          expect((e as EngineError).exitCode).toBe(3)
        }
        await cluster.restartEngine(id).catch(() => cluster.addEngines(cluster.nodes[0].key, 1))
      }
    }
  })

  it('leave no socket directory after stop, nor after the agent is SIGKILLed', async () => {
    const { cluster } = await countedCluster(1)
    const dir = socketDir(cluster.nodes[0].agentPid!)
    expect(existsSync(dir)).toBe(true)
    await cluster.stop()
    expect(existsSync(dir)).toBe(false)

    const again = await countedCluster(2)
    const agentPid = again.cluster.nodes[0].agentPid!
    const dir2 = socketDir(agentPid)
    const pids = again.cluster.client!.engines.map((e) => e.pid!)
    process.kill(agentPid, 'SIGKILL')
    expect(await waitGone([agentPid, ...pids], 5000)).toEqual([])
    const deadline = Date.now() + 2000
    while (existsSync(dir2) && Date.now() < deadline) await sleep(20)
    expect(existsSync(dir2)).toBe(false)
  })

  it('leave no socket directory when the controller is SIGKILLed (the agent removes it)', async () => {
    const script = `
      import { Cluster } from ${JSON.stringify(join(process.cwd(), 'dist/index.js'))}
      const cluster = new Cluster({ nodes: [{ kind: 'local', engines: 2 }] })
      const rc = await cluster.start()
      console.log(JSON.stringify([...rc.engines.map((e) => e.pid), ...cluster.nodes.map((n) => n.agentPid)]))
      setInterval(() => {}, 1000)
    `
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    cleanups.push(() => void child.kill('SIGKILL'))
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString()))
      child.once('exit', (code) => reject(new Error(`controller exited early (${code})`)))
    })
    const pids = JSON.parse(line) as number[]
    const dir = socketDir(pids[2])
    expect(existsSync(dir)).toBe(true)
    child.kill('SIGKILL')
    expect(await waitGone(pids, 5000)).toEqual([])
    expect(existsSync(dir)).toBe(false)
  })
})

describe('without a direct channel', () => {
  it('engines whose connect fails speak through the agent, as before', async () => {
    const env = { [DIRECT_ENV]: JSON.stringify({ path: '/nonexistent/clusterdesk-x/s', token: 'abc' }) }
    const agent = new AgentProcess([], { env })
    await agent.handshake()
    await agent.spawnEngines([0, 1])
    expect(await agent.value(0, { op: 'execute', code: 'x = 41' })).toBeUndefined()
    expect(await agent.value(0, { op: 'pull', names: 'x' })).toBe(41)
    expect(await agent.value(1, { op: 'execute', code: 'process.env.CLUSTERDESK_DIRECT' })).toBeUndefined()
    agent.submit(0, { op: 'execute', code: 'process.exit(4)' })
    expect((await agent.nextOfType('engineExit')).stderrTail).toContain('no direct channel to the controller')
  })

  it('engines given a malformed address speak through the agent', async () => {
    const agent = new AgentProcess([], { env: { [DIRECT_ENV]: 'not json' } })
    await agent.handshake()
    await agent.spawnEngines([0])
    expect(await agent.value(0, { op: 'apply', fn: { source: '() => 7', name: '' }, args: [] })).toBe(7)
  })

  it('a connection with the wrong token, or no hello, is dropped and never handed on', async () => {
    const server = await DirectServer.open()
    cleanups.push(() => server.close())
    const attached: number[] = []
    server.onConnection((engine, transport) => {
      attached.push(engine)
      transport.close()
    })
    const closed = (socket: Socket): Promise<unknown> => new Promise((r) => socket.once('close', r))
    const wrong = connect(server.address.path)
    wrong.write(Buffer.concat(encodeFrame(0, { type: 'directHello', engine: 0, token: 'x'.repeat(server.address.token.length) })))
    const garbage = connect(server.address.path)
    garbage.write('GET / HTTP/1.1\r\n\r\n')
    await Promise.all([closed(wrong), closed(garbage)])
    const right = connect(server.address.path)
    right.write(Buffer.concat(encodeFrame(5, { type: 'directHello', engine: 5, token: server.address.token })))
    await closed(right)
    expect(attached).toEqual([5])
    const dir = dirname(server.address.path)
    server.close()
    expect(existsSync(dir)).toBe(false)
  })
})
