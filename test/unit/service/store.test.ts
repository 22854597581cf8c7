import { createRequire } from 'node:module'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { ErrorRecord, RunRecord } from '../../../src-main/service/api'
import { migrate, MIGRATIONS, schemaVersion, SchemaVersionError } from '../../../src-main/service/migrations'
import { INTERRUPTED_REASON, KEEP, Store } from '../../../src-main/service/store'
import { onCleanup, tempDir } from '../../helpers/service'

const { Database } = createRequire(import.meta.url)('node-sqlite3-wasm') as typeof import('node-sqlite3-wasm')

function open(dir = tempDir()): Store {
  const store = new Store(dir)
  onCleanup(() => store.close())
  return store
}

function raw(file: string): InstanceType<typeof Database> {
  const db = new Database(file)
  onCleanup(() => db.isOpen && db.close())
  return db
}

const run = (id: string, startedAt: number, extra: Partial<RunRecord> = {}): RunRecord => ({
  id,
  group: null,
  request: { samples: 100, tasks: 4, mode: 'lb-map', kernel: 'seeded', seed: 1, targets: 'all' },
  status: 'done',
  startedAt,
  finishedAt: startedAt + 1,
  engines: 2,
  result: null,
  error: null,
  chunks: [{ index: 0, engineId: 0, samples: 25, hits: 20, started: startedAt, completed: startedAt + 1 }],
  points: [[0.5, 0.5, 1]],
  ...extra,
})

const error = (id: string, at: number): ErrorRecord => ({
  id, at, source: 'console', sourceId: 'c', engineId: 0, nodeName: 'n', ename: 'E', evalue: 'v', traceback: 'E: v', method: 'execute', code: 'x', composite: null,
})

describe('Store', () => {
  test('creates the database at the latest schema version, and knows when it did', () => {
    const dir = tempDir()
    const first = new Store(dir)
    expect(first.created).toBe(true)
    first.close()
    const again = open(dir)
    expect(again.created).toBe(false)
    const db = raw(join(dir, 'clusterdesk.db'))
    expect(schemaVersion(db)).toBe(MIGRATIONS.length)
    const tables = db.all("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map((r) => r.name)
    expect(tables).toEqual(['console', 'errors', 'nodes', 'run_chunks', 'runs'])
  })

  test('migrations run in order, each with its version bump; a failing one leaves the database as it was', () => {
    const db = raw(join(tempDir(), 'm.db'))
    expect(migrate(db, ['CREATE TABLE a (x)'])).toBe(0)
    expect(schemaVersion(db)).toBe(1)
    expect(() => migrate(db, ['CREATE TABLE a (x)', 'CREATE TABLE b (y); INSERT INTO nowhere VALUES (1)'])).toThrow(/schema version 2 failed: .*nowhere/)
    expect(schemaVersion(db)).toBe(1)
    expect(db.all("SELECT name FROM sqlite_master WHERE name = 'b'")).toEqual([])
    expect(migrate(db, ['CREATE TABLE a (x)', 'CREATE TABLE b (y)'])).toBe(1)
    expect(schemaVersion(db)).toBe(2)
  })

  test('refuses a database written by a newer version', () => {
    const dir = tempDir()
    const db = raw(join(dir, 'clusterdesk.db'))
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`)
    db.close()
    expect(() => new Store(dir)).toThrow(SchemaVersionError)
    expect(() => new Store(dir)).toThrow(/written by a newer version/)
  })

  test('a transaction writes all or nothing, nested ones too', () => {
    const store = open()
    const node = { id: 'n1', name: 'one', kind: 'local' as const, engines: 2, createdAt: 1, updatedAt: 1 }
    expect(() =>
      store.transaction(() => {
        store.putNode(node)
        throw new Error('boom')
      }),
    ).toThrow('boom')
    expect(store.listNodes()).toEqual([])

    store.transaction(() => {
      store.putNode(node)
      expect(() =>
        store.transaction(() => {
          store.putNode({ ...node, id: 'n2' })
          throw new Error('inner')
        }),
      ).toThrow('inner')
    })
    expect(store.listNodes().map((n) => n.id)).toEqual(['n1'])
    expect(store.listNodes()[0]).toEqual(node)
  })

  test("runs a crash left 'running' become failed on the next open, keeping the chunks they had", () => {
    const dir = tempDir()
    const crashed = new Store(dir)
    crashed.putRun(run('r1', 1000, { status: 'running', finishedAt: null, chunks: [] }))
    crashed.appendRunChunks('r1', 0, run('x', 1000).chunks)
    crashed.putConsole({ id: 'c1', n: 1, code: 'while (true) {}', targets: 'all', at: 1, durationMs: null, status: 'running', results: [], error: null })
    // No close(): the process died here.
    const next = open(dir)
    const r1 = next.getRun('r1')!
    expect(r1.status).toBe('failed')
    expect(r1.finishedAt).toBeGreaterThan(0)
    expect(r1.error).toMatchObject({ ename: 'Interrupted', evalue: INTERRUPTED_REASON, sourceId: 'r1', code: 'lb-map' })
    expect(r1.chunks).toHaveLength(1)
    expect(next.listConsole()[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/^interrupted/) })
    crashed.close()
  })

  test('a running run\'s chunks are appended as they come, survive reopening, and move into its record when it ends', () => {
    const dir = tempDir()
    const chunk = (index: number) => ({ index, engineId: index % 2, samples: 25, hits: 20, started: index, completed: index + 1 })
    const first = new Store(dir)
    first.putRun(run('r1', 1000, { status: 'running', finishedAt: null, chunks: [] }))
    first.appendRunChunks('r1', 0, [chunk(0), chunk(1)])
    first.appendRunChunks('r1', 2, [chunk(2)])
    // The same position saved again replaces, never duplicates.
    first.appendRunChunks('r1', 2, [chunk(2), chunk(3)])
    expect(first.getRun('r1')!.chunks.map((c) => c.index)).toEqual([0, 1, 2, 3])
    expect(first.listRuns()[0].chunks).toHaveLength(4)
    // Each save writes its own rows only: the run's row is not rewritten.
    const db = raw(join(dir, 'clusterdesk.db'))
    expect(db.get("SELECT chunks FROM runs WHERE id = 'r1'")).toEqual({ chunks: '[]' })
    expect(db.get("SELECT COUNT(*) AS n FROM run_chunks WHERE run_id = 'r1'")).toEqual({ n: 4 })
    db.close()
    first.close()

    const second = open(dir)
    const reopened = second.getRun('r1')!
    expect(reopened.status).toBe('failed')
    expect(reopened.chunks.map((c) => c.index)).toEqual([0, 1, 2, 3])

    second.putRun(run('r2', 2000, { status: 'running', finishedAt: null, chunks: [] }))
    second.appendRunChunks('r2', 0, [chunk(0)])
    second.putRun(run('r2', 2000, { chunks: [chunk(0), chunk(1)] }))
    expect(second.getRun('r2')!.chunks.map((c) => c.index)).toEqual([0, 1])
    second.deleteRun('r1')
    const after = raw(join(dir, 'clusterdesk.db'))
    expect(after.get('SELECT COUNT(*) AS n FROM run_chunks')).toEqual({ n: 0 })
  })

  test('tracebacks stored as arrays of lines (before they were one string) load as one string', () => {
    const dir = tempDir()
    const store = open(dir)
    const legacy = { ...error('e1', 1), traceback: ['E: v', '    at <console>:1:1'] } as unknown as ErrorRecord
    store.addErrors([legacy])
    store.putRun(run('r1', 1000, { status: 'failed', error: legacy }))
    store.putConsole({ id: 'c1', n: 1, code: 'x', targets: 'all', at: 1, durationMs: 1, status: 'done', results: [{ engineId: 0, stdout: '', stderr: '', out: null, error: legacy }], error: null })
    const joined = 'E: v\n    at <console>:1:1'
    expect(store.listErrors()[0].traceback).toBe(joined)
    expect(store.getRun('r1')!.error!.traceback).toBe(joined)
    expect(store.listRuns(1)[0].error!.traceback).toBe(joined)
    expect(store.listConsole()[0].results[0].error!.traceback).toBe(joined)
    // New rows keep the string as it is.
    store.addErrors([{ ...error('e2', 2), traceback: 'E: v\n    at f (<execute>:2:3)' }])
    expect(store.listErrors()[0].traceback).toBe('E: v\n    at f (<execute>:2:3)')
  })

  test(`keeps the last ${KEEP} runs, errors and console entries; only the newest runs carry chunks`, () => {
    const store = open()
    for (let i = 0; i < KEEP + 5; i++) store.putRun(run(`r${i}`, 1000 + i))
    const runs = store.listRuns(3)
    expect(runs).toHaveLength(KEEP)
    expect(runs[0].id).toBe(`r${KEEP + 4}`)
    expect(runs.at(-1)!.id).toBe('r5')
    expect(runs.slice(0, 3).every((r) => r.chunks.length === 1 && !r.partial)).toBe(true)
    expect(runs[3]).toMatchObject({ chunks: [], points: [], partial: true })
    expect(store.getRun('r0')).toBeNull()
    expect(store.getRun('r10')!.chunks).toHaveLength(1)

    store.addErrors(Array.from({ length: KEEP + 5 }, (_, i) => error(`e${i}`, i)))
    expect(store.listErrors()).toHaveLength(KEEP)
    expect(store.listErrors()[0].id).toBe(`e${KEEP + 4}`)

    for (let n = 1; n <= KEEP + 5; n++) store.putConsole({ id: `c${n}`, n, code: '1', targets: 'all', at: n, durationMs: 1, status: 'done', results: [], error: null })
    const history = store.listConsole()
    expect(history).toHaveLength(KEEP)
    expect(history[0].n).toBe(6)
    expect(store.nextConsoleNumber()).toBe(KEEP + 6)
  })
})
