/**
 * Turns a π run's finished tasks into ChunkRecords (chunk, engine, samples, hits, when) for the
 * timeline and convergence plots, as the tasks finish. It reads the tasks' own arguments and
 * values, so it needs no help from runPi; each mode's tasks have one of these shapes:
 *
 * - `map` over `(seeds, indices, sizes)` → hits per chunk (direct-map, lb-map);
 * - `map` over `[seed, index, size]` triples → hits per chunk (parallel-map);
 * - `apply(fn, seed, indices, sizes)` → hits per chunk (direct-apply, lb-apply);
 * - scatter-execute: `push({piChunks: [[index, size], …]})`, then `execute`, then `pull('piHits')`
 *   per engine; the execute's times are the chunks' times, the pull brings their hits.
 *
 * Only the run's own tasks come here (see runClient), so nothing else can match these shapes.
 */
import type { Task } from '../../core/client/Task'
import type { TaskOp } from '../../core/protocol/messages'
import type { ChunkRecord } from '../api'

/** Records kept per run; more chunks than this are merged (see ChunkRecord.count). */
export const MAX_CHUNK_RECORDS = 2000

const time = (d: Date | null): number => d?.getTime() ?? Date.now()
const numbers = (v: unknown): number[] | null => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : null)

type Group = ChunkRecord & { count: number }

/**
 * Records are append-only, so a running run's chunk list only grows and can be sent and saved
 * by what is new (`drain`). To stay within MAX_CHUNK_RECORDS without rewriting what was sent,
 * the merge factor is fixed up front from the run's size: with more chunks than records, each
 * engine's chunks are summed in completion order into groups of `per`, and a group becomes a
 * record once full (or when the run ends).
 */
export class ChunkCollector {
  /** Chunks per record: 1 unless the run has more chunks than records. */
  readonly per: number
  private readonly records: ChunkRecord[] = []
  private drained = 0
  /** The group each engine is filling (per > 1 only). */
  private readonly open = new Map<number, Group>()
  /** scatter-execute, per engine: the scattered chunks and when the execute ran. */
  private readonly scattered = new Map<number, { pairs: Array<[number, number]>; started: number; completed: number }>()

  /**
   * @param chunks the chunks the run computes at most (its tasks).
   * @param engines the run's engines: each may end with a partly filled group.
   */
  constructor(chunks: number, engines = 1) {
    const room = Math.max(MAX_CHUNK_RECORDS / 2, MAX_CHUNK_RECORDS - engines)
    this.per = chunks > MAX_CHUNK_RECORDS ? Math.ceil(chunks / room) : 1
  }

  /** Records so far, in the order they were made (not the groups still filling). */
  get chunks(): ChunkRecord[] {
    return this.records
  }

  /** Records made since the last call, and the position of the first of them in `chunks`. */
  drain(): { from: number; chunks: ChunkRecord[] } {
    const from = this.drained
    this.drained = this.records.length
    return { from, chunks: this.records.slice(from) }
  }

  /** Every record, the partly filled groups too, in completion order: the finished run's list. */
  final(): ChunkRecord[] {
    const all = [...this.records, ...this.open.values()].sort((a, b) => a.completed - b.completed || a.index - b.index)
    return all.length > MAX_CHUNK_RECORDS ? compactChunks(all, MAX_CHUNK_RECORDS) : all
  }
  /** Looks at one finished task of the run (made from `op`); returns true if it completed chunks. */
  taskDone(task: Task, op: TaskOp): boolean {
    const { meta } = task
    if (meta.status !== 'ok' || meta.engineId === null) return false
    const engineId = meta.engineId
    const span = { started: time(meta.started), completed: time(meta.completed) }
    const hits = numbers(task.value)
    if (op.op === 'map' && hits) {
      if (op.seqs.length === 3) return this.add(engineId, numbers(op.seqs[1]), numbers(op.seqs[2]), hits, span)
      if (op.seqs.length === 1 && op.seqs[0].every((t) => numbers(t)?.length === 3)) {
        const triples = op.seqs[0] as number[][]
        return this.add(engineId, triples.map((t) => t[1]), triples.map((t) => t[2]), hits, span)
      }
    }
    if (op.op === 'apply' && hits && op.args.length === 3) return this.add(engineId, numbers(op.args[1]), numbers(op.args[2]), hits, span)
    if (op.op === 'push' && Array.isArray(op.ns.piChunks)) {
      this.scattered.set(engineId, { pairs: op.ns.piChunks as Array<[number, number]>, ...span })
    } else if (op.op === 'execute' && this.scattered.has(engineId)) {
      Object.assign(this.scattered.get(engineId)!, span)
    } else if (op.op === 'pull' && op.names === 'piHits' && hits) {
      const share = this.scattered.get(engineId)
      this.scattered.delete(engineId)
      if (share) return this.add(engineId, share.pairs.map((p) => p[0]), share.pairs.map((p) => p[1]), hits, share)
    }
    return false
  }

  /** One task's chunks, computed one after another: its time span is shared among them by samples. */
  private add(engineId: number, indices: number[] | null, sizes: number[] | null, hits: number[], span: { started: number; completed: number }): boolean {
    if (!indices || !sizes || indices.length !== hits.length || sizes.length !== hits.length || hits.length === 0) return false
    const total = sizes.reduce((a, b) => a + b, 0) || 1
    const duration = Math.max(0, span.completed - span.started)
    let done = 0
    for (let i = 0; i < indices.length; i++) {
      const started = span.started + (duration * done) / total
      done += sizes[i]
      this.push({ index: indices[i], engineId, samples: sizes[i], hits: hits[i], started: Math.round(started), completed: Math.round(span.started + (duration * done) / total) })
    }
    return true
  }

  private push(record: ChunkRecord): void {
    if (this.per === 1) {
      this.records.push(record)
      return
    }
    const group = this.open.get(record.engineId)
    if (!group) this.open.set(record.engineId, { ...record, count: 1 })
    else addTo(group, record)
    const filled = this.open.get(record.engineId)!
    if (filled.count >= this.per) {
      this.open.delete(record.engineId)
      this.records.push(filled)
    }
  }
}

/**
 * Merges records into at most `max`: in completion order, neighbouring records of the same
 * engine are summed into one (first index, earliest start, latest completion, `count` chunks).
 */
export function compactChunks(records: ChunkRecord[], max: number): ChunkRecord[] {
  const sorted = [...records].sort((a, b) => a.completed - b.completed || a.index - b.index)
  const chunks = sorted.reduce((n, r) => n + (r.count ?? 1), 0)
  // Each engine may end with one partly filled group, so the first guess can overshoot a little.
  for (let per = Math.ceil(chunks / max); ; per++) {
    const out = mergeGroups(sorted, per)
    if (out.length <= max) return out
  }
}

function mergeGroups(sorted: ChunkRecord[], per: number): ChunkRecord[] {
  const open = new Map<number, ChunkRecord & { count: number }>()
  const out: ChunkRecord[] = []
  for (const r of sorted) {
    let group = open.get(r.engineId)
    if (!group) {
      group = { ...r, count: r.count ?? 1 }
      open.set(r.engineId, group)
      out.push(group)
    } else addTo(group, r)
    if (group.count >= per) open.delete(r.engineId)
  }
  return out.sort((a, b) => a.completed - b.completed)
}

/** Sums a record into an engine's group: first index, earliest start, latest completion. */
function addTo(group: ChunkRecord & { count: number }, r: ChunkRecord): void {
  group.samples += r.samples
  group.hits += r.hits
  group.index = Math.min(group.index, r.index)
  group.started = Math.min(group.started, r.started)
  group.completed = Math.max(group.completed, r.completed)
  group.count += r.count ?? 1
}
