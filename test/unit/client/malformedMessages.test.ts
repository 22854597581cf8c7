/**
 * What the controller does with messages that fail their checks, over the fake agent's stream:
 * an engine's bad message stops that engine (its tasks fail, the others work on); the agent's own
 * bad message loses the node with the reason; messages about engines the node never started are
 * dropped. Nothing throws into the event loop (vitest fails a run on an uncaught error).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Client } from '../../../src-main/core/client/Client'
import { EngineError } from '../../../src-main/core/client/errors'
import { HandshakeError, NodeConnection } from '../../../src-main/core/client/NodeConnection'
import { encodeFrame } from '../../../src-main/core/protocol/codec'
import { AGENT, PROTOCOL_VERSION } from '../../../src-main/core/protocol/messages'
import { createTransportPair } from '../../../src-main/core/protocol/transport'
import { FakeAgent } from '../../helpers/fakeAgent'
import { waitFor } from '../../helpers/service'

const agents: FakeAgent[] = []
afterEach(() => agents.splice(0).forEach((a) => a.close()))

async function startClient(engines = 2): Promise<{ rc: Client; agent: FakeAgent; node: NodeConnection; events: string[] }> {
  const agent = new FakeAgent()
  agents.push(agent)
  const node = new NodeConnection(agent.controllerSide, { label: 'fake' })
  await node.handshake(1000)
  const rc = new Client()
  const events: string[] = []
  rc.subscribe({ onNodeEvent: (_node, message) => events.push(message) })
  rc.attach(node)
  const ids = Array.from({ length: engines }, (_, i) => i)
  rc.expectEngines(node, ids)
  node.spawn(ids)
  await rc.waitForEngines(ids, 1000)
  return { rc, agent, node, events }
}

/** A frame whose header is sound and whose MessagePack body is not. */
function garbageFrame(engine: number): Uint8Array[] {
  const [head] = encodeFrame(engine, { type: 'pong', seq: 1 })
  const frame = new Uint8Array(head)
  frame.fill(0xc1, 12) // 0xc1 is the one byte MessagePack never uses
  return [frame]
}

const result = { type: 'result', id: 1, status: 'ok', value: 1, started: 0, completed: 0, stdout: '', stderr: '' }

describe("an engine's malformed message", () => {
  const cases: Array<[string, (agent: FakeAgent) => void]> = [
    ['a result whose id is a string', (a) => a.sendAny(0, { ...result, id: '1' })],
    ['an error result without its error', (a) => a.sendAny(0, { ...result, status: 'error' })],
    ['an error whose traceback is not a string', (a) => a.sendAny(0, { ...result, status: 'error', error: { ename: 'E', evalue: 'v', traceback: { toString: 1 } } })],
    ['a stream message with no text', (a) => a.sendAny(0, { type: 'stream', id: 1, name: 'stdout' })],
    ['registered with a pid of the wrong type', (a) => a.sendAny(0, { type: 'registered', pid: { toString: 1 }, cwd: '/', nodeVersion: 'v' })],
    ['a message of an unknown type', (a) => a.sendAny(0, { type: 'hello', version: PROTOCOL_VERSION })],
    ['not an object', (a) => a.sendAny(0, 42)],
    ['a body that cannot be decoded', (a) => a.sendRaw(garbageFrame(0))],
  ]
  for (const [what, send] of cases) {
    it(`(${what}) stops that engine with a node event; its task fails, the others work on`, async () => {
      const { rc, agent, events } = await startClient(2)
      agent.hold = true
      const pending = rc.view(0).apply(() => 1)
      await waitFor(() => agent.held.get(0)?.length === 1, 'the task to reach the agent')
      send(agent)
      const err = await pending.then(() => null, (e: unknown) => e)
      expect(err).toBeInstanceOf(EngineError)
      expect(agent.signals).toEqual([{ engine: 0, signal: 'SIGKILL' }])
      expect(events.join('\n')).toMatch(/engine 0 sent an invalid message \(.+\); stopping it/)
      agent.hold = false
      expect(await rc.view(1).apply(() => 'still here')).toBe('still here')
      expect(rc.engines.map((e) => e.state)).toEqual(['dead', 'idle'])
    })
  }
})

describe("an engine's malformed message over its direct channel", () => {
  it('stops that engine too; the agent stream and the other engine carry on', async () => {
    const { rc, agent, node, events } = await startClient(2)
    const [direct, engineSide] = createTransportPair()
    engineSide.setHandlers({ onFrame: () => {}, onClose: () => {} })
    node.attachDirect(0, direct)
    agent.hold = true
    const pending = rc.view(0).apply(() => 1)
    await new Promise((r) => setTimeout(r, 10))
    engineSide.send(encodeFrame(0, { ...result, stdout: 5 } as never))
    expect(await pending.then(() => null, (e: unknown) => e)).toBeInstanceOf(EngineError)
    expect(events.join('\n')).toMatch(/engine 0 sent an invalid message \(result\.stdout is 5, not a string\)/)
    expect(agent.signals).toEqual([{ engine: 0, signal: 'SIGKILL' }])
    agent.hold = false
    expect(await rc.view(1).apply(() => 2)).toBe(2)
    expect(node.isOpen).toBe(true)
  })
})

describe("the agent's malformed message", () => {
  const cases: Array<[string, (agent: FakeAgent) => void, RegExp]> = [
    ['an exit whose code is a string', (a) => a.sendAny(AGENT, { type: 'engineExit', engine: 0, code: '1', signal: null, stderrTail: '' }), /engineExit\.code is "1"/],
    ['an agentError with an object for message', (a) => a.sendAny(AGENT, { type: 'agentError', message: { toString: 1 } }), /agentError\.message is an object/],
    ['an unknown type', (a) => a.sendAny(AGENT, { type: 'task', id: 1, op: 'execute', code: '1' }), /unknown type "task"/],
    ['null', (a) => a.sendAny(AGENT, null), /null is not an object/],
    ['a body that cannot be decoded', (a) => a.sendRaw(garbageFrame(AGENT)), /cannot be decoded/],
  ]
  for (const [what, send, reason] of cases) {
    it(`(${what}) loses the node, saying why; its engines' tasks fail`, async () => {
      const { rc, agent, node, events } = await startClient(2)
      agent.hold = true
      const pending = rc.view().apply(() => 1)
      await waitFor(() => agent.held.size === 2, 'the tasks to reach the agent')
      send(agent)
      const err = await pending.then(() => null, (e: unknown) => e)
      expect(String(err)).toMatch(/node lost: the node agent sent an invalid message/)
      expect(node.isOpen).toBe(false)
      expect(events.join('\n')).toMatch(reason)
      expect(rc.engines.map((e) => e.state)).toEqual(['dead', 'dead'])
    })
  }

  it('in the handshake rejects it with a HandshakeError that says what was wrong', async () => {
    for (const [hello, reason] of [
      [{ type: 'hello', version: PROTOCOL_VERSION }, /hello\.agent is missing/],
      [{ type: 'hello', version: PROTOCOL_VERSION, agent: { pid: 1, host: 'h', cores: 'many', nodeVersion: 'v', platform: 'p' } }, /hello\.agent\.cores is "many"/],
      [{ type: 'hello', version: '3' }, /hello\.version is "3"/],
    ] as const) {
      const [mine, theirs] = createTransportPair()
      theirs.setHandlers({ onFrame: () => theirs.send(encodeFrame(AGENT, hello as never)), onClose: () => {} })
      const err = await new NodeConnection(mine, { label: 'x' }).handshake(1000).then(() => null, (e: unknown) => e)
      expect(err).toBeInstanceOf(HandshakeError)
      expect((err as Error).message).toMatch(reason)
    }
  })
})

describe('messages about engines the node did not start', () => {
  it('are dropped with a node event: no other engine is touched', async () => {
    const { rc, agent, events } = await startClient(2)
    agent.sendAny(7, result)
    agent.sendAny(AGENT, { type: 'engineExit', engine: 5, code: 1, signal: null, stderrTail: '' })
    agent.sendAny(AGENT, { type: 'engineStarted', engine: 9, pid: 1 })
    agent.sendRaw(garbageFrame(8))
    await waitFor(() => events.length === 4, 'four node events')
    expect(events[3]).toMatch(/dropped a message about engine 8/)
    expect(events[0]).toMatch(/dropped a message about engine 7, which this node did not start/)
    expect(events[1]).toMatch(/engineExit about engine 5/)
    expect(events[2]).toMatch(/engineStarted about engine 9/)
    expect(await rc.view().apply(() => 'fine')).toEqual(['fine', 'fine'])
    expect(agent.signals).toEqual([])
  })

  it('a second hello after the handshake is ignored', async () => {
    const { rc, agent, node } = await startClient(1)
    agent.sendAny(AGENT, { type: 'hello', version: PROTOCOL_VERSION, agent: { pid: 2, host: 'other', cores: 1, nodeVersion: 'v', platform: 'p' } })
    expect(await rc.view(0).apply(() => 3)).toBe(3)
    expect(node.agent?.host).toBe('fakehost')
  })
})
