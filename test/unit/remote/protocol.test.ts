/**
 * The client protocol on its own: a Controller over an in-memory agent, its ProtocolServer on a
 * Unix socket in a temporary directory, and clients made by openRemote — the challenge-response
 * both ways, errors rebuilt on the client, and disconnects.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { connect as connectSocket, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Client } from '../../../src-main/core/client/Client'
import { ConnectionError, EngineError, RemoteError } from '../../../src-main/core/client/errors'
import { NodeConnection } from '../../../src-main/core/client/NodeConnection'
import { Controller } from '../../../src-main/core/controller/Controller'
import { encodeFrame, decodeFrame } from '../../../src-main/core/protocol/codec'
import { checkEngineRuns, CLIENT_PROTOCOL_VERSION } from '../../../src-main/core/protocol/clientMessages'
import { AGENT } from '../../../src-main/core/protocol/messages'
import { StreamTransport } from '../../../src-main/core/protocol/transport'
import { newKey, newNonce, proof } from '../../../src-main/core/remote/auth'
import { openRemote } from '../../../src-main/core/remote/openRemote'
import { ProtocolServer } from '../../../src-main/core/remote/ProtocolServer'
import { FakeAgent } from '../../helpers/fakeAgent'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function controllerWithEngines(engines: number): Promise<{ controller: Controller; agent: FakeAgent; path: string; key: string; server: ProtocolServer }> {
  const agent = new FakeAgent()
  cleanups.push(() => agent.close())
  const node = new NodeConnection(agent.controllerSide, { label: 'fake' })
  await node.handshake(1000)
  const controller = new Controller()
  controller.attach(node)
  const ids = Array.from({ length: engines }, (_, i) => i)
  controller.registry.expect(node, ids)
  node.spawn(ids)
  await controller.registry.waitForEngines(ids, 1000)
  const dir = mkdtempSync(join(tmpdir(), 'cdp-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const key = newKey()
  const server = new ProtocolServer(controller, key)
  const path = join(dir, 'c.sock')
  await server.listen({ path })
  cleanups.push(() => server.close())
  return { controller, agent, path, key, server }
}

/**
 * Speaks the client protocol by hand: authenticates with `key`, then lets `then` send what it
 * likes; resolves when the controller closes the connection.
 */
function authenticatedThen(path: string, key: string, then: (c: { socket: Socket; transport: StreamTransport; clientNo: number }) => void): Promise<void> {
  const socket = connectSocket(path)
  const closed = new Promise<void>((r) => socket.once('close', () => r()))
  const transport = new StreamTransport(socket, socket)
  const mine = newNonce()
  transport.setHandlers({
    onFrame: (frame) => {
      const { message } = decodeFrame<{ type: string; nonce: Uint8Array; clientNo: number }>(frame)
      if (message.type === 'challenge') transport.send(encodeFrame(AGENT, { type: 'auth', version: CLIENT_PROTOCOL_VERSION, nonce: mine, mac: proof(key, 'client', message.nonce, mine) } as never))
      if (message.type === 'welcome') then({ socket, transport, clientNo: message.clientNo })
    },
    onClose: () => undefined,
  })
  return closed
}

const open = (path: string, key: string) => openRemote({ address: { path }, key, describe: "profile 't'", hint: 'start one', timeoutMs: 2000 })

describe('the client protocol', () => {
  it('runs tasks through a connected client with the same results and errors', async () => {
    const { path, key, server } = await controllerWithEngines(2)
    const link = await open(path, key)
    cleanups.push(() => link.close())
    const rc = new Client(link)
    expect(rc.ids).toEqual([0, 1])
    expect(await rc.view().apply((engine: number) => engine * 10)).toEqual([0, 10])
    expect(await rc.loadBalancedView().map((x: number) => x + 1, [1, 2, 3])).toEqual([2, 3, 4])
    const err = await rc.view(1).apply(() => { throw new TypeError('nope') }).then(() => null, (e) => e)
    expect(err).toBeInstanceOf(RemoteError)
    expect(String(err)).toBe('[1:apply] TypeError: nope')
    expect(server.clients).toBe(1)
    expect((await rc.status()).clients).toBe(1)
  })

  it('rebuilds controller-decided errors as their classes (an engine that died)', async () => {
    const { path, key, agent } = await controllerWithEngines(2)
    const rc = new Client(await open(path, key))
    cleanups.push(() => rc.close())
    agent.hold = true
    const pending = rc.view(1).apply(() => 1)
    await new Promise((r) => setTimeout(r, 50))
    agent.kill(1)
    const err = await pending.then(() => null, (e) => e)
    expect(err).toBeInstanceOf(EngineError)
    expect(err).toBeInstanceOf(RemoteError)
    expect((err as EngineError).engineId).toBe(1)
    expect(rc.engines[1].state).toBe('dead')
  })

  it("keeps the client's engine table the controller's through tasks (busy and idle sent as runs)", async () => {
    const { path, key, agent, controller } = await controllerWithEngines(2)
    const rc = new Client(await open(path, key))
    cleanups.push(() => rc.close())
    const lv = rc.loadBalancedView()
    await Promise.all(Array.from({ length: 20 }, () => lv.apply(() => 1)))
    for (let i = 0; i < 5; i++) await rc.view(1).apply(() => 2)
    await new Promise((r) => setTimeout(r, 30))
    expect(rc.engines.reduce((n, e) => n + e.tasksDone, 0)).toBe(25)
    expect(rc.engines).toEqual(controller.engines())
    expect(rc.engines.map((e) => Object.keys(e))).toEqual(controller.engines().map((e) => Object.keys(e)))
    agent.hold = true
    void rc.view(1).apply(() => 3).catch(() => undefined)
    await new Promise((r) => setTimeout(r, 30))
    expect(rc.engines[1].state).toBe('busy')
    expect(rc.engines[1].currentTask).not.toBeNull()
    expect(rc.engines).toEqual(controller.engines())
  })

  it('checks engine runs: five counts each, -1 only for no current task', () => {
    expect(checkEngineRuns([0, 1, 7, 3, 2.5, 1, 0, -1, 4, 0])).toBeNull()
    expect(checkEngineRuns([0, 1, 7, 3])).toMatch(/5-number entries/)
    expect(checkEngineRuns([0, 1, '7', 3, 2])).toMatch(/runs\[2\] is string/)
    expect(checkEngineRuns([0, 1, 7, 3, -1])).toMatch(/runs\[4\] is -1/)
    expect(checkEngineRuns([0, 1.5, 7, 3, 1])).toMatch(/runs\[1\]/)
    expect(checkEngineRuns({ length: 5 })).not.toBeNull()
  })

  it('refuses a wrong key, and the key never crosses the wire', async () => {
    const { path, key } = await controllerWithEngines(1)
    const other = newKey()
    const err = await open(path, other).then(() => null, (e) => e)
    expect(err).toBeInstanceOf(ConnectionError)
    expect(String(err)).toMatch(/refused this client's key/)
    expect(String(err)).not.toContain(key)
  })

  it('refuses a controller that cannot prove the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdp-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const path = join(dir, 'fake.sock')
    // An impostor: accepts any client and answers with a made-up proof.
    const impostor: Server = createServer((socket) => {
      const t = new StreamTransport(socket, socket)
      t.setHandlers({
        onFrame: (frame) => {
          const { message } = decodeFrame<{ type: string }>(frame)
          if (message.type === 'auth') t.send(encodeFrame(AGENT, { type: 'welcome', mac: newNonce(), clientNo: 1, engines: [] } as never))
        },
        onClose: () => undefined,
      })
      t.send(encodeFrame(AGENT, { type: 'challenge', version: CLIENT_PROTOCOL_VERSION, nonce: newNonce() } as never))
    })
    await new Promise<void>((r) => impostor.listen(path, () => r()))
    cleanups.push(() => new Promise<void>((r) => impostor.close(() => r())))
    await expect(open(path, newKey())).rejects.toThrow(/could not prove the cluster's key/)
  })

  it('fails pending work with ConnectionError when the controller goes away, and keeps nothing queued', async () => {
    const { path, key, agent, server } = await controllerWithEngines(1)
    const rc = new Client(await open(path, key))
    agent.hold = true
    const pending = rc.view(0).apply(() => 1)
    await new Promise((r) => setTimeout(r, 50))
    await server.close()
    const err = await pending.then(() => null, (e) => e)
    expect(err).toBeInstanceOf(ConnectionError)
    expect(String(err)).toMatch(/went away/)
    await expect(rc.view(0).apply(() => 2)).rejects.toThrow(ConnectionError)
    await expect(rc.status()).rejects.toThrow(ConnectionError)
  })

  it('closes an authenticated connection that then sends garbage, and keeps serving the others', async () => {
    const { path, key, server } = await controllerWithEngines(1)
    const good = new Client(await open(path, key))
    cleanups.push(() => good.close())
    // Authenticated: now a frame whose body is not MessagePack at all.
    await authenticatedThen(path, key, ({ socket }) => socket.write(Buffer.from([0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 4, 0xc1, 0xc1, 0xc1, 0xc1, 0, 0, 0, 0])))
    expect(server.clients).toBe(1)
    expect(await good.view(0).apply(() => 'fine')).toBe('fine')
  })

  it('closes a connection whose submit uses bare task ids wrongly (no method, or ids not its own), and keeps serving', async () => {
    const { path, key, server } = await controllerWithEngines(1)
    const good = new Client(await open(path, key))
    cleanups.push(() => good.close())
    const submits = [
      (no: number) => ({ type: 'submit', tasks: [no * 2 ** 32 + 1] }),
      (no: number) => ({ type: 'submit', tasks: [(no + 1) * 2 ** 32 + 1], method: 'apply' }),
    ]
    for (const submit of submits) {
      await authenticatedThen(path, key, ({ transport, clientNo }) => {
        transport.send(encodeFrame(AGENT, submit(clientNo) as never))
        transport.send(encodeFrame(0, { type: 'task', id: 1, op: 'apply', fn: '() => 1', args: [] } as never))
      })
      expect(server.clients).toBe(1)
    }
    expect(await good.loadBalancedView().map((x: number) => x * 2, [1, 2, 3])).toEqual([2, 4, 6])
  })

  it('says so when nothing listens', async () => {
    await expect(open(join(tmpdir(), 'no-such-dir-cd', 'x.sock'), newKey())).rejects.toThrow(/nothing is listening.*ENOENT/)
  })
})
