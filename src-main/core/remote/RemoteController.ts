/**
 * The ControllerLink of a client in another process than the controller: the client protocol
 * over a socket. Tasks are encoded once, here, and sent after a small `submit` entry; results
 * come back as the engines' own frames. The engine table is a mirror kept up to date by the
 * controller's `engines` messages, so `rc.ids` and `rc.engines` stay synchronous.
 *
 * The socket keeps the process alive only while tasks or requests are pending, so a script that
 * forgets `close()` still exits when its work is done.
 */
import type { Socket } from 'node:net'
import { decodeFrame, encodeFrame, frameEngine } from '../protocol/codec'
import { checkEngineRuns, ENGINE_RUN_FIELDS, type DoneEntry, type FromController, RequestMethod, SubmitEntry, SubmitMessage, ToController } from '../protocol/clientMessages'
import { AGENT, type ResultMessage, type TaskMethod } from '../protocol/messages'
import { StreamTransport } from '../protocol/transport'
import type { EngineInfo } from '../client/EngineHandle'
import { ConnectionError } from '../client/errors'
import type { Task } from '../client/Task'
import type { ClientEvents, ControllerLink, ControllerStatus, MonitorEvents } from '../controller/ControllerLink'
import { EntryQueue } from './EntryQueue'
import { WriteBatch } from '../protocol/WriteBatch'
import { taskErrorFromWire } from './wireErrors'

/** How long a request the controller answers at once (status, interrupt) may take. */
const QUICK_REQUEST_MS = 10_000

export class RemoteController implements ControllerLink {
  private readonly mirror = new Map<number, EngineInfo>()
  private readonly tasks = new Map<number, Task>()
  private readonly listeners = new Set<ClientEvents>()
  private readonly monitors = new Set<MonitorEvents>()
  private readonly requests = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; method: RequestMethod }>()
  private nextRid = 1
  private outbox: Task[] = []
  private flushScheduled = false
  /** The tasks (of `done` messages) whose result frames are still to come, in order. */
  private readonly expected = new EntryQueue<number>()
  /** The task whose result the next frame is (announced by `relay`), and such frames till their `done`. */
  private relayNext: number | null = null
  private readonly relayedFrames = new Map<number, Uint8Array>()
  private closedBy: ConnectionError | null = null
  private leaving = false
  private referenced = true
  private readonly flushNow = (): void => this.flush()

  constructor(
    private readonly socket: Socket,
    private readonly transport: StreamTransport,
    readonly clientNo: number,
    engines: EngineInfo[],
    /** Names the cluster in error messages, e.g. `profile 'lab' (/run/…/controller.sock)`. */
    private readonly describe: string,
  ) {
    for (const e of engines) this.mirror.set(e.id, e)
    this.updateRef()
  }

  engines(): EngineInfo[] {
    return [...this.mirror.values()].sort((a, b) => a.id - b.id)
  }

  liveIds(): number[] {
    const ids: number[] = []
    for (const e of this.mirror.values()) if (e.state !== 'dead' && e.state !== 'starting') ids.push(e.id)
    return ids.sort((a, b) => a - b)
  }

  submit(tasks: Task[]): void {
    for (const task of tasks) {
      if (this.closedBy) {
        task.lose(this.closedBy)
        continue
      }
      this.tasks.set(task.id, task)
      this.outbox.push(task)
    }
    this.updateRef()
    if (!this.flushScheduled && this.outbox.length) {
      this.flushScheduled = true
      queueMicrotask(this.flushNow)
    }
  }

  abort(tasks: Task[]): void {
    const ids = tasks.filter((t) => this.tasks.has(t.id)).map((t) => t.id)
    if (ids.length === 0) return
    this.flush()
    this.send({ type: 'abort', ids })
  }

  async interrupt(ids: number[]): Promise<void> {
    await this.request('interrupt', ids, QUICK_REQUEST_MS)
  }

  subscribe(events: ClientEvents): () => void {
    this.listeners.add(events)
    return () => this.listeners.delete(events)
  }

  /** The first monitor asks the controller for the feed; the last one leaving stops it. */
  monitor(events: MonitorEvents): () => void {
    this.monitors.add(events)
    if (this.monitors.size === 1) this.setMonitoring(true)
    return () => {
      if (this.monitors.delete(events) && this.monitors.size === 0) this.setMonitoring(false)
    }
  }

  private setMonitoring(on: boolean): void {
    if (this.closedBy) return
    // Not a pending request: a monitoring client may still exit when its own work is done.
    const rid = this.nextRid++
    this.flush()
    this.send({ type: 'request', rid, method: 'monitor', args: on })
  }

  async addNodes(specs: object[]): Promise<number[]> {
    return (await this.request('addNodes', specs)) as number[]
  }

  async stopNode(key: string): Promise<void> {
    await this.request('stopNode', key)
  }

  async status(): Promise<ControllerStatus> {
    return (await this.request('status', undefined, QUICK_REQUEST_MS)) as ControllerStatus
  }

  async close(): Promise<void> {
    if (this.closedBy) return
    this.leaving = true
    this.flush()
    // Held until the socket has closed: an idle connection is unref'd, and the caller awaits this.
    this.socket.ref()
    const gone = new Promise<void>((resolve) => this.socket.once('close', () => resolve()))
    this.socket.end()
    setTimeout(() => this.socket.destroy(), 1000).unref()
    await gone
  }

  async shutdown(): Promise<void> {
    // The controller closes every connection once the cluster has stopped: that is the answer too.
    await this.request('shutdown').catch((err) => {
      if (!(err instanceof ConnectionError)) throw err
    })
    await this.close()
  }

  /** `timeoutMs`: for requests the controller answers at once; adding nodes or stopping may take long. */
  private request(method: RequestMethod, args?: unknown, timeoutMs = 0): Promise<unknown> {
    if (this.closedBy) return Promise.reject(this.closedBy)
    const rid = this.nextRid++
    return new Promise((resolve, reject) => {
      const timer = timeoutMs
        ? setTimeout(() => {
            if (!this.requests.delete(rid)) return
            this.updateRef()
            reject(new ConnectionError(`the controller of ${this.describe} did not answer ${method} within ${timeoutMs} ms: it may be stuck; \`clusterdesk list\` shows what runs`))
          }, timeoutMs)
        : null
      timer?.unref()
      const done = <T>(fn: (v: T) => void) => (v: T): void => {
        if (timer) clearTimeout(timer)
        fn(v)
      }
      this.requests.set(rid, { resolve: done(resolve), reject: done(reject), method })
      this.updateRef()
      this.flush()
      this.send({ type: 'request', rid, method, ...(args !== undefined ? { args } : {}) })
    })
  }

  private flush(): void {
    this.flushScheduled = false
    if (this.outbox.length === 0 || this.closedBy) return
    const tasks = this.outbox
    this.outbox = []
    const method = tasks[0].method
    const entries: Array<SubmitEntry | number> = new Array(tasks.length)
    for (let i = 0; i < tasks.length; i++) entries[i] = entry(tasks[i], method)
    // One write for the entries and every task's frame (large payloads are not copied).
    const batch = new WriteBatch()
    const submit: SubmitMessage = { type: 'submit', tasks: entries, method }
    batch.add(encodeFrame(AGENT, submit as never))
    for (const task of tasks) {
      task.state = 'sent'
      batch.add(task.frame)
    }
    this.transport.send(batch.take())
  }

  /** A frame from the controller (the transport's handlers, installed by openRemote, call this). */
  frame(frame: Uint8Array): void {
    if (this.relayNext !== null) {
      this.relayedFrames.set(this.relayNext, frame)
      this.relayNext = null
      return
    }
    if (this.expected.size > 0) return this.result(this.expected.shift(), frame)
    let message: FromController
    try {
      message = decodeFrame<FromController>(frame).message
    } catch (err) {
      this.socket.destroy()
      return this.closed(err as Error)
    }
    switch (message.type) {
      case 'engines':
        if (message.engines) for (const info of message.engines) this.engineChanged(info)
        if (message.runs !== undefined) this.ran(message.runs)
        return
      case 'done':
        if (message.runs !== undefined && !this.ran(message.runs)) return
        if (message.frames) this.expected.push(message.frames)
        if (message.tasks) for (const entry of message.tasks) this.done(entry)
        return
      case 'relay':
        this.relayNext = message.id
        return
      case 'stream':
        this.emit((l) => l.onStream?.(message.engineId, message.taskId, message.name, message.text))
        return
      case 'node':
        this.emit((l) => l.onNodeEvent?.(message.node, message.message))
        return
      case 'monitor':
        for (const m of this.monitors) {
          if (message.tasks) m.onTasks?.(message.tasks)
          if (message.clients) m.onClients?.(message.clients)
        }
        return
      case 'reply': {
        const pending = this.requests.get(message.rid)
        if (!pending) return
        this.requests.delete(message.rid)
        this.updateRef()
        if (message.error) pending.reject(Object.assign(new Error(message.error.message), { name: message.error.name }))
        else pending.resolve(message.value)
        return
      }
    }
  }

  private engineChanged(info: EngineInfo): void {
    this.mirror.set(info.id, info)
    this.emit((l) => l.onEngineChange?.(info))
  }

  /** Engines that went busy or idle (see EnginesMessage); false if the list is malformed (the connection is closed). */
  private ran(runs: unknown): boolean {
    const problem = checkEngineRuns(runs)
    if (problem) {
      this.socket.destroy()
      this.closed(new Error(`a malformed engines message: ${problem}`))
      return false
    }
    const list = runs as number[]
    for (let i = 0; i < list.length; i += ENGINE_RUN_FIELDS) {
      const was = this.mirror.get(list[i])
      if (!was) continue
      const current = list[i + 2]
      this.engineChanged({ ...was, state: list[i + 1] ? 'busy' : 'idle', currentTask: current < 0 ? null : current, tasksDone: list[i + 3], busyMs: list[i + 4] })
    }
    return true
  }

  /** Task `id`'s result frame, as its engine sent it. */
  private result(id: number, frame: Uint8Array): void {
    const engineId = frameEngine(frame)
    let msg: ResultMessage
    try {
      msg = decodeFrame<ResultMessage>(frame).message
    } catch (err) {
      // A result that cannot be read here (say, a class this process lacks) fails only its task.
      const task = this.tasks.get(id)
      if (task) this.finish(id, engineId, null, { kind: 'RemoteError', engineId, method: task.method, ename: 'SerializationError', evalue: (err as Error).message, traceback: `SerializationError: ${(err as Error).message}` })
      return
    }
    this.finish(id, engineId, msg, undefined)
  }

  /** A task whose result frame came before (relayed), or that ended without one. */
  private done(entry: DoneEntry): void {
    const relayed = this.relayedFrames.get(entry.id)
    if (relayed) this.relayedFrames.delete(entry.id)
    if (entry.relayed && relayed) this.result(entry.id, relayed)
    else this.finish(entry.id, entry.engineId, null, entry.error)
  }

  /** Task `id` ended on `engineId`: with its result `msg`, or without one (`wireError` says why, if it failed). */
  private finish(id: number, engineId: number | null, msg: ResultMessage | null, wireError: DoneEntry['error']): void {
    const task = this.tasks.get(id)
    if (!task) return
    this.tasks.delete(id)
    task.meta.engineId = engineId
    const error = msg ? task.record(msg, engineId ?? -1) : wireError ? taskErrorFromWire(wireError) : null
    if (error) task.fail(error, error.ename === 'TaskAborted' ? 'aborted' : 'error')
    else task.succeed(task.value)
    for (const l of this.listeners) l.onTaskDone?.(task)
    this.updateRef()
  }

  /** The connection ended. */
  closed(err?: Error): void {
    if (this.closedBy) return
    this.closedBy = this.leaving
      ? new ConnectionError(`this client was closed (rc.close()); connect again with connect() to keep working on ${this.describe}`)
      : new ConnectionError(
          `the controller of ${this.describe} went away${err ? ` (${err.message})` : ''}: ` +
            'its cluster has stopped or its process died; `clusterdesk list` shows what runs, `clusterdesk start` starts one',
        )
    for (const task of this.tasks.values()) task.lose(this.closedBy)
    this.tasks.clear()
    this.relayedFrames.clear()
    for (const task of this.outbox.splice(0)) task.lose(this.closedBy)
    for (const r of this.requests.values()) r.reject(this.closedBy)
    this.requests.clear()
    if (!this.leaving) {
      const error = this.closedBy
      this.emit((l) => l.onClosed?.(error))
    }
  }

  /** Referenced only while something is pending: an idle connected script may exit. */
  private updateRef(): void {
    const busy = this.tasks.size > 0 || this.requests.size > 0
    if (busy === this.referenced) return
    this.referenced = busy
    if (busy) this.socket.ref()
    else this.socket.unref()
  }

  private emit(fn: (l: ClientEvents) => void): void {
    for (const l of this.listeners) fn(l)
  }

  private send(message: ToController): void {
    if (!this.closedBy) this.transport.send(encodeFrame(AGENT, message as never))
  }
}

/** A task's submit entry: its id alone for a load-balanced task of `method` with no options. */
function entry(t: Task, method: TaskMethod): SubmitEntry | number {
  if (!t.balanced) return { id: t.id, method: t.method, engineId: t.meta.engineId }
  if (t.method === method && !t.allowed && !t.retriesLeft && !t.timeoutMs) return t.id
  return balancedEntry(t)
}

/** A load-balanced task's entry; the defaults (any engine, no retries, no timeout) are left out. */
function balancedEntry(t: Task): SubmitEntry {
  const entry: SubmitEntry = { id: t.id, method: t.method, engineId: null }
  if (t.allowed) entry.allowed = t.allowed
  if (t.retriesLeft) entry.retries = t.retriesLeft
  if (t.timeoutMs) entry.timeoutMs = t.timeoutMs
  return entry
}
