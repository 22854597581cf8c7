/**
 * The app's SQLite database (`clusterdesk.db` in the data directory): nodes, run history, errors
 * and console history. Every write is one transaction. A running run's chunk records are
 * appended to `run_chunks` as they come in (each save costs what it adds), so a crash keeps what
 * was done; its final record moves them all into `runs.chunks`. Runs a crash left 'running' are
 * marked failed on open, with the chunks they had.
 */
import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Database as SqliteDatabase } from 'node-sqlite3-wasm'
import type { ChunkRecord, ConsoleEntry, ErrorRecord, NodeInput, NodeRecord, RunRecord } from './api'
import { migrate } from './migrations'

// node-sqlite3-wasm is an Emscripten CommonJS module whose exports Node's ESM loader cannot name.
const { Database } = createRequire(import.meta.url)('node-sqlite3-wasm') as typeof import('node-sqlite3-wasm')

/** Runs, errors and console entries kept; older ones are deleted as new ones come. */
export const KEEP = 200
/** Runs in a listing that carry their chunks and points. */
export const DETAILED_RUNS = 10
export const INTERRUPTED_REASON = 'interrupted: the app stopped during the run'

type Row = Record<string, unknown>
const json = (v: unknown): string => JSON.stringify(v)
const parse = <T>(v: unknown, fallback: T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : fallback)
/** Rows written before tracebacks were one string kept them as arrays of lines: join those. */
const joinTraceback = (key: string, value: unknown): unknown => (key === 'traceback' && Array.isArray(value) ? value.join('\n') : value)
/** `parse` for columns holding error records (errors, a run's error, console entries). */
const parseWithErrors = <T>(v: unknown, fallback: T): T => (typeof v === 'string' ? (JSON.parse(v, joinTraceback) as T) : fallback)

export class Store {
  readonly file: string
  /** True when this open created the database (the app's first start on this data directory). */
  readonly created: boolean
  private readonly db: SqliteDatabase

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true })
    this.file = join(dataDir, 'clusterdesk.db')
    this.db = new Database(this.file)
    try {
      this.created = migrate(this.db, undefined, this.file) === 0
      this.failInterrupted()
    } catch (err) {
      this.db.close()
      throw err
    }
  }

  /** Runs `fn` as one transaction (a savepoint inside another): all of its writes or none. */
  transaction<T>(fn: () => T): T {
    const nested = this.db.inTransaction
    this.db.exec(nested ? 'SAVEPOINT tx' : 'BEGIN IMMEDIATE')
    try {
      const value = fn()
      this.db.exec(nested ? 'RELEASE tx' : 'COMMIT')
      return value
    } catch (err) {
      if (nested) this.db.exec('ROLLBACK TO tx; RELEASE tx')
      else if (this.db.inTransaction) this.db.exec('ROLLBACK')
      throw err
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close()
  }

  // ---- nodes -------------------------------------------------------------------------------

  listNodes(): NodeRecord[] {
    return this.db.all('SELECT * FROM nodes ORDER BY created_at, rowid').map((r) => nodeFrom(r as Row))
  }

  putNode(node: NodeRecord): void {
    const { id, createdAt, updatedAt, ...input } = node
    this.transaction(() =>
      this.db.run(
        `INSERT INTO nodes (id, name, created_at, updated_at, input) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at, input = excluded.input`,
        [id, input.name, createdAt, updatedAt, json(input)],
      ),
    )
  }

  deleteNode(id: string): boolean {
    return this.transaction(() => this.db.run('DELETE FROM nodes WHERE id = ?', [id]).changes > 0)
  }

  // ---- runs --------------------------------------------------------------------------------

  /**
   * Inserts or rewrites a whole run (its `chunks` are all of them: appended ones are dropped), and
   * drops the oldest finished runs beyond KEEP.
   */
  putRun(run: RunRecord): void {
    this.transaction(() => {
      this.db.run('DELETE FROM run_chunks WHERE run_id = ?', [run.id])
      this.db.run(
        `INSERT INTO runs (id, grp, status, started_at, finished_at, engines, request, result, error, chunks, points)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at, engines = excluded.engines,
           result = excluded.result, error = excluded.error, chunks = excluded.chunks, points = excluded.points`,
        [run.id, run.group, run.status, run.startedAt, run.finishedAt, run.engines, json(run.request), run.result ? json(run.result) : null, run.error ? json(run.error) : null, json(run.chunks), json(run.points)],
      )
      this.db.run(`DELETE FROM runs WHERE status != 'running' AND rowid NOT IN (SELECT rowid FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?)`, [KEEP])
    })
  }

  /**
   * Appends a running run's new chunk records, the first at position `from` of its list (called
   * per batch of finished tasks). Saving one again (same position) overwrites it.
   */
  appendRunChunks(id: string, from: number, chunks: ChunkRecord[]): void {
    if (chunks.length === 0) return
    const insert = this.db.prepare('INSERT OR REPLACE INTO run_chunks (run_id, seq, chunk) VALUES (?, ?, ?)')
    try {
      this.transaction(() => chunks.forEach((c, i) => insert.run([id, from + i, json(c)])))
    } finally {
      insert.finalize()
    }
  }

  getRun(id: string): RunRecord | null {
    const row = this.db.get('SELECT * FROM runs WHERE id = ?', [id]) as Row | null
    return row ? this.withAppended(runFrom(row, true)) : null
  }

  /** The last KEEP runs, newest first; only the newest `detailed` carry chunks and points. */
  listRuns(detailed = DETAILED_RUNS): RunRecord[] {
    const rows = this.db.all(
      `SELECT id, grp, status, started_at, finished_at, engines, request, result, error,
         CASE WHEN n < ? THEN chunks END AS chunks, CASE WHEN n < ? THEN points END AS points
       FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY started_at DESC, rowid DESC) - 1 AS n FROM runs) WHERE n < ? ORDER BY n`,
      [detailed, detailed, KEEP],
    ) as Row[]
    return rows.map((r) => (r.chunks !== null ? this.withAppended(runFrom(r, true)) : runFrom(r, false)))
  }

  deleteRun(id: string): boolean {
    return this.transaction(() => {
      this.db.run('DELETE FROM run_chunks WHERE run_id = ?', [id])
      return this.db.run('DELETE FROM runs WHERE id = ?', [id]).changes > 0
    })
  }

  /** A run with the chunks appended to it since its record was written (a running one's). */
  private withAppended(run: RunRecord): RunRecord {
    if (run.status === 'running') run.chunks.push(...this.appendedChunks(run.id))
    return run
  }

  private appendedChunks(id: string): ChunkRecord[] {
    return this.db.all('SELECT chunk FROM run_chunks WHERE run_id = ? ORDER BY seq', [id]).map((r) => parse<ChunkRecord>((r as Row).chunk, null as never))
  }

  // ---- errors ------------------------------------------------------------------------------

  /** Adds errors (all or none), dropping the oldest beyond KEEP. */
  addErrors(records: ErrorRecord[]): void {
    if (records.length === 0) return
    this.transaction(() => {
      for (const e of records) this.db.run('INSERT INTO errors (id, at, source, source_id, record) VALUES (?, ?, ?, ?, ?)', [e.id, e.at, e.source, e.sourceId, json(e)])
      this.db.run('DELETE FROM errors WHERE rowid NOT IN (SELECT rowid FROM errors ORDER BY at DESC, rowid DESC LIMIT ?)', [KEEP])
    })
  }

  /** Newest first. */
  listErrors(): ErrorRecord[] {
    return this.db.all('SELECT record FROM errors ORDER BY at DESC, rowid DESC LIMIT ?', [KEEP]).map((r) => parseWithErrors<ErrorRecord>((r as Row).record, null as never))
  }

  clearErrors(): void {
    this.transaction(() => this.db.run('DELETE FROM errors'))
  }

  // ---- console -----------------------------------------------------------------------------

  putConsole(entry: ConsoleEntry): void {
    this.transaction(() => {
      this.db.run(
        `INSERT INTO console (id, n, at, status, entry) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, entry = excluded.entry`,
        [entry.id, entry.n, entry.at, entry.status, json(entry)],
      )
      this.db.run('DELETE FROM console WHERE rowid NOT IN (SELECT rowid FROM console ORDER BY n DESC LIMIT ?)', [KEEP])
    })
  }

  /** Oldest first, as a terminal shows them. */
  listConsole(): ConsoleEntry[] {
    const rows = this.db.all('SELECT entry FROM (SELECT entry, n FROM console ORDER BY n DESC LIMIT ?) ORDER BY n', [KEEP]) as Row[]
    return rows.map((r) => parseWithErrors<ConsoleEntry>(r.entry, null as never))
  }

  /** The next console entry number (`In [n]`), continuing the history. */
  nextConsoleNumber(): number {
    return Number((this.db.get('SELECT COALESCE(MAX(n), 0) + 1 AS n FROM console') as Row).n)
  }

  /** Runs and console entries a crash (or kill) left 'running' end as failed. */
  private failInterrupted(): void {
    const now = Date.now()
    this.transaction(() => {
      for (const row of this.db.all(`SELECT id, request, chunks FROM runs WHERE status = 'running'`) as Row[]) {
        const error: ErrorRecord = {
          id: `${row.id}-interrupted`,
          at: now,
          source: 'run',
          sourceId: String(row.id),
          engineId: null,
          nodeName: null,
          ename: 'Interrupted',
          evalue: INTERRUPTED_REASON,
          traceback: `Interrupted: ${INTERRUPTED_REASON}`,
          method: 'runPi',
          code: parse<{ mode: string }>(row.request, { mode: '' }).mode,
          composite: null,
        }
        const chunks = [...parse<ChunkRecord[]>(row.chunks, []), ...this.appendedChunks(String(row.id))]
        this.db.run(`UPDATE runs SET status = 'failed', finished_at = ?, error = ?, chunks = ? WHERE id = ?`, [now, json(error), json(chunks), String(row.id)])
        this.db.run('DELETE FROM run_chunks WHERE run_id = ?', [String(row.id)])
      }
      for (const row of this.db.all(`SELECT id, entry FROM console WHERE status = 'running'`) as Row[]) {
        const entry = { ...parseWithErrors<ConsoleEntry>(row.entry, null as never), status: 'failed' as const, error: INTERRUPTED_REASON.replace('run', 'command') }
        this.db.run(`UPDATE console SET status = 'failed', entry = ? WHERE id = ?`, [json(entry), String(row.id)])
      }
    })
  }
}

function nodeFrom(r: Row): NodeRecord {
  return { ...parse<NodeInput>(r.input, null as never), id: String(r.id), createdAt: Number(r.created_at), updatedAt: Number(r.updated_at) }
}

function runFrom(r: Row, detailed: boolean): RunRecord {
  const run: RunRecord = {
    id: String(r.id),
    group: r.grp === null ? null : String(r.grp),
    request: parse(r.request, null as never),
    status: r.status as RunRecord['status'],
    startedAt: Number(r.started_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    engines: Number(r.engines),
    result: parse(r.result, null),
    error: parseWithErrors(r.error, null),
    chunks: detailed ? parse(r.chunks, []) : [],
    points: detailed ? parse(r.points, []) : [],
  }
  if (!detailed) run.partial = true
  return run
}
