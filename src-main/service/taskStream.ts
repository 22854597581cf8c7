/**
 * The dashboard's view of every client's work on the shown cluster: it follows the controller's
 * monitoring feed, keeps a bounded tail of finished tasks per engine (the task stream), the task
 * each engine runs now, the connected clients, and records other clients' remote errors in the
 * Exceptions log. The app's own runs and console record their errors themselves, so the app's own
 * client is skipped there.
 */
import type { Client } from '../core/client/Client'
import type { ClientInfo, TaskEvent } from '../core/controller/Monitor'
import { taskErrorFromWire } from '../core/remote/wireErrors'
import type { ClientView, RunningTask, TaskBar } from './api'
import { remoteRecord, type ErrorLog } from './errorLog'
import type { EventBus } from './eventBus'

export interface TaskStreamOptions {
  /** Finished tasks kept per engine (default 2000). */
  perEngine?: number
  /** Other clients' errors recorded per second at most (default 50); the rest are counted only. */
  errorsPerSecond?: number
}

/** Finished tasks a snapshot carries at most (the newest). */
export const SNAPSHOT_TASKS = 5000

export class TaskStream {
  private readonly perEngine: number
  private readonly errorsPerSecond: number
  /** Engine id (-1: never placed) → its finished tasks, oldest first. */
  private readonly bars = new Map<number, TaskBar[]>()
  private clients: ClientView[] = []
  /** Engine id → the task it runs now. */
  private readonly running = new Map<number, RunningTask>()
  /** Tasks finished since this cluster was followed. */
  private finished = 0
  private selfNo = 0
  private stop: (() => void) | null = null
  private errorWindow = { start: 0, count: 0 }
  /** Errors of other clients not recorded because of the rate limit. */
  droppedErrors = 0

  constructor(
    private readonly bus: EventBus,
    private readonly errors: ErrorLog,
    private readonly nodeNameOf: (engineId: number) => string | null,
    options: TaskStreamOptions = {},
  ) {
    this.perEngine = options.perEngine ?? 2000
    this.errorsPerSecond = options.errorsPerSecond ?? 50
  }

  /** Follows `client`'s cluster (null: none); the stream and clients start over. */
  follow(client: Client | null): void {
    this.stop?.()
    this.stop = null
    this.bars.clear()
    this.running.clear()
    this.clients = []
    this.finished = 0
    this.bus.publish({ type: 'tasksReset' })
    this.bus.publish({ type: 'clients', clients: [] })
    if (!client) return
    this.selfNo = client.link.clientNo
    this.stop = client.monitor({ onTasks: (events) => this.tasks(events), onClients: (clients) => this.clientsChanged(clients) })
  }

  get total(): number {
    return this.finished
  }

  listClients(): ClientView[] {
    return this.clients
  }

  /** The tasks running now, by engine. */
  runningNow(): RunningTask[] {
    return [...this.running.values()].sort((a, b) => a.engineId - b.engineId)
  }

  /** The newest finished tasks of every engine, oldest first. */
  recent(limit = SNAPSHOT_TASKS): TaskBar[] {
    return newest([...this.bars.values()], limit)
  }

  close(): void {
    this.stop?.()
    this.stop = null
  }

  private tasks(events: TaskEvent[]): void {
    const fresh: TaskBar[] = []
    const started: RunningTask[] = []
    for (const e of events) {
      if (e.kind === 'started' && e.engineId !== null && e.started) {
        const task: RunningTask = { id: e.id, client: e.client, engineId: e.engineId, method: e.method, submitted: e.submitted, started: e.started }
        this.running.set(e.engineId, task)
        started.push(task)
        continue
      }
      if (e.kind !== 'done') continue
      if (e.engineId !== null && this.running.get(e.engineId)?.id === e.id) this.running.delete(e.engineId)
      const bar: TaskBar = {
        id: e.id,
        client: e.client,
        engineId: e.engineId,
        method: e.method,
        submitted: e.submitted,
        started: e.started ?? null,
        completed: e.completed ?? null,
        status: e.status ?? 'error',
      }
      const key = e.engineId ?? -1
      let ring = this.bars.get(key)
      if (!ring) this.bars.set(key, (ring = []))
      ring.push(bar)
      // Trimmed in steps, not at every push: a quarter over the bound, cut back to it.
      if (ring.length > this.perEngine * 1.25) ring.splice(0, ring.length - this.perEngine)
      fresh.push(bar)
      this.finished++
      if (e.error && e.client !== this.selfNo) this.clientError(e)
    }
    if (fresh.length) this.bus.publish({ type: 'tasks', tasks: fresh, total: this.finished })
    if (started.length) this.bus.publish({ type: 'tasksStarted', tasks: started })
  }

  private clientError(e: TaskEvent): void {
    const now = Date.now()
    if (now - this.errorWindow.start >= 1000) this.errorWindow = { start: now, count: 0 }
    if (++this.errorWindow.count > this.errorsPerSecond) {
      this.droppedErrors++
      return
    }
    const client = this.clients.find((c) => c.clientNo === e.client)
    const who = client?.pid ? `client ${e.client} (pid ${client.pid}${client.host ? ` on ${client.host}` : ''})` : `client ${e.client}`
    const record = remoteRecord(taskErrorFromWire(e.error!), { source: 'client', sourceId: `client-${e.client}`, code: `${e.method} from ${who}`, nodeNameOf: this.nodeNameOf }, null)
    this.errors.record([record])
  }

  private clientsChanged(clients: ClientInfo[]): void {
    this.clients = clients.map((c) => ({ ...c, self: c.clientNo === this.selfNo }))
    this.bus.publish({ type: 'clients', clients: this.clients })
  }
}

const barTime = (b: TaskBar): number => b.completed ?? b.submitted

/**
 * The `limit` newest bars of all rings, oldest first, in the order a stable sort of the rings one
 * after another would give. Each engine's ring is in completion order already, so they are merged
 * from their ends: O(limit × rings), not a sort of every engine's 2,000 (256 engines: 3 s).
 */
export function newest(rings: TaskBar[][], limit: number): TaskBar[] {
  const sorted = rings.every((r) => r.every((b, i) => i === 0 || barTime(r[i - 1]) <= barTime(b)))
  if (!sorted) {
    const all = rings.flat()
    all.sort((a, b) => barTime(a) - barTime(b))
    return all.slice(-limit)
  }
  const ends = rings.map((r) => r.length)
  const out: TaskBar[] = []
  while (out.length < limit) {
    let pick = -1
    for (let i = 0; i < rings.length; i++) {
      // On a tie the later ring's bar is the later one, as in the stable sort.
      if (ends[i] > 0 && (pick < 0 || barTime(rings[i][ends[i] - 1]) >= barTime(rings[pick][ends[pick] - 1]))) pick = i
    }
    if (pick < 0) break
    out.push(rings[pick][--ends[pick]])
  }
  return out.reverse()
}
