// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick, watch } from 'vue'
import { useConsoleStore } from '../../../src-renderer/src/stores/console'
import { OUTPUT_TAIL, useEnginesStore } from '../../../src-renderer/src/stores/engines'
import { useErrorsStore } from '../../../src-renderer/src/stores/errors'
import { useNodesStore } from '../../../src-renderer/src/stores/nodes'
import { CHUNK_REDRAW_MS, useRunsStore } from '../../../src-renderer/src/stores/runs'
import { useSessionStore } from '../../../src-renderer/src/stores/session'
import { engine, FakeClient, remoteError, runRecord } from './fakeClient'
import { attachClient } from './mountWith'

const node = { id: 'n1', name: 'this machine', kind: 'local' as const, engines: 2, createdAt: 0, updatedAt: 0 }

beforeEach(() => localStorage.clear())

describe('stores loaded from a snapshot', () => {
  it('fills every store from snapshot()', async () => {
    const client = new FakeClient({
      nodes: [node],
      nodeStatus: [{ nodeId: 'n1', state: 'ready', engineIds: [0, 1], cores: 4 }],
      engines: [engine(1), engine(0, { state: 'busy' })],
      runs: [runRecord('r1', { status: 'done' })],
      errors: [remoteError(0)],
    })
    await attachClient(client)
    expect(useSessionStore().version).toBe('0.0.0-test')
    expect(useNodesStore().rows[0].status.state).toBe('ready')
    expect(useEnginesStore().list.map((e) => e.id)).toEqual([0, 1])
    expect(useEnginesStore().counts.busy).toBe(1)
    expect(useRunsStore().current?.id).toBe('r1')
    expect(useErrorsStore().groups).toHaveLength(1)
  })

  it('applies events that race the snapshot after it, so the snapshot does not undo them', async () => {
    const client = new FakeClient({ engines: [engine(0, { state: 'idle' })] })
    let release!: () => void
    client.holdSnapshot = new Promise((resolve) => (release = resolve))
    const attached = attachClient(client)
    await Promise.resolve()
    client.emit([{ type: 'engine', engine: { ...engine(0, { state: 'dead' }), output: undefined } as never }])
    release()
    await attached
    expect(useEnginesStore().byId[0].state).toBe('dead')
  })

  it('reloads the snapshot when the connection opens again', async () => {
    const client = new FakeClient()
    await attachClient(client)
    client.setConnection({ state: 'closed', reason: 'gone', retryInMs: 250 })
    expect(useSessionStore().connection.state).toBe('closed')
    client.snapshotData.nodes = [node]
    client.setConnection({ state: 'open' })
    await flushPromises()
    expect(client.callsOf('snapshot')).toHaveLength(2)
    expect(useNodesStore().nodes.map((n) => n.name)).toEqual(['this machine'])
  })
})

describe('event batches', () => {
  it('merges engine updates, keeping the output, and appends output lines up to the tail', async () => {
    const client = new FakeClient({ engines: [engine(0, { output: [{ stream: 'stdout', text: 'first', at: 1 }] })] })
    await attachClient(client)
    const { output: _o, ...update } = engine(0, { state: 'busy', currentTask: 7 })
    client.emit([
      { type: 'engine', engine: update },
      { type: 'output', engineId: 0, lines: [{ stream: 'stderr', text: 'oops', at: 2 }] },
    ])
    const e = useEnginesStore().byId[0]
    expect(e.state).toBe('busy')
    expect(e.currentTask).toBe(7)
    expect(e.output.map((l) => l.text)).toEqual(['first', 'oops'])

    const many = Array.from({ length: OUTPUT_TAIL + 50 }, (_, i) => ({ stream: 'stdout' as const, text: `line ${i}`, at: i }))
    client.emit([{ type: 'output', engineId: 0, lines: many }])
    expect(useEnginesStore().byId[0].output).toHaveLength(OUTPUT_TAIL)
    expect(useEnginesStore().byId[0].output.at(-1)?.text).toBe(`line ${OUTPUT_TAIL + 49}`)
  })

  it('keeps a dead engine with its exit, and drops removed engines', async () => {
    const client = new FakeClient({ engines: [engine(0), engine(1)] })
    await attachClient(client)
    const { output: _o, ...dead } = engine(1, { state: 'dead', exit: { code: 137, signal: 'SIGKILL', reason: 'killed' } })
    client.emit([{ type: 'engine', engine: dead }, { type: 'enginesRemoved', engineIds: [0] }])
    const engines = useEnginesStore()
    expect(engines.list.map((e) => e.id)).toEqual([1])
    expect(engines.byId[1].exit?.code).toBe(137)
    expect(engines.live).toHaveLength(0)
  })

  it('tracks node state and the node list', async () => {
    const client = new FakeClient({ nodes: [node] })
    await attachClient(client)
    client.emit([{ type: 'nodeStatus', status: { nodeId: 'n1', state: 'failed', reason: 'node not found', engineIds: [] } }])
    expect(useNodesStore().rows[0].status).toMatchObject({ state: 'failed', reason: 'node not found' })
    client.emit([{ type: 'nodes', nodes: [] }])
    expect(useNodesStore().rows).toHaveLength(0)
  })

  it('shows progress while a run runs and drops it when the run ends', async () => {
    const client = new FakeClient()
    await attachClient(client)
    const runs = useRunsStore()
    client.emit([
      { type: 'run', run: runRecord('r1') },
      { type: 'runProgress', progress: { runId: 'r1', tasksDone: 2, tasks: 4, samplesDone: 500, samples: 1000, samplesPerSec: 1e6, etaMs: 5 } },
    ])
    expect(runs.running.map((r) => r.id)).toEqual(['r1'])
    expect(runs.currentProgress?.tasksDone).toBe(2)
    client.emit([{ type: 'run', run: runRecord('r1', { status: 'done' }) }])
    expect(runs.running).toHaveLength(0)
    expect(runs.progress.r1).toBeUndefined()
    client.emit([{ type: 'runDeleted', runId: 'r1' }])
    expect(runs.history).toHaveLength(0)
  })

  it("appends a running run's new chunks from runChunks, at most every CHUNK_REDRAW_MS, skipping ones it has", async () => {
    vi.useFakeTimers()
    try {
      const client = new FakeClient()
      await attachClient(client)
      const runs = useRunsStore()
      const chunk = (index: number) => ({ index, engineId: index % 2, samples: 10, hits: 8, started: index, completed: index + 1 })
      client.emit([{ type: 'run', run: runRecord('r1') }])
      const seen: number[] = []
      watch(() => runs.current, (run) => seen.push(run?.chunks.length ?? -1))
      client.emit([{ type: 'runChunks', runId: 'r1', from: 0, chunks: [chunk(0), chunk(1)] }])
      vi.advanceTimersByTime(0)
      await nextTick()
      expect(seen).toEqual([2])
      // Within CHUNK_REDRAW_MS: kept, shown together; a repeat (from 1) adds only what is new.
      client.emit([{ type: 'runChunks', runId: 'r1', from: 2, chunks: [chunk(2)] }])
      client.emit([{ type: 'runChunks', runId: 'r1', from: 1, chunks: [chunk(1), chunk(2), chunk(3)] }])
      await nextTick()
      expect(seen).toEqual([2])
      vi.advanceTimersByTime(CHUNK_REDRAW_MS)
      await nextTick()
      expect(seen).toEqual([2, 4])
      expect(runs.current!.chunks.map((c) => c.index)).toEqual([0, 1, 2, 3])
      expect(client.callsOf('getRun')).toHaveLength(0)

      // A gap (chunks 4–5 missed) fetches the whole run.
      client.emit([{ type: 'runChunks', runId: 'r1', from: 6, chunks: [chunk(6)] }])
      expect(client.callsOf('getRun')).toEqual([['r1']])

      // The final record replaces the list; later chunks of a finished run are ignored.
      client.emit([{ type: 'run', run: runRecord('r1', { status: 'done', chunks: [chunk(0)] }) }])
      client.emit([{ type: 'runChunks', runId: 'r1', from: 1, chunks: [chunk(1)] }])
      vi.advanceTimersByTime(CHUNK_REDRAW_MS)
      expect(runs.current!.chunks).toHaveLength(1)
    } finally {
      vi.useRealTimers()
    }
  })

  it('fetches the chunks of a partial run when it is shown', async () => {
    const full = runRecord('old', { status: 'done', chunks: [{ index: 0, engineId: 0, samples: 10, hits: 8, started: 0, completed: 1 }] })
    const client = new FakeClient({ runs: [{ ...full, chunks: [], partial: true }] })
    const getRun = vi.spyOn(client, 'getRun').mockResolvedValue(full)
    await attachClient(client)
    await flushPromises()
    expect(getRun).toHaveBeenCalledWith('old')
    expect(useRunsStore().current?.chunks).toHaveLength(1)
  })

  it('upserts console entries and keeps a history without repeats in a row', async () => {
    const client = new FakeClient()
    await attachClient(client)
    const entry = (id: string, n: number, code: string) => ({ id, n, code, targets: 'all', at: n, durationMs: null, status: 'running' as const, results: [], error: null })
    client.emit([
      { type: 'console', entry: entry('a', 1, 'x = 1') },
      { type: 'console', entry: entry('b', 2, 'x = 1') },
      { type: 'console', entry: entry('c', 3, 'x') },
      { type: 'console', entry: { ...entry('a', 1, 'x = 1'), status: 'done' } },
    ])
    const store = useConsoleStore()
    expect(store.entries.map((e) => e.id)).toEqual(['a', 'b', 'c'])
    expect(store.entries[0].status).toBe('done')
    expect(store.history).toEqual(['x = 1', 'x'])
  })

  it('groups errors by their source and clears them', async () => {
    const client = new FakeClient()
    await attachClient(client)
    const a = remoteError(1, { composite: { index: 1, count: 2 } })
    const b = remoteError(0, { composite: { index: 0, count: 2 } })
    const c = remoteError(0, { source: 'run', sourceId: 'r1', code: 'lb-map', at: 2_000 })
    client.emit([{ type: 'error', error: a }, { type: 'error', error: b }, { type: 'error', error: c }, { type: 'error', error: c }])
    const errors = useErrorsStore()
    expect(errors.list).toHaveLength(3)
    expect(errors.groups.map((g) => g.key)).toEqual(['run:r1', 'console:c1'])
    expect(errors.groups[1].errors.map((e) => e.engineId)).toEqual([0, 1])
    expect(errors.groups[1].compositeCount).toBe(2)
    client.emit([{ type: 'errorsCleared' }])
    expect(errors.groups).toHaveLength(0)
  })
})
