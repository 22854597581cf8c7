import { describe, expect, it } from 'vitest'
import { checkDirectHello, checkFromAgent, checkFromEngine, checkToAgent, checkToEngine, isWireError } from '../../../src-main/core/protocol/guards'
import { PROTOCOL_VERSION } from '../../../src-main/core/protocol/messages'

const agentInfo = { pid: 10, host: 'h', cores: 4, nodeVersion: 'v22.0.0', platform: 'linux' }
const result = { type: 'result', id: 1, status: 'ok', value: { any: ['thing'] }, started: 1, completed: 2, cpuMs: 0.5, stdout: '', stderr: '' }
const wireError = { ename: 'TypeError', evalue: 'x', traceback: 'TypeError: x\n    at <execute>:1:1' }

/** Values no field of any message may be, beside the wrong-but-plausible ones each case lists. */
const hostile = [undefined, null, { toString: 1 }, [], Symbol.for('x') as unknown, 1n as unknown]

describe('messages from the agent', () => {
  const valid = [
    { type: 'hello', version: PROTOCOL_VERSION, agent: agentInfo },
    { type: 'pong', seq: 3 },
    { type: 'engineStarted', engine: 0, pid: 123 },
    { type: 'engineExit', engine: 0, code: 1, signal: null, stderrTail: '' },
    { type: 'engineExit', engine: 0, code: null, signal: 'SIGKILL', stderrTail: 'boom' },
    { type: 'agentError', message: 'cannot start engine 3' },
  ]
  it('pass when well formed', () => {
    for (const m of valid) expect(checkFromAgent(m), m.type).toBeNull()
  })

  it('fail on any field of the wrong type, saying which', () => {
    expect(checkFromAgent({ type: 'hello', version: PROTOCOL_VERSION })).toMatch(/^hello\.agent is missing, not an object/)
    expect(checkFromAgent({ type: 'hello', version: PROTOCOL_VERSION, agent: { ...agentInfo, cores: '4' } })).toBe('hello.agent.cores is "4", not an integer >= 0')
    expect(checkFromAgent({ type: 'pong', seq: 'x' })).toMatch(/^pong\.seq/)
    expect(checkFromAgent({ type: 'engineStarted', engine: -2, pid: 1 })).toMatch(/^engineStarted\.engine is -2/)
    expect(checkFromAgent({ type: 'engineStarted', engine: 1.5, pid: 1 })).toMatch(/^engineStarted\.engine/)
    expect(checkFromAgent({ type: 'engineExit', engine: 0, code: '1', signal: null, stderrTail: '' })).toMatch(/^engineExit\.code is "1", not an integer or null/)
    expect(checkFromAgent({ type: 'engineExit', engine: 0, code: 1, signal: 9, stderrTail: '' })).toMatch(/^engineExit\.signal/)
    expect(checkFromAgent({ type: 'engineExit', engine: 0, code: 1, signal: null })).toMatch(/^engineExit\.stderrTail is missing/)
    expect(checkFromAgent({ type: 'agentError', message: { toString: 1 } })).toBe('agentError.message is an object, not a string')
    for (const m of valid) {
      for (const key of Object.keys(m).filter((k) => k !== 'type')) {
        for (const bad of hostile) {
          if (key === 'code' || key === 'signal' ? bad === null : false) continue
          expect(checkFromAgent({ ...m, [key]: bad }), `${m.type}.${key} = ${String(typeof bad)}`).toMatch(new RegExp(`^${m.type}\\.${key}[ .]`))
        }
      }
    }
  })

  it('fail when not a message at all, or of an unknown type', () => {
    for (const m of [null, undefined, 3, 'hello', [], { type: 'nope' }, { type: 'toString' }, { type: '__proto__' }, { type: { toString: 1 } }]) {
      expect(checkFromAgent(m), String(typeof m)).toMatch(/^a message from the agent /)
    }
  })

  it("let another version's hello through, for the handshake to say so", () => {
    expect(checkFromAgent({ type: 'hello', version: PROTOCOL_VERSION + 1 })).toBeNull()
    expect(checkFromAgent({ type: 'hello', version: '3' })).toMatch(/^hello\.version/)
  })
})

describe('messages from an engine', () => {
  const valid = [
    { type: 'registered', pid: 1, cwd: '/', nodeVersion: 'v22' },
    result,
    { ...result, status: 'error', value: undefined, error: wireError, executeResult: '42' },
    { type: 'result', id: 2, status: 'aborted', started: 1, completed: 1, stdout: '', stderr: '' },
    // A task that wrote nothing: its result has no stdout / stderr fields.
    { type: 'result', id: 3, status: 'ok', value: 0, started: 1, completed: 2, cpuMs: 0.01 },
    { type: 'stream', id: 1, name: 'stdout', text: 'hi' },
    { type: 'directOpened' },
  ]
  it('pass when well formed', () => {
    for (const m of valid) expect(checkFromEngine(m), m.type).toBeNull()
  })

  it('fail on any field of the wrong type, saying which', () => {
    expect(checkFromEngine({ ...result, id: '1' })).toBe('result.id is "1", not an integer >= 0')
    expect(checkFromEngine({ ...result, status: 'fine' })).toMatch(/^result\.status is "fine", not one of ok, error, aborted/)
    expect(checkFromEngine({ ...result, started: Number.NaN })).toMatch(/^result\.started is NaN/)
    expect(checkFromEngine({ ...result, stdout: 5 })).toMatch(/^result\.stdout/)
    expect(checkFromEngine({ ...result, stderr: null })).toMatch(/^result\.stderr is null, not a string/)
    expect(checkFromEngine({ ...result, cpuMs: '1' })).toMatch(/^result\.cpuMs/)
    expect(checkFromEngine({ ...result, status: 'error' })).toBe('result.error is missing for status error')
    expect(checkFromEngine({ ...result, status: 'error', error: { ...wireError, traceback: ['TypeError: x'] } })).toBe('result.error.traceback is an array, not a string')
    expect(checkFromEngine({ type: 'stream', id: 1, name: 'stdin', text: '' })).toMatch(/^stream\.name/)
    expect(checkFromEngine({ type: 'registered', pid: { toString: 1 }, cwd: '/', nodeVersion: 'v' })).toMatch(/^registered\.pid is an object/)
    for (const m of valid) {
      for (const key of Object.keys(m).filter((k) => !['type', 'value', 'error', 'executeResult', 'cpuMs', 'stdout', 'stderr'].includes(k))) {
        for (const bad of hostile) expect(checkFromEngine({ ...m, [key]: bad }), `${m.type}.${key}`).toMatch(new RegExp(`^${m.type}\\.${key}[ .]`))
      }
    }
  })

  it('fail when of an unknown type', () => {
    expect(checkFromEngine({ type: 'hello', version: PROTOCOL_VERSION, agent: agentInfo })).toMatch(/unknown type "hello"/)
    expect(checkFromEngine(null)).toMatch(/not an object/)
  })
})

describe('a direct channel hello', () => {
  it('needs a type, an engine id and a string token', () => {
    expect(checkDirectHello({ type: 'directHello', engine: 0, token: 'abc' })).toBeNull()
    expect(checkDirectHello({ type: 'directHello', engine: 0, token: { toString: 1 } })).toBe('directHello.token is an object, not a string')
    expect(checkDirectHello({ type: 'directHello', engine: 0, token: 5 })).toMatch(/^directHello\.token/)
    expect(checkDirectHello({ type: 'directHello', engine: '0', token: 'abc' })).toMatch(/^directHello\.engine/)
    expect(checkDirectHello({ type: 'result', engine: 0, token: 'abc' })).toMatch(/unknown type/)
  })
})

describe('messages for the agent and the engine', () => {
  it('pass when well formed', () => {
    for (const m of [
      { type: 'hello', version: 3 },
      { type: 'spawn', engines: [0, 1], cwd: '/tmp', env: { A: 'b' } },
      { type: 'spawn', engines: [] },
      { type: 'signal', engine: 0, signal: 'SIGINT' },
      { type: 'ping', seq: 1 },
      { type: 'shutdown' },
    ]) {
      expect(checkToAgent(m), m.type).toBeNull()
    }
    for (const m of [
      { type: 'task', id: 1, op: 'execute', code: '1' },
      { type: 'task', id: 1, op: 'push', ns: { a: 1 } },
      { type: 'task', id: 1, op: 'pull', names: 'a' },
      { type: 'task', id: 1, op: 'pull', names: ['a', 'b'] },
      { type: 'task', id: 1, op: 'apply', fn: { source: '() => 1', name: '' }, args: [] },
      { type: 'task', id: 1, op: 'map', fn: { source: '(x) => x', name: '' }, seqs: [[1], new Float64Array(2)] },
      { type: 'task', id: 1, op: 'require', modules: { fs: 'node:fs' } },
      { type: 'abort', ids: [1, 2] },
      { type: 'directSwitch' },
    ]) {
      expect(checkToEngine(m), JSON.stringify(m)).toBeNull()
    }
  })

  it('fail on any field of the wrong type, saying which', () => {
    expect(checkToAgent({ type: 'spawn', engines: [0, '1'] })).toBe('spawn.engines[1] is "1", not an integer >= 0')
    expect(checkToAgent({ type: 'spawn', engines: [0], env: { A: 1 } })).toMatch(/^spawn\.env\.A is 1, not a string/)
    expect(checkToAgent({ type: 'signal', engine: 0, signal: 'SIGSTOP' })).toMatch(/^signal\.signal/)
    expect(checkToEngine({ type: 'task', id: 1, op: 'execute', code: 5 })).toBe('task.code is 5, not a string')
    expect(checkToEngine({ type: 'task', id: 1, op: 'eval', code: '1' })).toMatch(/^task\.op is "eval"/)
    expect(checkToEngine({ type: 'task', id: -1, op: 'execute', code: '1' })).toMatch(/^task\.id/)
    expect(checkToEngine({ type: 'task', id: 1, op: 'apply', fn: { source: 1, name: '' }, args: [] })).toMatch(/^task\.fn\.source/)
    expect(checkToEngine({ type: 'task', id: 1, op: 'map', fn: { source: '', name: '' }, seqs: [{ length: 3 }] })).toMatch(/^task\.seqs\[0\]/)
    expect(checkToEngine({ type: 'abort', ids: 'all' })).toMatch(/^abort\.ids/)
  })
})

it('isWireError', () => {
  expect(isWireError(wireError)).toBe(true)
  expect(isWireError({ ...wireError, traceback: [] })).toBe(false)
  expect(isWireError(null)).toBe(false)
})
