/**
 * The controller's end of one connected client: the challenge-response, then the client's tasks
 * (relayed to the engines as encoded), their results (relayed back: large ones as they arrive
 * from the engine, see `relay`), and the events it follows.
 * A client that goes away drops its tasks that have not started; running ones finish and their
 * results are discarded. Nothing a client sends can take the controller down: garbage, a frame
 * too large before authentication, or an unknown message closes that one connection.
 */
import type { Socket } from 'node:net'
import { decodeFrame, encodeFrame } from '../protocol/codec'
import {
  CLIENT_PROTOCOL_VERSION,
  MAX_UNAUTHENTICATED_FRAME,
  type DoneEntry,
  type FromController,
  type RequestMessage,
  type SubmitEntry,
  type ToController,
} from '../protocol/clientMessages'
import { AGENT, type TaskMethod, type TaskOp } from '../protocol/messages'
import type { FrameSink } from '../protocol/FrameReader'
import { StreamTransport } from '../protocol/transport'
import { taskClient, Task } from '../client/Task'
import type { Controller } from '../controller/Controller'
import { newNonce, proof, proofMatches } from './auth'
import { EntryQueue } from './EntryQueue'
import { Outbox } from './Outbox'
import { RelayOutput, type Relay } from './RelayOutput'
import { taskErrorToWire } from './wireErrors'

/** How long a new connection has to prove the key. */
export const AUTH_DEADLINE_MS = 5000
/** Task frames at least this large are relayed in the pieces they arrived in. */
const KEEP_IN_PIECES_BYTES = 1 << 20

/** A relayed task's op: only its method (the controller does not decode what it relays); one per method. */
const relayedOps = new Map<TaskMethod, TaskOp>()
function opOf(method: TaskMethod): TaskOp {
  let op = relayedOps.get(method)
  if (op === undefined) {
    op = { op: method } as TaskOp
    if (typeof method === 'string' && relayedOps.size < 64) relayedOps.set(method, op)
  }
  return op
}

export class ClientSession {
  private readonly transport: StreamTransport
  private readonly nonce = newNonce()
  private authed = false
  /** Refused (wrong key, wrong version): nothing more it sends is read. */
  private refused = false
  private closed = false
  private readonly tasks = new Map<number, Task>()
  /** Submit entries whose raw task frames are still to come, in order (see SubmitMessage). */
  private readonly expected = new EntryQueue<SubmitEntry | number>()
  /** The method of the tasks the numbers among them stand for. */
  private submitMethod: TaskMethod | null = null
  private readonly authTimer: NodeJS.Timeout
  private unsubscribe: (() => void) | null = null
  private unmonitor: (() => void) | null = null
  /** Only asks (status): not listed as a client by monitors. */
  private probe = false
  /** Results being relayed (or relayed, their task not yet done), by task id. */
  private readonly relays = new Map<number, Relay>()
  /** Everything sent goes through it, in order (see RelayOutput). */
  private readonly output: RelayOutput
  /** Finished tasks and engine changes, batched into one write (see Outbox). */
  private readonly outbox: Outbox
  private unrelay: (() => void) | null = null
  private endTimer: NodeJS.Timeout | null = null
  // Made once, not per task or per tick (each closure the build names costs a defineProperty).
  private readonly onTaskDone = (task: Task): void => this.taskDone(task)

  constructor(
    private readonly socket: Socket,
    private readonly key: string,
    private readonly controller: Controller,
    /** Gives the client its number once it has authenticated. */
    private readonly nextClientNo: () => number,
    private readonly onClosed: (session: ClientSession) => void,
    private clientNo = 0,
  ) {
    this.transport = new StreamTransport(socket, socket)
    this.output = new RelayOutput(this.transport)
    this.outbox = new Outbox(this.output)
    this.transport.setHandlers({
      onFrameStart: (_engine, size) => {
        if (!this.authed) {
          if (size <= MAX_UNAUTHENTICATED_FRAME) return null
          this.drop()
          return () => {}
        }
        return size >= KEEP_IN_PIECES_BYTES && this.expected.size > 0 ? this.pieces(size) : null
      },
      onFrame: (frame) => this.frame(frame),
      onClose: () => this.drop(),
    })
    this.authTimer = setTimeout(() => this.drop(), AUTH_DEADLINE_MS)
    this.authTimer.unref()
    this.send({ type: 'challenge', version: CLIENT_PROTOCOL_VERSION, nonce: this.nonce })
  }

  get authenticated(): boolean {
    return this.authed
  }

  /** Ends the connection (the controller is stopping, or the client misbehaved). */
  drop(): void {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.authTimer)
    if (this.endTimer) clearTimeout(this.endTimer)
    this.outbox.close()
    this.unsubscribe?.()
    this.unmonitor?.()
    this.unrelay?.()
    this.output.close()
    this.socket.destroy()
    // Its tasks that have not started are dropped; running ones finish, their results unseen.
    const pending = [...this.tasks.values()].filter((t) => t.state !== 'done')
    this.tasks.clear()
    if (pending.length) this.controller.abort(pending)
    if (this.authed) {
      this.controller.remoteClients--
      if (!this.probe) this.controller.monitoring.clientLeft(this.clientNo)
    }
    this.onClosed(this)
  }

  /** Ends the connection after what was sent so far has been written. */
  end(): void {
    this.outbox.flush()
    this.socket.end()
    // A client that does not close its end is cut off; the server's close waits for this.
    this.endTimer ??= setTimeout(() => this.drop(), 1000)
  }

  private frame(frame: Uint8Array): void {
    if (this.closed || this.refused) return
    if (this.expected.size > 0) return this.taskFrame(this.expected.shift(), [frame])
    let message: ToController
    try {
      message = decodeFrame<ToController>(frame).message
    } catch {
      return this.drop()
    }
    if (!message || typeof message !== 'object') return this.drop()
    if (!this.authed) return this.auth(message)
    switch (message.type) {
      case 'submit':
        if (!Array.isArray(message.tasks)) return this.drop()
        // A submit is read only once the frames of the one before have all come (see `frame`).
        this.submitMethod = typeof message.method === 'string' ? message.method : null
        this.expected.push(message.tasks)
        return
      case 'abort':
        if (!Array.isArray(message.ids)) return this.drop()
        this.controller.abort(message.ids.map((id) => this.tasks.get(id)).filter((t): t is Task => t !== undefined))
        return
      case 'request':
        void this.request(message)
        return
      default:
        this.drop()
    }
  }

  private auth(message: ToController): void {
    if (message.type !== 'auth' || message.version !== CLIENT_PROTOCOL_VERSION) {
      const reason =
        message.type === 'auth'
          ? `this controller speaks client protocol ${CLIENT_PROTOCOL_VERSION}, the client ${message.version}: use the same clusterdesk version on both`
          : 'the client did not authenticate'
      this.refused = true
      this.send({ type: 'refused', reason })
      return this.end()
    }
    if (!(message.nonce instanceof Uint8Array) || !proofMatches(proof(this.key, 'client', this.nonce, message.nonce), message.mac)) {
      this.refused = true
      this.send({ type: 'refused', reason: 'wrong key' })
      return this.end()
    }
    clearTimeout(this.authTimer)
    this.authed = true
    this.clientNo = this.nextClientNo()
    this.controller.remoteClients++
    this.probe = message.probe === true
    if (!this.probe) this.controller.monitoring.clientJoined(
      this.clientNo,
      Number.isInteger(message.pid) ? message.pid! : null,
      typeof message.host === 'string' ? message.host.slice(0, 255) : null,
    )
    this.unsubscribe = this.controller.subscribe({
      onEngineChange: (info) => {
        this.outbox.engineChanged(info)
      },
      onStream: (engineId, taskId, name, text) => {
        if (taskClient(taskId) === this.clientNo) this.send({ type: 'stream', engineId, taskId, name, text })
      },
      onNodeEvent: (node, text) => this.send({ type: 'node', node, message: text }),
    })
    this.unrelay = this.controller.relayTo(this.clientNo, (task, size) => this.relay(task, size))
    const engines = this.controller.engines()
    this.outbox.knows(engines)
    this.send({ type: 'welcome', mac: proof(this.key, 'controller', message.nonce, this.nonce), clientNo: this.clientNo, engines })
  }

  /**
   * A large result of one of this client's tasks, its head just in from the engine: a `relay`
   * message, then its bytes as they arrive, so the controller neither holds the whole frame nor
   * waits for it (see clientMessages.ts). The task's `done` entry follows once it is complete.
   */
  private relay(task: Task, size: number): FrameSink | null {
    if (this.closed || this.tasks.get(task.id) !== task || this.relays.has(task.id)) return null
    this.outbox.flush()
    const relay = this.output.relay(this.encode({ type: 'relay', id: task.id }), size)
    this.relays.set(task.id, relay)
    return (bytes) => relay.push(bytes)
  }

  /**
   * A large task frame is kept as the pieces it arrived in: the controller relays it without
   * reading it, so joining them would only cost a copy (and a zeroed allocation) of the payload.
   */
  private pieces(size: number): FrameSink {
    const pieces: Uint8Array[] = []
    let filled = 0
    return (piece) => {
      pieces.push(piece)
      filled += piece.byteLength
      if (filled === size && !this.closed) this.taskFrame(this.expected.shift(), pieces)
    }
  }

  private taskFrame(entry: SubmitEntry | number, frame: Uint8Array[]): void {
    const plain = typeof entry === 'number'
    const id = plain ? entry : entry?.id
    // A client may only use its own ids: they are what routes results back to it.
    if (!Number.isInteger(id) || taskClient(id) !== this.clientNo || this.tasks.has(id)) return this.drop()
    if (plain) {
      if (this.submitMethod === null) return this.drop()
      const task = new Task(id, opOf(this.submitMethod), null, frame)
      task.balanced = true
      return this.start(task)
    }
    const task = new Task(id, opOf(entry.method), entry.engineId ?? null, frame)
    if (entry.engineId === null || entry.engineId === undefined) {
      task.balanced = true
      task.allowed = Array.isArray(entry.allowed) ? entry.allowed : null
      task.retriesLeft = entry.retries ?? 0
      task.timeoutMs = entry.timeoutMs ?? 0
    }
    this.start(task)
  }

  private start(task: Task): void {
    task.onDone = this.onTaskDone
    this.tasks.set(task.id, task)
    this.controller.submit([task])
  }

  private taskDone(task: Task): void {
    if (this.closed || !this.tasks.delete(task.id)) return
    const relay = this.relays.get(task.id)
    if (relay) this.relays.delete(task.id)
    if (relay && relay.left === 0 && !task.meta.error) {
      this.outbox.ended({ id: task.id, engineId: task.meta.engineId, relayed: true })
    } else if (relay) {
      // The engine went away mid-frame: the frame is padded to its length, and the entry says why
      // the task ended (the client drops the relayed frame).
      relay.pad()
      this.outbox.ended(this.ended(task))
    } else if (task.resultFrame) this.outbox.resultFrame(task.id, task.resultFrame)
    else this.outbox.ended(this.ended(task))
  }

  /** The entry of a task that ended without a result frame. */
  private ended(task: Task): DoneEntry {
    const error = task.meta.error
    return error ? { id: task.id, engineId: task.meta.engineId, error: taskErrorToWire(error, task.timeoutMs) } : { id: task.id, engineId: task.meta.engineId }
  }

  private async request(message: RequestMessage): Promise<void> {
    const { rid, method, args } = message
    try {
      let value: unknown
      if (method === 'interrupt') value = await this.controller.interrupt(Array.isArray(args) ? args : [])
      else if (method === 'status') value = await this.controller.status()
      else if (method === 'addNodes') value = await this.controller.addNodes(Array.isArray(args) ? args : [])
      else if (method === 'stopNode') value = await this.controller.stopNode(typeof args === 'string' ? args : '')
      else if (method === 'shutdown') value = await this.controller.shutdown()
      else if (method === 'monitor') value = this.setMonitoring(args === true)
      else throw new Error(`unknown request ${JSON.stringify(method)}`)
      // Engine changes a request made (addNodes' engines) reach the client before its answer.
      this.outbox.flush()
      this.send({ type: 'reply', rid, value })
    } catch (err) {
      const e = err as Error
      this.send({ type: 'reply', rid, error: { name: e.name ?? 'Error', message: e.message ?? String(err) } })
    }
  }

  /** Starts or stops this client's monitoring feed (opt-in: ordinary clients get none). */
  private setMonitoring(on: boolean): boolean {
    this.unmonitor?.()
    this.unmonitor = null
    if (on) {
      this.unmonitor = this.controller.monitor({
        onTasks: (tasks) => this.send({ type: 'monitor', tasks }),
        onClients: (clients) => this.send({ type: 'monitor', clients }),
      })
    }
    return on
  }

  private encode(message: FromController): Uint8Array[] {
    return encodeFrame(AGENT, message as never)
  }

  private send(message: FromController): void {
    if (!this.closed) this.output.send(this.encode(message))
  }
}
