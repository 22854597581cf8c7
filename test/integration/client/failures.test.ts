/**
 * Bad input, interrupts, aborts and engines dying, on real engine processes.
 */
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Cluster } from '../../../src-main/cluster/Cluster'
import { CompositeError, EngineError, InvalidTargetsError, NoEnginesError, RemoteError, TaskAborted } from '../../../src-main/core/client/errors'
import { NodeNotFoundError } from '../../../src-main/nodes/LocalLauncher'
import { enginePids, isAlive, startLocal, waitGone } from '../../helpers/cluster'


describe('bad input', () => {
  it('reports a syntax error as a RemoteError and keeps the engine', async () => {
    const { rc } = await startLocal(1)
    const err = await rc.view(0).execute('let = ;').then(() => null, (e) => e)
    expect(err).toBeInstanceOf(RemoteError)
    expect((err as RemoteError).ename).toBe('SyntaxError')
    expect(await rc.view(0).apply(() => 'alive')).toBe('alive')
  })

  it('shows what was thrown when it is not an Error', async () => {
    const { rc } = await startLocal(1)
    await expect(rc.view(0).apply(() => { throw { code: 5 } })).rejects.toThrow(/^\[0:apply\] Error: a non-Error value was thrown: \{ code: 5 \}$/)
    await expect(rc.view(0).apply(() => { throw 'plain text' })).rejects.toThrow(/^\[0:apply\] Error: plain text$/)
  })

  it('refuses results that cannot be sent back, naming what they contain', async () => {
    const { rc } = await startLocal(1)
    const v = rc.view(0)
    for (const [fn, pattern] of [
      [() => () => 1, /function/],
      [() => Symbol('s'), /symbol/],
      [() => { const o: any = {}; o.self = o; return o }, /cycle/],
    ] as const) {
      const err = await v.apply(fn).then(() => null, (e) => e)
      expect(err).toBeInstanceOf(RemoteError)
      expect((err as RemoteError).ename).toBe('SerializationError')
      expect((err as RemoteError).evalue).toMatch(pattern)
    }
    expect(await v.apply(() => 'still alive')).toBe('still alive')
  })

  it('refuses native functions and unknown engines', async () => {
    const { rc } = await startLocal(2)
    await expect(rc.view().apply(Math.max as never, 1, 2)).rejects.toThrow(/native/)
    expect(() => rc.view(5)).toThrow(InvalidTargetsError)
    expect(() => rc.view([0, 9])).toThrow(/no engine 9/)
  })

  it('says clearly when node cannot be found', async () => {
    const cluster = new Cluster({ nodes: [{ kind: 'local', engines: 1, nodePath: '/nonexistent/bin/node' }] })
    await expect(cluster.start()).rejects.toThrow(NodeNotFoundError)
    await expect(new Cluster({ nodes: [{ kind: 'local', engines: 1, nodePath: '/nonexistent/bin/node' }] }).start()).rejects.toThrow(/nodePath/)
    // A program that runs but is not Node.js: how it ended, and what to check.
    const notNode = await new Cluster({ nodes: [{ kind: 'local', engines: 1, nodePath: '/bin/false' }] }).start().then(() => null, (e: unknown) => e)
    expect(String(notNode)).toMatch(/before the handshake \(the node agent exited with code 1\); is '\/bin\/false' Node\.js >= 18\? \(set the node's nodePath\)/)
  })

  it('rejects bad cluster options before starting anything', () => {
    expect(() => new Cluster({ nodes: [{ kind: 'local', engines: 0 }] })).toThrow(/engines must be a whole number/)
    expect(() => new Cluster({ nodes: [] })).toThrow(/no nodes/)
    expect(() => new Cluster({ nodes: [{ kind: 'moon' } as never] })).toThrow(/kind must be/)
  })
})

describe('interrupts and aborts', () => {
  it('interrupts while(true){} and keeps the namespace', async () => {
    const { rc } = await startLocal(2)
    await rc.view().execute('kept = 41')
    const spin = rc.view(0).execute('while (true) {}')
    await new Promise((r) => setTimeout(r, 300))
    expect(rc.engines[0].state).toBe('busy')
    await rc.interrupt(0)
    const err = await spin.then(() => null, (e) => e)
    expect(err).toBeInstanceOf(RemoteError)
    expect((err as RemoteError).ename).toBe('Interrupted')
    expect(await rc.view(0).apply(() => (globalThis as any).kept + 1)).toBe(42)
    expect(rc.ids).toEqual([0, 1])
  })

  it('interrupts an awaiting async task', async () => {
    const { rc } = await startLocal(1)
    const wait = rc.view(0).apply(() => new Promise((r) => setTimeout(r, 60000)))
    await new Promise((r) => setTimeout(r, 200))
    await rc.interrupt()
    await expect(wait).rejects.toThrow(/Interrupted/)
    expect(await rc.view(0).apply(() => 'next')).toBe('next')
  })

  it('interrupts code that spins after an await, and the engine lives on', async () => {
    const { rc } = await startLocal(1)
    const e0 = rc.view(0)
    await e0.execute('var kept = 41')
    for (const spin of [e0.execute('await null; while (true) {}'), e0.apply(async () => { await new Promise((r) => setTimeout(r, 10)); for (;;) {} })]) {
      await new Promise((r) => setTimeout(r, 300))
      await rc.interrupt(0)
      await expect(spin).rejects.toThrow(/^\[0:(execute|apply)\] Interrupted/)
    }
    // Its namespace, output capture, timers and async tasks still work.
    const after = e0.execute('kept + 1')
    await after
    expect(after.metadata[0].executeResult).toBe('42')
    const printed = e0.apply(async () => { await new Promise((r) => setTimeout(r, 5)); console.log('still here'); return (globalThis as any).kept })
    expect(await printed).toBe(41)
    expect(printed.metadata[0].stdout).toBe('still here\n')
    expect(rc.engines[0].state).toBe('idle')
  })

  it('does not retry an interrupted load-balanced task elsewhere', async () => {
    const { rc } = await startLocal(2)
    const ran: number[] = []
    rc.subscribe({ onTaskDone: (t) => ran.push(t.meta.engineId ?? -1) })
    const wait = rc.loadBalancedView(undefined, { retries: 3 }).apply(() => new Promise((r) => setTimeout(r, 60000)))
    await new Promise((r) => setTimeout(r, 200))
    await rc.interrupt()
    await expect(wait).rejects.toThrow(/^\[\d:apply\] Interrupted/)
    expect(ran).toHaveLength(1)
  })

  it('aborts queued tasks but not the running one', async () => {
    const { rc } = await startLocal(1)
    const slow = rc.view(0).apply(() => { const t = Date.now(); while (Date.now() - t < 300); return 'done' })
    const queued = rc.view(0).apply(() => 'never')
    await new Promise((r) => setTimeout(r, 100))
    queued.abort()
    await expect(queued).rejects.toBeInstanceOf(TaskAborted)
    expect(await slow).toBe('done')
  })
})

describe('engines dying', () => {
  it('fails direct tasks with EngineError and retries balanced ones elsewhere', async () => {
    const { rc } = await startLocal(3)
    const err = await rc.view(1).apply(() => process.exit(3)).then(() => null, (e) => e)
    expect(err).toBeInstanceOf(EngineError)
    expect((err as EngineError).exitCode).toBe(3)
    expect(String(err)).toMatch(/engine 1 .*exit code 3/)
    expect(rc.ids).toEqual([0, 2])
    expect(rc.engines[1].state).toBe('dead')
    expect(await rc.view().apply(() => 'ok')).toEqual(['ok', 'ok'])
    // A balanced task that kills its engine is re-run on another one.
    const lv = rc.loadBalancedView(undefined, { retries: 1 })
    const marker = join(tmpdir(), `clusterdesk-retry-${process.pid}-${Date.now()}`)
    const r = await lv.apply((path: string) => {
      const fs = require('node:fs')
      if (!fs.existsSync(path)) {
        fs.writeFileSync(path, 'first attempt')
        process.exit(7)
      }
      return 'survived'
    }, marker)
    rmSync(marker, { force: true })
    expect(r).toBe('survived')
  })

  it('notices an engine killed from outside and keeps the rest working', async () => {
    const { rc } = await startLocal(2)
    const [pid0] = enginePids(rc)
    const running = rc.view().apply(() => new Promise((r) => setTimeout(() => r('late'), 2000)))
    await new Promise((r) => setTimeout(r, 100))
    process.kill(pid0, 'SIGKILL')
    const err = await running.then(() => null, (e) => e)
    expect(err).toBeInstanceOf(CompositeError)
    const [e0] = (err as CompositeError).errors
    expect(e0).toBeInstanceOf(EngineError)
    expect((e0 as EngineError).signal).toBe('SIGKILL')
    expect(rc.ids).toEqual([1])
    expect(rc.engines[0].exit?.signal).toBe('SIGKILL')
    expect(await rc.view().apply(() => 1)).toEqual([1])
  })

  it('refuses new work on a cluster whose engines are all dead', async () => {
    const { rc } = await startLocal(1)
    await rc.view(0).apply(() => process.exit(0)).catch(() => undefined)
    expect(() => rc.view()).toThrow(NoEnginesError)
  })
})

describe('nothing left behind', () => {
  it('stop() ends every engine and agent', async () => {
    const { cluster, rc } = await startLocal(3)
    const pids = [...enginePids(rc), ...cluster.nodes.map((n) => n.agentPid!)]
    expect(pids).toHaveLength(4)
    expect(pids.every(isAlive)).toBe(true)
    await cluster.stop()
    expect(await waitGone(pids, 100)).toEqual([])
  })

  it('a controller killed with SIGKILL leaves no agent or engine behind', async () => {
    const script = `
      import { Cluster } from ${JSON.stringify(join(process.cwd(), 'dist/index.js'))}
      const cluster = new Cluster({ nodes: [{ kind: 'local', engines: 2 }] })
      const rc = await cluster.start()
      rc.view().execute('while (true) {}')
      console.log(JSON.stringify([...rc.engines.map((e) => e.pid), ...cluster.nodes.map((n) => n.agentPid)]))
      setInterval(() => {}, 1000)
    `
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString()))
      child.once('exit', (code) => reject(new Error(`controller exited early (${code})`)))
    })
    const pids = JSON.parse(line) as number[]
    expect(pids).toHaveLength(3)
    child.kill('SIGKILL')
    expect(await waitGone(pids, 5000)).toEqual([])
  })
})
