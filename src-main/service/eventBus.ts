/**
 * Batches the service's events for its subscribers (a window, a browser tab): at most one batch
 * every `intervalMs`, and within a batch one event per thing. An engine that changes state
 * 10,000 times between two flushes is one `engine` event with its latest view, so 32 engines ×
 * 10,000 tasks is at most 32 engine events per batch, whatever the task rate.
 */
import type { OutputLine, ServiceEvent, TaskBar } from './api'

/** Finished tasks one batch carries at most (a script's 100,000 tasks are shown as their tail). */
export const MAX_TASKS_PER_BATCH = 2000

export type EventListener = (batch: ServiceEvent[]) => void

/** What adapters need from the service to forward its events. */
export interface EventSource {
  /** Follows event batches; returns the function that stops following. */
  onEvents(listener: EventListener): () => void
}

export interface EventBusOptions {
  /** Shortest time between two batches (default 100 ms). */
  intervalMs?: number
  /** Output lines kept per engine within one batch (default 200, the engines' tail length). */
  maxOutputLines?: number
}

/** A pending event, or a function that builds it at flush time (null: nothing to send any more). */
type Pending = ServiceEvent | (() => ServiceEvent | null)

export class EventBus implements EventSource {
  private readonly intervalMs: number
  private readonly maxOutputLines: number
  /** Keyed by what the event is about; a newer event replaces an older one and moves to the end. */
  private readonly pending = new Map<string, Pending>()
  private readonly listeners = new Set<EventListener>()
  private timer: NodeJS.Timeout | null = null
  private lastFlush = 0
  private unique = 0

  constructor(options: EventBusOptions = {}) {
    this.intervalMs = options.intervalMs ?? 100
    this.maxOutputLines = options.maxOutputLines ?? 200
  }

  onEvents(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => void this.listeners.delete(listener)
  }

  publish(event: ServiceEvent): void {
    switch (event.type) {
      case 'output':
        this.addOutput(event.engineId, event.lines)
        return
      case 'runChunks':
        this.addChunks(event)
        return
      case 'run':
        // The final record carries every chunk: pending new ones would only be sent twice.
        if (event.run.status !== 'running') this.pending.delete(`chunks:${event.run.id}`)
        break
      case 'runDeleted':
        this.pending.delete(`run:${event.runId}`)
        this.pending.delete(`progress:${event.runId}`)
        this.pending.delete(`chunks:${event.runId}`)
        break
      case 'tasks':
        this.addTasks(event.tasks, event.total)
        return
      case 'tasksReset':
        this.pending.delete('tasks')
        break
      case 'errorsCleared':
        for (const key of [...this.pending.keys()]) if (key.startsWith('error:')) this.pending.delete(key)
        break
    }
    this.set(keyOf(event) ?? `once:${this.unique++}`, event)
  }

  /** An engine changed: its view is built once, when the batch goes out (null if it is gone). */
  engineChanged(engineId: number, view: () => ServiceEvent | null): void {
    this.set(`engine:${engineId}`, view)
  }

  /** A run progressed: its progress is read once, when the batch goes out. */
  runProgressed(runId: string, progress: () => ServiceEvent | null): void {
    this.set(`progress:${runId}`, progress)
  }

  /** Sends what is pending now (also called by the timer). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.lastFlush = Date.now()
    const batch: ServiceEvent[] = []
    for (const item of this.pending.values()) {
      const event = typeof item === 'function' ? item() : item
      if (event) batch.push(event)
    }
    this.pending.clear()
    if (batch.length === 0) return
    for (const listener of this.listeners) {
      try {
        listener(batch)
      } catch {
        // A failing subscriber (a closed window) must not keep the others from their events.
      }
    }
  }

  /** Drops pending events and listeners. */
  close(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.pending.clear()
    this.listeners.clear()
  }

  private set(key: string, item: Pending): void {
    this.pending.delete(key)
    this.pending.set(key, item)
    this.schedule()
  }

  private addOutput(engineId: number, lines: OutputLine[]): void {
    if (lines.length === 0) return
    const key = `output:${engineId}`
    const earlier = this.pending.get(key) as Extract<ServiceEvent, { type: 'output' }> | undefined
    const merged = earlier ? [...earlier.lines, ...lines] : lines
    this.set(key, { type: 'output', engineId, lines: merged.slice(-this.maxOutputLines) })
  }

  /** Finished tasks join those pending, keeping the newest MAX_TASKS_PER_BATCH (the stream is a tail). */
  private addTasks(tasks: TaskBar[], total: number): void {
    if (tasks.length === 0) return
    const earlier = this.pending.get('tasks') as Extract<ServiceEvent, { type: 'tasks' }> | undefined
    const merged = earlier ? earlier.tasks.concat(tasks) : tasks
    this.set('tasks', { type: 'tasks', tasks: merged.length > MAX_TASKS_PER_BATCH ? merged.slice(-MAX_TASKS_PER_BATCH) : merged, total })
  }

  /** New chunks of a run join those still pending, so a batch has one `runChunks` per run. */
  private addChunks(event: Extract<ServiceEvent, { type: 'runChunks' }>): void {
    if (event.chunks.length === 0) return
    const key = `chunks:${event.runId}`
    const earlier = this.pending.get(key) as Extract<ServiceEvent, { type: 'runChunks' }> | undefined
    const joined = earlier && earlier.from + earlier.chunks.length === event.from ? { ...earlier, chunks: [...earlier.chunks, ...event.chunks] } : event
    this.set(key, joined)
  }

  private schedule(): void {
    if (this.timer) return
    const wait = Math.max(0, this.lastFlush + this.intervalMs - Date.now())
    this.timer = setTimeout(() => this.flush(), wait)
    // The bus alone must not keep a process alive; its owner (a window, a server) does.
    this.timer.unref()
  }
}

function keyOf(event: ServiceEvent): string | null {
  switch (event.type) {
    case 'nodes':
      return 'nodes'
    case 'nodeStatus':
      return `nodeStatus:${event.status.nodeId}`
    case 'engine':
      return `engine:${event.engine.id}`
    case 'runProgress':
      return `progress:${event.progress.runId}`
    case 'run':
      return `run:${event.run.id}`
    case 'console':
      return `console:${event.entry.id}`
    case 'error':
      return `error:${event.error.id}`
    case 'profile':
      return 'profile'
    case 'clients':
      return 'clients'
    default:
      return null
  }
}
