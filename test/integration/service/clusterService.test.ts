import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { PI_MODES } from '../../../src-main/experiments/pi/runPi'
import type { ClusterService } from '../../../src-main/service/ClusterService'
import type { PiRunRequest, RunRecord } from '../../../src-main/service/api'
import { isAlive, waitGone } from '../../helpers/cluster'
import { onCleanup, openService, recordEvents, tempDir, waitFor } from '../../helpers/service'

const { Database } = createRequire(import.meta.url)('node-sqlite3-wasm') as typeof import('node-sqlite3-wasm')

const request: PiRunRequest = { samples: 2_000_000, tasks: 8, mode: 'lb-map', kernel: 'seeded', seed: 42, targets: 'all' }

/** A service whose default node runs two engines (whatever the machine's cores). */
async function startedService(dataDir = tempDir()): Promise<ClusterService> {
  const service = openService(dataDir)
  await service.saveNode({ id: 'local', name: 'This computer', kind: 'local', engines: 2 })
  await service.startNode('local')
  return service
}

const finished = (service: ClusterService, id: string) => async (): Promise<RunRecord | null> => {
  const run = await service.getRun(id)
  return run.status === 'running' ? null : run
}

describe('ClusterService with real local engines', () => {
  test('a new data directory has "This computer", which starts one engine per core', async () => {
    const service = openService(tempDir())
    const events = recordEvents(service)
    const before = await service.snapshot()
    expect(before.nodes).toMatchObject([{ id: 'local', name: 'This computer', kind: 'local', engines: null }])
    expect(before.nodeStatus).toMatchObject([{ nodeId: 'local', state: 'stopped' }])

    await service.startNode('local')
    const snap = await service.snapshot()
    expect(snap.nodeStatus[0]).toMatchObject({ state: 'ready', cores: availableParallelism() })
    expect(snap.engines).toHaveLength(availableParallelism())
    for (const engine of snap.engines) {
      expect(engine).toMatchObject({ nodeId: 'local', nodeName: 'This computer', state: 'idle', exit: null })
      expect(engine.pid).toBeGreaterThan(0)
      if (process.platform === 'linux') expect(engine.memory).toBeGreaterThan(1_000_000)
    }
    await waitFor(() => events.events.some((e) => e.type === 'engine' && e.engine.state === 'idle'), 'engine events')

    const pids = snap.engines.map((e) => e.pid!)
    await service.stopNode('local')
    expect(await waitGone(pids)).toEqual([])
    const after = await service.snapshot()
    expect(after.engines).toEqual([])
    expect(after.nodeStatus[0].state).toBe('stopped')
  })

  test('nodes are saved, edited and deleted; a node that cannot start says why and is marked failed', async () => {
    const service = openService(tempDir())
    const events = recordEvents(service)
    const node = await service.saveNode({ name: 'broken', kind: 'local', engines: 1, nodePath: '/nonexistent/node' })
    expect(await service.testNode(node)).toMatchObject({ ok: false, message: expect.stringMatching(/cannot run Node.js at \/nonexistent\/node: not found/) })
    expect(await service.testNode({ name: 'ok', kind: 'local', engines: null })).toMatchObject({ ok: true, nodeVersion: process.version })
    await expect(service.startNode(node.id)).rejects.toThrow(/cannot run Node.js at '\/nonexistent\/node'/)
    expect((await service.snapshot()).nodeStatus.find((s) => s.nodeId === node.id)).toMatchObject({ state: 'failed', reason: expect.stringMatching(/nonexistent/) })
    const edited = await service.saveNode({ ...node, name: 'fixed', nodePath: '' })
    expect(edited).toMatchObject({ id: node.id, name: 'fixed', createdAt: node.createdAt })
    await expect(service.saveNode({ ...node, id: 'nope' })).rejects.toThrow(/there is no node 'nope' to update/)
    await service.deleteNode(node.id)
    await expect(service.deleteNode(node.id)).rejects.toThrow(/there is no node/)
    expect((await service.snapshot()).nodes.map((n) => n.id)).toEqual(['local'])
    await waitFor(() => events.events.some((e) => e.type === 'nodes' && e.nodes.length === 1), 'a nodes event')
  })

  test('runs π, records its chunks, and the run survives a new service on the same data directory', async () => {
    const dataDir = tempDir()
    const service = await startedService(dataDir)
    const events = recordEvents(service)
    const started = await service.runPi(request)
    expect(started).toMatchObject({ status: 'running', engines: 2, group: null })
    expect(started.points).toHaveLength(2000)
    await expect(service.runPi(request)).rejects.toThrow(/a run is in progress/)

    const run = await waitFor(finished(service, started.id), 'the run to finish')
    expect(run.status).toBe('done')
    expect(run.result).toMatchObject({ mode: 'lb-map', samples: 2_000_000, tasks: 8, engines: 2 })
    expect(run.chunks.map((c) => c.index).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(run.chunks.reduce((n, c) => n + c.hits, 0)).toBe(run.result!.hits)
    expect(run.chunks.reduce((n, c) => n + c.samples, 0)).toBe(2_000_000)
    for (const c of run.chunks) expect(c.completed).toBeGreaterThanOrEqual(c.started)
    await waitFor(() => events.events.some((e) => e.type === 'runProgress' && e.progress.tasksDone === 8), 'the last progress event')
    expect(events.events.some((e) => e.type === 'run' && e.run.id === run.id && e.run.status === 'done')).toBe(true)

    await service.close()
    const reopened = openService(dataDir)
    const snap = await reopened.snapshot()
    expect(snap.runs[0]).toMatchObject({ id: run.id, status: 'done', result: { hits: run.result!.hits } })
    expect(snap.runs[0].chunks).toHaveLength(8)
    expect(snap.nodes[0]).toMatchObject({ id: 'local', engines: 2 })
  })

  test('"run every mode" runs the six modes in a group, with the same hits and full chunk records in each', async () => {
    const service = await startedService()
    const group = await service.runAllModes({ samples: 600_000, tasks: 6, kernel: 'seeded', seed: 7, targets: 'all' })
    const runs = await waitFor(async () => {
      const mine = (await service.snapshot()).runs.filter((r) => r.group === group)
      return mine.length === PI_MODES.length && mine.every((r) => r.status !== 'running') ? mine : null
    }, 'six runs', 30_000)
    expect(runs.map((r) => r.request.mode).reverse()).toEqual([...PI_MODES])
    const hits = runs.find((r) => r.request.mode === 'direct-map')!.result!.hits
    for (const run of runs) {
      const mode = run.request.mode
      expect(run.status, mode).toBe('done')
      // lb-apply is the lecture's pitfall: one engine computes its own block (3 of 6 chunks) only.
      const chunks = mode === 'lb-apply' ? [0, 1, 2] : [0, 1, 2, 3, 4, 5]
      expect(run.chunks.map((c) => c.index).sort((a, b) => a - b), mode).toEqual(chunks)
      expect(run.chunks.reduce((n, c) => n + c.hits, 0), mode).toBe(run.result!.hits)
      expect(run.chunks.reduce((n, c) => n + c.samples, 0), mode).toBe(run.result!.samples)
      if (mode !== 'lb-apply') expect(run.result!.hits, mode).toBe(hits)
    }
  })

  test('the console runs code on chosen targets; T_T on 2 engines gives 2 ErrorRecords, parts of one CompositeError', async () => {
    const service = await startedService()
    const ok = await service.execute("console.log('hello'); 6 * 7", '0')
    expect(ok).toMatchObject({ status: 'done', n: 1, results: [{ engineId: 0, stdout: 'hello\n', out: '42', error: null }] })

    const entry = await service.execute('T_T', '0,1')
    expect(entry.status).toBe('failed')
    expect(entry.n).toBe(2)
    expect(entry.results.map((r) => [r.engineId, r.error?.ename])).toEqual([
      [0, 'ReferenceError'],
      [1, 'ReferenceError'],
    ])
    const { errors, console: history, engines } = await service.snapshot()
    expect(errors).toHaveLength(2)
    expect(errors.map((e) => e.composite).sort((a, b) => a!.index - b!.index)).toEqual([
      { index: 0, count: 2 },
      { index: 1, count: 2 },
    ])
    for (const e of errors) expect(e).toMatchObject({ source: 'console', sourceId: entry.id, code: 'T_T', nodeName: 'This computer', evalue: 'T_T is not defined', method: 'execute' })
    expect(history.map((h) => h.n)).toEqual([1, 2])
    expect(engines[0].output.map((l) => l.text)).toContain('hello')

    const bad = await service.execute('1', '7')
    expect(bad).toMatchObject({ status: 'failed', error: expect.stringMatching(/there is no engine 7/) })
    await service.clearErrors()
    expect((await service.snapshot()).errors).toEqual([])
  })

  test('interrupt stops a running task; the engine lives on', async () => {
    const service = await startedService()
    const pending = service.execute('while (true) {}', '0')
    await waitFor(async () => (await service.snapshot()).engines[0].state === 'busy', 'engine 0 to be busy')
    // 'busy' means the task was sent; an engine ignores a SIGINT that lands before the task runs.
    await new Promise((r) => setTimeout(r, 300))
    await service.interrupt([0])
    const entry = await pending
    expect(entry.results[0].error).toMatchObject({ ename: 'Interrupted', engineId: 0 })
    expect(await service.execute('1 + 1', '0')).toMatchObject({ status: 'done', results: [{ out: '2' }] })
  })

  test('a running run is saved as its chunks finish; cancelling aborts and interrupts it, keeping the chunks done', async () => {
    const dataDir = tempDir()
    const service = await startedService(dataDir)
    const run = await service.runPi({ ...request, samples: 4e10, tasks: 200, mode: 'lb-map' })
    // Read the database as another process would after a crash: chunks are there mid-run.
    const db = new Database(join(dataDir, 'clusterdesk.db'), { readOnly: true })
    onCleanup(() => db.close())
    const saved = await waitFor(() => db.get('SELECT status FROM runs WHERE id = ?', [run.id]) as { status: string } | null, 'the run row')
    expect(saved.status).toBe('running')
    await waitFor(() => Number((db.get('SELECT COUNT(*) AS n FROM run_chunks WHERE run_id = ?', [run.id]) as { n: number }).n) > 0, 'chunks saved mid-run')
    await service.cancelRun(run.id)
    const ended = await waitFor(finished(service, run.id), 'the run to end', 10_000)
    expect(ended.status).toBe('cancelled')
    expect(ended.chunks.length).toBeGreaterThan(0)
    expect(ended.chunks.length).toBeLessThan(200)
    expect((await service.snapshot()).engines.map((e) => e.state)).toEqual(['idle', 'idle'])
  })

  test('a run of 2,000 tasks sends each chunk record about once: new ones in runChunks, all in the final record', async () => {
    const service = await startedService()
    const events = recordEvents(service)
    const tasks = 2000
    const started = await service.runPi({ ...request, samples: 1e9, tasks })
    const run = await waitFor(finished(service, started.id), 'the run to finish', 60_000)
    expect(run.status).toBe('done')
    await waitFor(() => events.events.some((e) => e.type === 'run' && e.run.status === 'done'), 'the final run event')
    const mine = events.events.filter((e) => (e.type === 'run' && e.run.id === run.id) || (e.type === 'runChunks' && e.runId === run.id))
    const streamed = mine.flatMap((e) => (e.type === 'runChunks' ? [e] : []))
    expect(streamed.length).toBeGreaterThan(0)
    // Each event continues the list where the one before ended.
    let length = 0
    for (const e of streamed) {
      expect(e.from).toBe(length)
      length += e.chunks.length
    }
    const count = (chunks: Array<{ count?: number }>) => chunks.reduce((n, c) => n + (c.count ?? 1), 0)
    const running = mine.flatMap((e) => (e.type === 'run' && e.run.status === 'running' ? [e.run] : []))
    const final = mine.find((e) => e.type === 'run' && e.run.status === 'done') as Extract<(typeof mine)[number], { type: 'run' }>
    expect(count(final.run.chunks)).toBe(tasks)
    const sent = count(streamed.flatMap((e) => e.chunks)) + count(running.flatMap((r) => r.chunks))
    expect(sent).toBeLessThanOrEqual(Math.ceil(1.1 * tasks))
    expect(count(run.chunks)).toBe(tasks)
  }, 90_000)

  test('a run whose engine dies fails, and its error goes to Exceptions as part of a CompositeError', async () => {
    const service = await startedService()
    const [, e1] = (await service.snapshot()).engines
    const run = await service.runPi({ ...request, samples: 6e8, tasks: 2, mode: 'direct-map' })
    await waitFor(async () => (await service.snapshot()).engines.every((e) => e.state === 'busy'), 'both engines busy')
    process.kill(e1.pid!, 'SIGKILL')
    const ended = await waitFor(finished(service, run.id), 'the run to end', 20_000)
    expect(ended.status).toBe('failed')
    expect(ended.error).toMatchObject({ source: 'run', sourceId: run.id, engineId: 1, ename: 'EngineError', code: 'direct-map', composite: { index: 0, count: 1 } })
    expect((await service.snapshot()).errors).toMatchObject([{ id: ended.error!.id, nodeName: 'This computer' }])
  })

  test('stop and restart engines; an engine killed from outside shows dead with its exit', async () => {
    const service = await startedService()
    const [e0, e1] = (await service.snapshot()).engines
    const fresh = await service.restartEngine(e0.id)
    expect(fresh).toBe(2)
    let engines = (await service.snapshot()).engines
    expect(engines.map((e) => [e.id, e.state])).toEqual([
      [1, 'idle'],
      [2, 'idle'],
    ])
    expect(isAlive(e0.pid!)).toBe(false)

    await service.execute("console.log('last words')", '1')
    process.kill(e1.pid!, 'SIGKILL')
    const dead = await waitFor(async () => (await service.snapshot()).engines.find((e) => e.id === 1 && e.state === 'dead'), 'engine 1 to be dead')
    expect(dead.exit).toMatchObject({ code: null, signal: 'SIGKILL', reason: expect.stringMatching(/killed by SIGKILL/) })
    expect(dead.output.map((l) => l.text)).toContain('last words')

    await service.stopEngine(2)
    engines = (await service.snapshot()).engines
    expect(engines.find((e) => e.id === 2)).toMatchObject({ state: 'dead', exit: { signal: 'SIGTERM' } })
    // A node whose engines died is topped up by starting it again.
    await service.startNode('local')
    expect((await service.snapshot()).engines.filter((e) => e.state === 'idle')).toHaveLength(2)
  })
})
