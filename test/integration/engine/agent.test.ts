/**
 * The real agent bundle with real engine processes, driven over stdio as the controller does:
 * handshake, spawning, every task op, errors and tracebacks, output capture, big typed arrays,
 * abort and interrupts. Process lifecycle (exits, heartbeats, orphans) is in agentLifecycle.test.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAgent } from '../../../scripts/buildAgent.mjs'
import { AGENT, PROTOCOL_VERSION, type TaskOp } from '../../../src-main/core/protocol/messages'
import { AgentProcess, isAlive, killAll } from '../../helpers/agentProcess'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

beforeAll(async () => {
  await buildAgent()
})
afterAll(() => killAll())

describe('handshake', () => {
  it('says hello with the node it runs on, then accepts the controller hello', async () => {
    const agent = new AgentProcess()
    const hello = await agent.handshake()
    expect(hello.version).toBe(PROTOCOL_VERSION)
    expect(hello.agent).toEqual({
      pid: agent.child.pid,
      host: os.hostname(),
      cores: os.availableParallelism(),
      nodeVersion: process.version,
      platform: process.platform,
      capacity: { engines: expect.any(Number), why: expect.stringMatching(/enough for \d+ engines/) },
    })
    agent.send(AGENT, { type: 'ping', seq: 7 })
    expect(await agent.nextOfType('pong')).toEqual({ type: 'pong', seq: 7 })
    agent.kill()
  })

  it('refuses another protocol version with a clear agentError and exits with code 2', async () => {
    const agent = new AgentProcess()
    await agent.handshake(PROTOCOL_VERSION + 41)
    const error = await agent.nextOfType('agentError')
    expect(error.message).toContain(`controller speaks version ${PROTOCOL_VERSION + 41}`)
    expect(error.message).toContain(`speaks version ${PROTOCOL_VERSION}`)
    expect((await agent.exited).code).toBe(2)
  })
})

describe('engines', () => {
  let agent: AgentProcess
  let cwd: string

  beforeAll(async () => {
    // A working directory with its own node_modules, to see `require` resolve from it.
    cwd = realpathSync(mkdtempSync(join(os.tmpdir(), 'clusterdesk-engine-')))
    mkdirSync(join(cwd, 'node_modules', 'tiny-answer'), { recursive: true })
    writeFileSync(join(cwd, 'node_modules', 'tiny-answer', 'index.js'), 'module.exports = { answer: 42 }\n')
    agent = new AgentProcess()
    await agent.handshake()
    const registered = await agent.spawnEngines([0, 1], { cwd, env: { CLUSTERDESK_TEST_VAR: 'set' } })
    for (const [i, reg] of registered.entries()) {
      expect(reg).toEqual({ type: 'registered', pid: agent.enginePids.get(i), cwd, nodeVersion: process.version, heapLimitMB: expect.any(Number) })
    }
  })
  afterAll(() => {
    agent?.kill()
    rmSync(cwd, { recursive: true, force: true })
  })

  it('runs separate processes with the requested environment', async () => {
    expect(agent.enginePids.get(0)).not.toBe(agent.enginePids.get(1))
    expect(await agent.value(1, { op: 'execute', code: 'globalThis.envSeen = process.env.CLUSTERDESK_TEST_VAR' })).toBeUndefined()
    expect(await agent.value(1, { op: 'pull', names: 'envSeen' })).toBe('set')
  })

  it.runIf(process.platform === 'linux')("starts with the engines' malloc tunables, yet user code sees the user's own GLIBC_TUNABLES", async () => {
    // /proc/self/environ is the environment the engine started with (glibc keeps there only the
    // tunables children may inherit); process.env is what user code sees.
    const code = "globalThis.tunables = [require('fs').readFileSync('/proc/self/environ', 'latin1').split('\\0').filter((e) => e.includes('GLIBC_TUNABLES')), process.env.GLIBC_TUNABLES ?? null, process.env.CLUSTERDESK_USER_GLIBC_TUNABLES ?? null]"
    await agent.value(0, { op: 'execute', code })
    const [atStart, seen, marker] = (await agent.value(0, { op: 'pull', names: 'tunables' })) as [string[], string | null, string | null]
    expect(atStart).toContain(`CLUSTERDESK_USER_GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES ?? ''}`)
    expect(atStart.find((e) => e.startsWith('GLIBC_TUNABLES='))).toContain('glibc.malloc.hugetlb=')
    expect(seen).toBe(process.env.GLIBC_TUNABLES ?? null)
    expect(marker).toBeNull()
  })

  it.runIf(process.platform === 'linux')('lets an idle engine sleep: its main thread does not wake while nothing happens', async () => {
    const pid = agent.enginePids.get(1)!
    await agent.value(1, { op: 'execute', code: '1' })
    const wakeups = (): number => Number(/voluntary_ctxt_switches:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8'))![1])
    const before = wakeups()
    await new Promise((resolve) => setTimeout(resolve, 1500))
    // A 50 ms timer would wake it ~30 times; GC or a stray callback may wake it once or twice.
    expect(wakeups() - before).toBeLessThan(8)
  })

  it('offers the usual Node globals in the namespace', async () => {
    const names = [
      'require', 'module', 'exports', 'process', 'Buffer', 'console', 'setTimeout', 'setInterval', 'setImmediate',
      'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask', 'structuredClone', 'fetch', 'URL',
      'URLSearchParams', 'TextEncoder', 'TextDecoder', 'AbortController', 'performance', 'atob', 'btoa',
    ]
    const code = `globalThis.kinds = [${names.map((n) => `typeof ${n}`).join(', ')}, global === globalThis, globalThis.globalThis === globalThis]`
    await agent.value(0, { op: 'execute', code })
    const kinds = (await agent.value(0, { op: 'pull', names: 'kinds' })) as unknown[]
    expect(Object.fromEntries(names.map((n, i) => [n, kinds[i]]))).toEqual(
      Object.fromEntries(names.map((n) => [n, ['module', 'exports', 'process', 'console', 'performance'].includes(n) ? 'object' : 'function'])),
    )
    expect(kinds.slice(names.length)).toEqual([true, true])
  })

  it('executes code whose top-level declarations persist, with Out[n] as executeResult', async () => {
    const first = await agent.task(0, { op: 'execute', code: 'let a = 5\nconst b = 2\nfunction times(x) { return x * a }' })
    expect(first.status).toBe('ok')
    expect(first.executeResult).toBeUndefined()
    const second = await agent.task(0, { op: 'execute', code: '({ sum: a + b, product: times(b) })' })
    expect(second.value).toBeUndefined()
    expect(second.executeResult).toBe('{ sum: 7, product: 10 }')
    expect(await agent.value(0, { op: 'pull', names: ['a', 'b'] })).toEqual([5, 2])
  })

  it('pushes into top-level lets, visible to later executes and functions', async () => {
    await agent.value(0, { op: 'execute', code: 'let pushedLet = 1\nfunction readPushed() { return pushedLet }' })
    await agent.value(0, { op: 'push', ns: { pushedLet: 10, fresh: { nested: [1, 'two', null] } } })
    expect(await agent.value(0, { op: 'pull', names: ['pushedLet', 'fresh'] })).toEqual([10, { nested: [1, 'two', null] }])
    expect((await agent.task(0, { op: 'execute', code: 'readPushed() + fresh.nested[0]' })).executeResult).toBe('11')
    const bad = await agent.task(0, { op: 'push', ns: { 'not a name': 1 } })
    expect(bad.status).toBe('error')
    expect(bad.error?.evalue).toContain('"not a name" is not a valid JavaScript variable name')
  })

  it('pulls a missing name as a ReferenceError, like NameError', async () => {
    const result = await agent.task(1, { op: 'pull', names: 'neverDefined' })
    expect(result.status).toBe('error')
    expect(result.error).toMatchObject({ ename: 'ReferenceError', evalue: 'neverDefined is not defined' })
    expect(result.error?.traceback.split('\n')[0]).toBe('ReferenceError: neverDefined is not defined')
  })

  it('applies functions sent by source, and maps over zipped sequences', async () => {
    expect(await agent.value(1, { op: 'apply', fn: fnSource((x: number, y: number) => x * y), args: [6, 7] })).toBe(42)
    const asyncValue = await agent.value(1, {
      op: 'apply',
      fn: fnSource(async (x: number) => {
        await new Promise((r) => setTimeout(r, 10))
        return x + 1
      }),
      args: [1],
    })
    expect(asyncValue).toBe(2)
    const zipped = await agent.value(1, { op: 'map', fn: fnSource((x: number, s: string) => s.repeat(x)), seqs: [[1, 2, 3], ['a', 'b']] })
    expect(zipped).toEqual(['a', 'bb'])
    const awaited = await agent.value(1, { op: 'map', fn: fnSource(async (x: number) => x * 2), seqs: [[1, 2, 3]] })
    expect(awaited).toEqual([2, 4, 6])
    expect(await agent.value(1, { op: 'map', fn: fnSource((x: number) => x), seqs: [[]] })).toEqual([])
    // A method's source is shorthand (`double(x) { ... }`), which is not an expression by itself.
    const holder = {
      double(x: number) {
        return 2 * x
      },
    }
    expect(await agent.value(1, { op: 'apply', fn: fnSource(holder.double), args: [21] })).toBe(42)
  })

  it('resolves an applied function’s free names in the namespace: sample must be pushed first', async () => {
    function sampleMultiple(n: number): number {
      // @ts-expect-error: `sample` exists only on the engine, once pushed
      return sample() * n
    }
    const before = await agent.task(0, { op: 'apply', fn: fnSource(sampleMultiple), args: [3] })
    expect(before.status).toBe('error')
    expect(before.error?.ename).toBe('ReferenceError')
    expect(before.error?.evalue).toBe('sample is not defined')
    expect(before.error?.traceback).toContain('fn:sampleMultiple:')
    // Functions inside values travel as RemoteFunction and are re-created in the namespace.
    await agent.value(0, { op: 'push', ns: { sample: () => 7 } })
    expect(await agent.value(0, { op: 'apply', fn: fnSource(sampleMultiple), args: [3] })).toBe(21)
  })

  it('requires modules from the engine cwd and binds them as globals', async () => {
    await agent.value(1, { op: 'require', modules: { nodeOs: 'node:os', tiny: 'tiny-answer' } })
    expect(await agent.value(1, { op: 'execute', code: 'globalThis.seen = [nodeOs.platform(), tiny.answer]' })).toBeUndefined()
    expect(await agent.value(1, { op: 'pull', names: 'seen' })).toEqual([process.platform, 42])
    const missing = await agent.task(1, { op: 'require', modules: { nope: 'no-such-module-anywhere' } })
    expect(missing.error?.evalue).toContain("Cannot find module 'no-such-module-anywhere'")
  })

  it('reports errors with a traceback into user code only', async () => {
    const result = await agent.task(0, { op: 'execute', code: 'let fine = 1\nfine + T_T' })
    expect(result.status).toBe('error')
    expect(result.error?.ename).toBe('ReferenceError')
    expect(result.error?.evalue).toBe('T_T is not defined')
    const traceback = result.error!.traceback
    expect(typeof traceback).toBe('string')
    const lines = traceback.split('\n')
    expect(lines[0]).toBe('ReferenceError: T_T is not defined')
    expect(lines.some((line) => line.includes('<execute>:2'))).toBe(true)
    expect(lines.filter((line) => /node:|agent\.cjs|<clusterdesk>/.test(line))).toEqual([])

    const thrown = await agent.task(0, { op: 'execute', code: "throw 'plain string'" })
    expect(thrown.error).toMatchObject({ ename: 'Error', evalue: 'plain string', traceback: 'Error: plain string' })
    const syntax = await agent.task(0, { op: 'execute', code: 'let = = 1' })
    expect(syntax.error?.ename).toBe('SyntaxError')
  })

  it('captures stdout and stderr per task, never mixing tasks', async () => {
    const ids = [
      agent.submit(1, { op: 'execute', code: 'console.log("one", 1); process.stderr.write("err one\\n")' }),
      agent.submit(1, { op: 'apply', fn: fnSource(() => console.log('two')), args: [] }),
      agent.submit(1, { op: 'execute', code: '1 + 1' }),
    ]
    const [one, two, three] = await Promise.all(ids.map((id) => agent.result(id)))
    expect([one.stdout, one.stderr]).toEqual(['one 1\n', 'err one\n'])
    // Nothing written: the result carries no field for it (the client's metadata has '').
    expect([two.stdout, 'stderr' in two]).toEqual(['two\n', false])
    expect(['stdout' in three, 'stderr' in three, three.executeResult]).toEqual([false, false, '2'])
  })

  it('streams the output of a long task while it runs', async () => {
    const id = agent.submit(1, {
      op: 'execute',
      code: 'console.log("early"); await new Promise((r) => setTimeout(r, 300)); console.log("late")',
    })
    const stream = await agent.next((r) => r.message.type === 'stream' && r.message.id === id, 5000)
    expect(stream).toEqual({ engine: 1, message: { type: 'stream', id, name: 'stdout', text: 'early\n' } })
    expect((await agent.result(id)).stdout).toBe('early\nlate\n')
  })

  it('survives an async error thrown after its task, reporting it as output of no task', async () => {
    const result = await agent.task(1, { op: 'execute', code: 'setTimeout(() => { throw new RangeError("later") }, 20); "scheduled"' })
    expect(result.status).toBe('ok')
    const stream = await agent.next((r) => r.message.type === 'stream' && r.message.id === -1, 5000)
    expect(stream.message).toMatchObject({ name: 'stderr', text: expect.stringContaining('Uncaught RangeError: later') })
    expect(await agent.value(1, { op: 'apply', fn: fnSource(() => 'alive'), args: [] })).toBe('alive')
  })

  it('answers an unsendable result with a SerializationError and lives on', async () => {
    const result = await agent.task(0, { op: 'apply', fn: fnSource(() => ({ f: () => 1 })), args: [] })
    expect(result.status).toBe('error')
    expect(result.error?.ename).toBe('SerializationError')
    expect(result.error?.evalue).toContain('cannot be sent back')
    expect(result.cpuMs).toEqual(expect.any(Number))
    const cycle = await agent.task(0, { op: 'execute', code: 'globalThis.loop = {}; loop.self = loop' })
    expect(cycle.status).toBe('ok')
    const cyclePull = await agent.task(0, { op: 'pull', names: 'loop' })
    expect(cyclePull.error?.ename).toBe('SerializationError')
    const symbol = await agent.task(0, { op: 'apply', fn: fnSource(() => Symbol('s')), args: [] })
    expect(symbol.error?.ename).toBe('SerializationError')
    expect(await agent.value(0, { op: 'apply', fn: fnSource(() => 'still here'), args: [] })).toBe('still here')
  })

  it('measures the CPU time of each task, tiny ones run back to back with long, awaited and printing ones', async () => {
    // Spins until the process has used `ms` of CPU time: wall time would count waits for a core.
    const burn = fnSource((ms: number) => {
      const start = process.cpuUsage()
      for (;;) {
        const used = process.cpuUsage(start)
        if (used.user + used.system >= ms * 1000) return ms
      }
    })
    const tiny = (): number => agent.submit(1, { op: 'apply', fn: fnSource((x: number) => x + 1), args: [1] })
    const before = Array.from({ length: 30 }, tiny)
    const long = agent.submit(1, { op: 'apply', fn: burn, args: [40] })
    const after = Array.from({ length: 30 }, tiny)
    const printing = agent.submit(1, { op: 'apply', fn: fnSource(() => console.log('printed')), args: [] })
    const awaited = agent.submit(1, { op: 'execute', code: 'await new Promise((r) => setTimeout(r, 5)); globalThis.burnt = 0; for (const s = process.cpuUsage(); process.cpuUsage(s).user + process.cpuUsage(s).system < 20000;) burnt++' })
    const last = Array.from({ length: 10 }, tiny)
    const results = await Promise.all([...before, long, ...after, printing, awaited, ...last].map((id) => agent.result(id)))
    for (const r of results) {
      expect(r.status).toBe('ok')
      expect(r.cpuMs).toBeGreaterThanOrEqual(0)
    }
    const cpu = new Map(results.map((r) => [r.id, r.cpuMs!]))
    const tinyCpu = [...before, ...after, ...last].reduce((sum, id) => sum + cpu.get(id)!, 0)
    // Waits for a core (this machine may be busy) can only shift a little of the long task's time to its neighbours.
    expect(cpu.get(long)!).toBeGreaterThanOrEqual(20)
    expect(cpu.get(long)!).toBeGreaterThan(tinyCpu)
    expect(cpu.get(awaited)!).toBeGreaterThanOrEqual(20)
    expect(results.find((r) => r.id === printing)?.stdout).toBe('printed\n')
  })

  it('pushes and pulls an 8 MB Float64Array exactly', async () => {
    const data = new Float64Array(1 << 20)
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i) * 1e6 + i / 7
    await agent.value(1, { op: 'push', ns: { big: data } })
    expect(await agent.value(1, { op: 'execute', code: 'globalThis.bigOk = big instanceof Float64Array && big.length' })).toBeUndefined()
    expect(await agent.value(1, { op: 'pull', names: 'bigOk' })).toBe(data.length)
    const back = (await agent.value(1, { op: 'pull', names: 'big' })) as Float64Array
    expect(back).toBeInstanceOf(Float64Array)
    expect(back.length).toBe(data.length)
    expect(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(data.buffer))).toBe(true)
  })

  it('aborts queued tasks at once, in place', async () => {
    const slow = agent.submit(0, { op: 'execute', code: 'await new Promise((r) => setTimeout(r, 600)); "slow"' })
    const kept = agent.submit(0, { op: 'execute', code: '"kept"' })
    const dropped = [agent.submit(0, { op: 'pull', names: 'a' }), agent.submit(0, { op: 'pull', names: 'b' })]
    await sleep(50)
    agent.send(0, { type: 'abort', ids: [...dropped, slow] })
    const aborted = await Promise.all(dropped.map((id) => agent.result(id, 400)))
    expect(aborted.map((r) => r.status)).toEqual(['aborted', 'aborted'])
    const slowResult = await agent.result(slow)
    expect(slowResult.status).toBe('ok')
    expect(slowResult.completed).toBeGreaterThan(aborted[0].completed)
    expect((await agent.result(kept)).status).toBe('ok')
  })

  it('interrupts a busy loop with SIGINT; the engine and its namespace live on', async () => {
    const pid = agent.enginePids.get(1)!
    await agent.value(1, { op: 'execute', code: 'let keptThroughInterrupt = "yes"' })
    const spinners: TaskOp[] = [
      { op: 'execute', code: 'while (true) {}' },
      { op: 'apply', fn: fnSource(() => { for (;;) {} }), args: [] },
    ]
    for (const op of spinners) {
      const id = agent.submit(1, op)
      await sleep(200)
      agent.send(AGENT, { type: 'signal', engine: 1, signal: 'SIGINT' })
      const result = await agent.result(id, 5000)
      expect(result.status).toBe('error')
      expect(result.error?.ename).toBe('Interrupted')
      expect(result.error?.evalue).toContain('SIGINT')
    }
    expect(await agent.value(1, { op: 'pull', names: 'keptThroughInterrupt' })).toBe('yes')
    expect(isAlive(pid)).toBe(true)
  })

  it('interrupts an awaiting async task, and an idle engine ignores SIGINT', async () => {
    const id = agent.submit(0, { op: 'execute', code: 'await new Promise(() => {})' })
    const next = agent.submit(0, { op: 'execute', code: '"after"' })
    await sleep(200)
    agent.send(AGENT, { type: 'signal', engine: 0, signal: 'SIGINT' })
    const result = await agent.result(id, 5000)
    expect(result.error?.ename).toBe('Interrupted')
    expect((await agent.result(next)).executeResult).toBe("'after'")

    agent.send(AGENT, { type: 'signal', engine: 0, signal: 'SIGINT' })
    await sleep(200)
    expect(isAlive(agent.enginePids.get(0)!)).toBe(true)
    expect(await agent.value(0, { op: 'pull', names: 'b' })).toBe(2)
  })

  it('answers bad requests with agentError and keeps going', async () => {
    agent.send(AGENT, { type: 'signal', engine: 99, signal: 'SIGINT' })
    expect((await agent.nextOfType('agentError')).message).toContain('no such engine')
    agent.send(AGENT, { type: 'spawn', engines: 3 } as never)
    expect((await agent.nextOfType('agentError')).message).toContain('an array of engine ids')
    agent.send(AGENT, { type: 'bogus' } as never)
    expect((await agent.nextOfType('agentError')).message).toContain('unknown type "bogus"')
    agent.send(AGENT, { type: 'spawn', engines: [7], env: { A: { toString: 1 } } } as never)
    expect((await agent.nextOfType('agentError')).message).toContain('spawn.env.A is an object, not a string')
    agent.send(AGENT, null as never)
    expect((await agent.nextOfType('agentError')).message).toContain('null is not an object')
    agent.send(0, { type: 'abort', ids: 'not a list' } as never)
    // A task that fails its checks is answered (its caller would wait forever), not run.
    const bad = await agent.task(0, { op: 'execute', code: { toString: 1 } } as never)
    expect(bad).toMatchObject({ status: 'error', error: { ename: 'ProtocolError', evalue: expect.stringContaining('task.code is an object, not a string') } })
    expect((await agent.task(0, { op: 'pull', names: [1] } as never)).error?.evalue).toContain('task.names')
    expect((await agent.task(0, { op: 'execute', code: '"still serving"' })).executeResult).toBe("'still serving'")
  })
})

/** The wire form of a function, as the client sends it. */
function fnSource(fn: Function): { source: string; name: string } {
  return { source: Function.prototype.toString.call(fn), name: fn.name }
}
