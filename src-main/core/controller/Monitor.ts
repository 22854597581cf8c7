/**
 * The controller's monitoring feed: what every client submitted, when it started and how it
 * ended, and who is connected. Nothing is recorded until someone monitors (ordinary clients pay
 * nothing), and what is recorded goes out in batches (every MONITOR_INTERVAL_MS), so 100,000 tasks
 * make a few dozen messages, not 100,000. A task submitted (or started) and finished within one
 * batch is sent once, as `done`.
 *
 * Engines send no word when a task starts; they run their tasks one at a time, in the order they
 * were sent, so the first task in an engine's queue is the one running. A task starts when it
 * reaches the head of that queue: sent to an idle engine, or the task before it finished. That is
 * the controller's clock when it learns so (the engine's own `started` comes with `done`).
 */
import { hostname } from 'node:os'
import { TaskAborted } from '../client/errors'
import { taskClient, type Task } from '../client/Task'
import type { WireTaskError } from '../protocol/clientMessages'
import { taskErrorToWire } from '../remote/wireErrors'

/** How often monitors get a batch. */
export const MONITOR_INTERVAL_MS = 100
/** How often at most the clients' counts are recounted and sent (a join or leave goes out at once). */
export const CLIENTS_INTERVAL_MS = 500
/**
 * `submitted` events one batch carries at most: a map of 100,000 items is submitted at once, and
 * its queued count is in the clients list anyway. Every `done` event is sent.
 */
export const MAX_SUBMITTED_PER_BATCH = 2000

/** One step of a task's life, as every monitor sees it. Times are epoch milliseconds. */
export interface TaskEvent {
  kind: 'submitted' | 'started' | 'done'
  id: number
  /** The client that submitted it (0: the controller's own process). */
  client: number
  method: string
  /** Balanced: the load balancer chose (or chooses) the engine. */
  balanced: boolean
  /** The target engine (null: balanced, not yet placed); for `done`, the engine that ran it. */
  engineId: number | null
  submitted: number
  /** `started`: when it reached the head of its engine's queue; `done`: when the engine started it (null if it never ran). */
  started?: number | null
  completed?: number | null
  status?: 'ok' | 'error' | 'aborted'
  /** `done` with status 'error': the error's wire form (RemoteError, EngineError, TaskTimeout…). */
  error?: WireTaskError
}

/** One client of the controller. */
export interface ClientInfo {
  clientNo: number
  pid: number | null
  host: string | null
  /** When it connected (epoch ms); the controller's own process: when the controller started. */
  since: number
  /** Its tasks waiting: for an engine (in the load balancer's queue), or behind another task on their engine. */
  queued: number
  /** Its tasks running on an engine now. */
  running: number
  done: number
  failed: number
}

export interface MonitorEvents {
  /** A batch of task events, in the order they happened (its `started` events come last). */
  onTasks?(events: TaskEvent[]): void
  /** The clients, whenever one joined, left, or its counts changed (at most once a batch). */
  onClients?(clients: ClientInfo[]): void
}

/** What the monitor reads of the engines: the task each runs now (the head of its queue). */
export interface EngineQueues {
  /** The first task in flight on that engine (undefined: idle, dead or unknown). */
  headOf(engineId: number): Task | undefined
  /** Every engine that may hold tasks. */
  engineIds(): Iterable<number>
}

/** The task an engine runs, since when, and whether monitors were told. */
interface Head {
  task: Task
  since: number
  announced: boolean
}

interface ClientEntry {
  info: ClientInfo
  /** How many of its tasks are not yet done (for the queued / running counts): a count, not a set, since it is kept for every task, monitored or not. */
  live: number
}

export class Monitor {
  private readonly listeners = new Set<MonitorEvents>()
  private readonly clients = new Map<number, ClientEntry>()
  /** This batch's events; a submitted event is nulled when its task finishes in the same batch. */
  private events: Array<TaskEvent | null> = []
  /** Submitted events of this batch, by task id: a task done in the same batch drops its own. */
  private submittedNow = new Map<number, number>()
  private clientsChanged = false
  /** A client joined or left: the list goes out with the next batch, whenever the last one went. */
  private clientsMoved = false
  private lastClients = 0
  private submittedCount = 0
  private timer: NodeJS.Timeout | null = null
  /** Engine id → the task it runs now (kept only while someone monitors). */
  private readonly heads = new Map<number, Head>()

  constructor(
    startedAt: number,
    private readonly queues: EngineQueues = { headOf: () => undefined, engineIds: () => [] },
  ) {
    this.clients.set(0, { info: { clientNo: 0, pid: process.pid, host: hostname(), since: startedAt, queued: 0, running: 0, done: 0, failed: 0 }, live: 0 })
  }

  get active(): boolean {
    return this.listeners.size > 0
  }

  /** Follows the feed; the current clients are sent at once. */
  subscribe(events: MonitorEvents): () => void {
    // Tasks already running when the first monitor comes have no known start: counted, not announced.
    if (this.listeners.size === 0) for (const id of this.queues.engineIds()) this.checkEngine(id, Date.now(), true)
    this.listeners.add(events)
    events.onClients?.(this.list())
    this.timer ??= setInterval(() => this.flush(), MONITOR_INTERVAL_MS)
    // A monitor never keeps the process alive on its own.
    this.timer.unref()
    return () => {
      this.listeners.delete(events)
      if (this.listeners.size === 0) this.stop()
    }
  }

  clientJoined(clientNo: number, pid: number | null, host: string | null): void {
    this.clients.set(clientNo, { info: { clientNo, pid, host, since: Date.now(), queued: 0, running: 0, done: 0, failed: 0 }, live: 0 })
    this.clientsMoved = true
  }

  clientLeft(clientNo: number): void {
    if (this.clients.delete(clientNo)) this.clientsMoved = true
  }

  list(): ClientInfo[] {
    const running = new Map<number, number>()
    for (const { task } of this.heads.values()) {
      if (task.state === 'sent') running.set(taskClient(task.id), (running.get(taskClient(task.id)) ?? 0) + 1)
    }
    for (const [no, entry] of this.clients) {
      entry.info.running = running.get(no) ?? 0
      entry.info.queued = entry.live - entry.info.running
    }
    return [...this.clients.values()].map((e) => ({ ...e.info })).sort((a, b) => a.clientNo - b.clientNo)
  }

  submitted(task: Task): void {
    const entry = this.clients.get(taskClient(task.id))
    // The router submits a task once and finishes it once (finish ignores a task already done).
    if (entry) entry.live++
    if (!this.active) return
    this.clientsChanged = true
    if (++this.submittedCount > MAX_SUBMITTED_PER_BATCH) return
    this.submittedNow.set(task.id, this.events.length)
    this.events.push({
      kind: 'submitted',
      id: task.id,
      client: taskClient(task.id),
      method: task.method,
      balanced: task.balanced,
      engineId: task.meta.engineId,
      submitted: task.meta.submitted.getTime(),
    })
  }

  /** An engine's state changed (a task sent to an idle engine starts now). */
  engineChanged(engineId: number): void {
    if (this.active) this.checkEngine(engineId, Date.now(), false)
  }

  done(task: Task): void {
    const entry = this.clients.get(taskClient(task.id))
    if (entry && entry.live > 0) {
      entry.live--
      entry.info.done++
      if (task.meta.status !== 'ok') entry.info.failed++
    }
    if (!this.active) return
    this.clientsChanged = true
    const at = this.submittedNow.get(task.id)
    if (at !== undefined) {
      this.submittedNow.delete(task.id)
      this.events[at] = null
    }
    // The next task on its engine starts now.
    if (task.meta.engineId !== null) this.checkEngine(task.meta.engineId, Date.now(), false)
    const error = task.meta.error
    const status = task.meta.status === 'pending' ? 'error' : task.meta.status
    this.events.push({
      kind: 'done',
      id: task.id,
      client: taskClient(task.id),
      method: task.method,
      balanced: task.balanced,
      engineId: task.meta.engineId,
      submitted: task.meta.submitted.getTime(),
      started: task.meta.started?.getTime() ?? null,
      completed: task.meta.completed?.getTime() ?? null,
      status,
      ...(error && !(error instanceof TaskAborted) ? { error: taskErrorToWire(error, task.timeoutMs) } : {}),
    })
  }

  /**
   * Whether the head of an engine's queue changed; a new head started at `at`. `quiet`: counted as
   * running, never announced (its start is unknown).
   */
  private checkEngine(engineId: number, at: number, quiet: boolean): void {
    const task = this.queues.headOf(engineId)
    const known = this.heads.get(engineId)
    if (known?.task === task) return
    if (!task || task.state !== 'sent') {
      this.heads.delete(engineId)
      return
    }
    // Reused per engine: this runs once per finished task while monitored.
    if (known) {
      known.task = task
      known.since = at
      known.announced = quiet
    } else this.heads.set(engineId, { task, since: at, announced: quiet })
  }

  /**
   * This batch's new heads, as `started` events at its end (a task that began and ended within it
   * has none: its `done` carries both times).
   */
  private announceStarts(): void {
    // A task taken off its engine (retried elsewhere, engine lost) is found here, not by an event.
    for (const id of [...this.heads.keys(), ...this.queues.engineIds()]) this.checkEngine(id, Date.now(), false)
    for (const [engineId, head] of this.heads) {
      if (head.announced) continue
      head.announced = true
      const { task } = head
      this.events.push({ kind: 'started', id: task.id, client: taskClient(task.id), method: task.method, balanced: task.balanced, engineId, submitted: task.meta.submitted.getTime(), started: head.since })
    }
  }

  /** Sends what gathered since the last batch. */
  flush(): void {
    this.announceStarts()
    const events = this.events.filter((e): e is TaskEvent => e !== null)
    this.events = []
    this.submittedNow.clear()
    this.submittedCount = 0
    // Recounting looks at every engine's head: at most every CLIENTS_INTERVAL_MS, unless one joined or left.
    const now = Date.now()
    const due = this.clientsMoved || (this.clientsChanged && now - this.lastClients >= CLIENTS_INTERVAL_MS)
    const clients = due ? this.list() : null
    if (due) {
      this.clientsChanged = this.clientsMoved = false
      this.lastClients = now
    }
    // Clients first: a task event's client is then always known to the monitor (a new one's pid).
    for (const l of this.listeners) {
      if (clients) l.onClients?.(clients)
      if (events.length) l.onTasks?.(events)
    }
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    this.events = []
    this.heads.clear()
    this.submittedNow.clear()
    this.submittedCount = 0
  }
}
