/**
 * Both ends of a local engine's direct channel over in-memory transports: the engine's gate on
 * the `directSwitch`, the controller's routing, and exit reports that wait for the channel.
 */
import { describe, expect, it } from 'vitest'
import { NodeConnection } from '../../../src-main/core/client/NodeConnection'
import { decodeFrame, encodeFrame } from '../../../src-main/core/protocol/codec'
import { EngineChannels, formatDirectAddress, parseDirectAddress } from '../../../src-main/core/protocol/directChannel'
import { AGENT, type AnyMessage, type FromAgent, type FromEngine } from '../../../src-main/core/protocol/messages'
import { createTransportPair, type Transport } from '../../../src-main/core/protocol/transport'

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Collects what arrives on a transport, decoded (but for the message types in `skip`). */
function collect(transport: Transport, skip: string[] = []): Array<{ engine: number; message: AnyMessage }> {
  const got: Array<{ engine: number; message: AnyMessage }> = []
  transport.setHandlers({
    onFrame: (frame) => {
      const decoded = decodeFrame(frame)
      if (!skip.includes(decoded.message.type)) got.push(decoded)
    },
    onClose: () => {},
  })
  return got
}

const task = (id: number): AnyMessage => ({ type: 'task', id, op: 'execute', code: String(id) })

describe('direct addresses', () => {
  it('round-trip, and anything malformed means no direct channel', () => {
    const address = { path: '/tmp/clusterdesk-a/s', token: 'f00' }
    expect(parseDirectAddress(formatDirectAddress(address))).toEqual(address)
    for (const bad of [undefined, '', 'nope', '{}', '{"path":1,"token":"x"}', '{"path":"/p","token":""}']) {
      expect(parseDirectAddress(bad)).toBeNull()
    }
  })
})

describe("the engine's channels", () => {
  it('hold output until the way is known, then send hello first, direct, and announce it on the relay', async () => {
    const [relay, agentSide] = createTransportPair()
    const [direct, controllerSide] = createTransportPair()
    const channels = new EngineChannels(relay)
    channels.setHandlers({ onFrame: () => {}, onClose: () => {} })
    const viaAgent = collect(agentSide)
    const viaDirect = collect(controllerSide)
    channels.send(encodeFrame(2, { type: 'registered', pid: 1, cwd: '/', nodeVersion: 'v20' }))
    await tick()
    expect(viaAgent).toEqual([])
    channels.useDirect(direct, encodeFrame(2, { type: 'directHello', engine: 2, token: 't' }), encodeFrame(2, { type: 'directOpened' }))
    channels.send(encodeFrame(2, { type: 'stream', id: 1, name: 'stdout', text: 'x' }))
    await tick()
    expect(viaDirect.map((r) => r.message.type)).toEqual(['directHello', 'registered', 'stream'])
    expect(viaAgent.map((r) => r.message.type)).toEqual(['directOpened'])
  })

  it('fall back to the relay for everything when there is no direct channel', async () => {
    const [relay, agentSide] = createTransportPair()
    const channels = new EngineChannels(relay)
    channels.setHandlers({ onFrame: () => {}, onClose: () => {} })
    const viaAgent = collect(agentSide)
    channels.send(encodeFrame(0, { type: 'registered', pid: 1, cwd: '/', nodeVersion: 'v20' }))
    channels.useRelay()
    await tick()
    expect(viaAgent.map((r) => r.message.type)).toEqual(['registered'])
  })

  it('take direct input only after the switch came through the relay, after what came before it', async () => {
    const [relay, agentSide] = createTransportPair()
    const [direct, controllerSide] = createTransportPair()
    const channels = new EngineChannels(relay)
    const received: number[] = []
    channels.setHandlers({ onFrame: (frame) => received.push((decodeFrame(frame).message as { id: number }).id), onClose: () => {} })
    channels.useDirect(direct, encodeFrame(0, { type: 'directHello', engine: 0, token: 't' }), encodeFrame(0, { type: 'directOpened' }))
    controllerSide.send(encodeFrame(0, task(3)))
    controllerSide.send(encodeFrame(0, task(4)))
    await tick()
    agentSide.send(encodeFrame(0, task(1)))
    agentSide.send(encodeFrame(0, task(2)))
    await tick()
    expect(received).toEqual([1, 2])
    agentSide.send(encodeFrame(0, { type: 'directSwitch' }))
    await tick()
    controllerSide.send(encodeFrame(0, task(5)))
    await tick()
    expect(received).toEqual([1, 2, 3, 4, 5])
  })

  it('close with an error when the direct channel closes', async () => {
    const [relay] = createTransportPair()
    const [direct, controllerSide] = createTransportPair()
    const channels = new EngineChannels(relay)
    let closedWith: Error | undefined
    channels.setHandlers({ onFrame: () => {}, onClose: (error) => (closedWith = error) })
    channels.useDirect(direct, encodeFrame(0, { type: 'directHello', engine: 0, token: 't' }), encodeFrame(0, { type: 'directOpened' }))
    controllerSide.close()
    await tick()
    expect(closedWith?.message).toMatch(/direct channel to the controller closed/)
  })
})

/** A NodeConnection over in-memory transports, with what it hands on recorded in order. */
function connection(): { conn: NodeConnection; agent: Transport; events: string[]; viaAgent: Array<{ engine: number; message: AnyMessage }> } {
  const [mine, agent] = createTransportPair()
  const conn = new NodeConnection(mine, { label: 'test' })
  const events: string[] = []
  conn.setEvents({
    onEngineMessage: (engine, message: FromEngine) => events.push(`${engine}:${message.type}${message.type === 'result' ? message.id : ''}`),
    onAgentMessage: (message: FromAgent) => events.push(`agent:${message.type}${message.type === 'engineExit' ? message.engine : ''}`),
    onLost: () => events.push('lost'),
  })
  const viaAgent = collect(agent, ['spawn'])
  // A node speaks only for the engines it was asked to start.
  conn.spawn([0, 1])
  return { conn, agent, events, viaAgent }
}

const result = (id: number): AnyMessage => ({ type: 'result', id, status: 'ok', value: id, started: 0, completed: 0, stdout: '', stderr: '' })
const exit = (engine: number): AnyMessage => ({ type: 'engineExit', engine, code: 3, signal: null, stderrTail: '' })

describe("the controller's routing", () => {
  it('sends the switch through the agent on attach, then that engine\'s frames directly', async () => {
    const { conn, viaAgent } = connection()
    const [direct, engineSide] = createTransportPair()
    const viaDirect = collect(engineSide)
    conn.send(encodeFrame(0, task(1)))
    conn.attachDirect(0, direct)
    conn.send(encodeFrame(0, task(2)))
    conn.send(encodeFrame(1, task(3)))
    await tick()
    expect(viaAgent.map((r) => `${r.engine}:${r.message.type}`)).toEqual(['0:task', '0:directSwitch', '1:task'])
    expect(viaDirect.map((r) => (r.message as { id: number }).id)).toEqual([2])
  })

  it("handles direct frames like the agent's, but only the engine's own", async () => {
    const { conn, events } = connection()
    const [direct, engineSide] = createTransportPair()
    conn.attachDirect(0, direct)
    engineSide.send(encodeFrame(0, result(1)))
    engineSide.send(encodeFrame(1, result(2)))
    engineSide.send(encodeFrame(AGENT, exit(0)))
    await tick()
    expect(events).toEqual(['0:result1'])
  })

  it("processes an exit after the engine's direct channel delivered its last frames and closed", async () => {
    const { conn, agent, events } = connection()
    const [direct, engineSide] = createTransportPair()
    agent.send(encodeFrame(0, { type: 'directOpened' }))
    conn.attachDirect(0, direct)
    agent.send(encodeFrame(AGENT, exit(0)))
    await tick(30)
    expect(events).toEqual([])
    engineSide.send(encodeFrame(0, result(7)))
    engineSide.close()
    await tick()
    expect(events).toEqual(['0:result7', 'agent:engineExit0'])
  })

  it('waits for a direct channel announced but not yet attached, and refuses it once the exit is done', async () => {
    const { conn, agent, events } = connection()
    agent.send(encodeFrame(0, { type: 'directOpened' }))
    agent.send(encodeFrame(AGENT, exit(0)))
    await tick(20)
    const [direct, engineSide] = createTransportPair()
    conn.attachDirect(0, direct)
    engineSide.send(encodeFrame(0, result(8)))
    engineSide.close()
    await tick()
    expect(events).toEqual(['0:result8', 'agent:engineExit0'])
    const [late] = createTransportPair()
    let closed = false
    late.setHandlers({ onFrame: () => {}, onClose: () => (closed = true) })
    conn.attachDirect(0, late)
    await tick()
    expect(closed).toBe(true)
  })

  it('processes the exit anyway when the channel stays open', async () => {
    const { conn, agent, events } = connection()
    const [direct] = createTransportPair()
    conn.attachDirect(0, direct)
    agent.send(encodeFrame(AGENT, exit(0)))
    await tick(300)
    expect(events).toEqual([])
    await tick(400)
    expect(events).toEqual(['agent:engineExit0'])
  })

  it('does not hold the exit of an engine without a direct channel, nor treat a closed channel as an exit', async () => {
    const { conn, agent, events, viaAgent } = connection()
    const [direct, engineSide] = createTransportPair()
    conn.attachDirect(1, direct)
    engineSide.close()
    await tick()
    expect(events).toEqual([])
    conn.send(encodeFrame(1, task(9)))
    agent.send(encodeFrame(AGENT, exit(0)))
    await tick()
    expect(events).toEqual(['agent:engineExit0'])
    expect(viaAgent.map((r) => `${r.engine}:${r.message.type}`)).toEqual(['1:directSwitch', '1:task'])
  })
})
